"""Migration files: naming, header, sections, markers, checksums. Reads files; never touches a database.

A migration file is named ``YYYYMMDD_NNN_snake_case_name.sql`` (usually under a ``YYYY/`` folder) and laid out
like this::

    -- Migration: 20261122_001_create_things
    -- Author: someone
    -- Date: 2026-11-22
    -- Description: What the change does and why
    -- warp:no-transaction            (optional directive)

    -- ============================================
    -- UP MIGRATION
    -- ============================================

    BEGIN;
    CREATE TABLE things (...);
    COMMIT;

    -- ============================================
    -- DOWN MIGRATION (Rollback)
    -- ============================================

    -- BEGIN;
    -- DROP TABLE things;
    -- COMMIT;

The DOWN section is commented out, line by line, so that ``psql -f file.sql`` (or psql's include command) applies the UP
and nothing else. The engine reads the commented DOWN as the rollback: it takes every line without its leading
``--`` and one space, so a comment inside the DOWN is written ``-- -- like this``. A DOWN section that says
``-- warp:irreversible: <why>`` (or ``-- -- warp:irreversible: <why>``) cannot be rolled back. A DOWN section with
lines that are not comments (the format before this one) is still read as written, and ``validate`` warns that
psql would run it right after the UP.

Files older than this format used an all-comment DOWN section to say "this cannot be rolled back", often with
prose or a disabled statement in it. Uncommented, such a section is not a rollback, so two rules guard it: a
commented DOWN whose statements do not each start with an SQL command word (prose) is not runnable
(``Migration.down_problem`` names the line, ``rollback`` refuses it, ``validate`` warns); and ``rollback`` runs a
DOWN only when its checksum is the one recorded when the migration was applied (``_runner``).

The engine owns the transaction, so top-level ``BEGIN;`` / ``COMMIT;`` statements are dropped from both sections
(they stay in the file so that it also runs under psql).

Marker lines (``-- warp:allow <rule>: <why>`` in the UP section, ``-- warp:irreversible: <why>`` in the DOWN)
speak to the engine, not to the database: checksums leave them out, so adding one to an applied migration keeps
its recorded checksum valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path

from warp_models.errors import ConfigurationError, MigrationError, MigrationFileError
from warp_repo.migrations._sqltext import Statement, lines_inside_literals, split_statements

__all__ = [
    "NAME_RE",
    "VERSION_RE",
    "Allowance",
    "DownFormat",
    "DuplicateVersion",
    "Migration",
    "bundled_migrations_dir",
    "checksum",
    "load_migrations",
    "normalize_sql",
    "parse_migration",
    "require_version",
    "scan_migrations",
]

VERSION_RE = re.compile(r"^(?P<date>\d{8})_(?P<seq>\d{3})$")
"""A version: ``YYYYMMDD_NNN``."""

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
"""The descriptive part of a file name: lower-case snake_case."""

_FILE_NAME_RE = re.compile(r"^(?P<version>\d{8}_\d{3})_(?P<name>.+)\.sql$")
_HEADER_FIELD_RE = re.compile(r"^--\s*(?P<key>Migration|Author|Date|Description)\s*:\s*(?P<value>.*)$", re.I)
_BANNER_RE = re.compile(r"^--\s*={3,}\s*$")
_UP_MARKER_RE = re.compile(r"^--\s*UP\s+MIGRATION\s*$", re.I)
_DOWN_MARKER_RE = re.compile(r"^--\s*DOWN\s+MIGRATION(?:\s*\(\s*rollback\s*\))?\s*$", re.I)
_DIRECTIVE_RE = re.compile(r"^--\s*warp:(?P<directive>\S*)\s*$")
_KNOWN_DIRECTIVES = frozenset({"no-transaction"})
# Markers below the UP marker: ``-- warp:allow <rule>: <why>`` (UP) and ``-- warp:irreversible: <why>`` (DOWN).
# A commented DOWN also takes the marker written as a comment of its own (``-- -- warp:irreversible: <why>``).
# A line inside a quoted text or block comment (a dollar-quoted function body) is never a marker.
_MARKER_RE = re.compile(r"^--\s*warp:(?P<marker>[A-Za-z-]*)(?P<rest>.*)$")
_COMMENTED_MARKER_RE = re.compile(r"^--\s*--\s*warp:(?P<marker>[A-Za-z-]*)(?P<rest>.*)$")
_ALLOW_RE = re.compile(r"^\s+(?P<code>[a-z][a-z0-9-]*)\s*:\s*(?P<reason>.*)$")
_IRREVERSIBLE_RE = re.compile(r"^\s*:\s*(?P<reason>.*)$")
_COMMENT_PREFIX_RE = re.compile(r"^\s*-- ?")
_REQUIRED_FIELDS = ("Migration", "Author", "Date", "Description")

# Statements the engine replaces by its own transaction handling.
_TX_START = {("BEGIN",), ("START", "TRANSACTION"), ("COMMIT",), ("END",)}
_TX_REFUSED = {"ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"}

# The words an SQL statement starts with (PostgreSQL's commands, CockroachDB's UPSERT): an uncommented DOWN line
# that starts with anything else is prose or a banner, not a statement.
_SQL_COMMANDS = frozenset(
    {
        "ABORT",
        "ALTER",
        "ANALYSE",
        "ANALYZE",
        "BEGIN",
        "CALL",
        "CHECKPOINT",
        "CLOSE",
        "CLUSTER",
        "COMMENT",
        "COMMIT",
        "COPY",
        "CREATE",
        "DEALLOCATE",
        "DECLARE",
        "DELETE",
        "DISCARD",
        "DO",
        "DROP",
        "END",
        "EXECUTE",
        "EXPLAIN",
        "FETCH",
        "GRANT",
        "IMPORT",
        "INSERT",
        "LISTEN",
        "LOAD",
        "LOCK",
        "MERGE",
        "MOVE",
        "NOTIFY",
        "PREPARE",
        "REASSIGN",
        "REFRESH",
        "REINDEX",
        "RELEASE",
        "RESET",
        "REVOKE",
        "ROLLBACK",
        "SAVEPOINT",
        "SECURITY",
        "SELECT",
        "SET",
        "SHOW",
        "START",
        "TABLE",
        "TRUNCATE",
        "UNLISTEN",
        "UPDATE",
        "UPSERT",
        "VACUUM",
        "VALUES",
        "WITH",
    }
)


def normalize_sql(text: str) -> str:
    """Normalise SQL text for checksums: no BOM, LF line ends, no trailing spaces, no outer blank lines.

    Args:
        text: the text of a section as read from the file.

    Returns:
        The normalised text; converting a file's line endings or re-saving it with a BOM does not change it.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def checksum(text: str) -> str:
    """Return the sha256 hex digest of ``text`` after :func:`normalize_sql`.

    Args:
        text: SQL text.

    Returns:
        64 lower-case hex characters.
    """
    return hashlib.sha256(normalize_sql(text).encode("utf-8")).hexdigest()


class DownFormat(StrEnum):
    """How a file writes its DOWN section."""

    COMMENTED = "commented"
    """Every line commented out: psql runs only the UP section; the engine runs the DOWN without the comment marks."""
    EXECUTABLE = "executable"
    """Lines that are not comments (the earlier format): psql would run the DOWN right after the UP."""
    ABSENT = "absent"
    """No DOWN marker at all."""


@dataclass(frozen=True)
class Allowance:
    """A ``-- warp:allow <rule>: <why>`` marker: the validator does not report ``rule`` for the next statement.

    Attributes:
        code: the rule, e.g. ``index-without-concurrently``.
        reason: why the statement is a deliberate exception (required).
        line: the marker's line in the file.
    """

    code: str
    reason: str
    line: int


@dataclass(frozen=True)
class Migration:
    """One migration file, parsed.

    Attributes:
        version: ``YYYYMMDD_NNN``, the order in which migrations run.
        name: the snake_case part of the file name.
        path: the file.
        description: the header's ``Description``.
        author: the header's ``Author``.
        date: the header's ``Date``.
        up_sql: the UP section, normalised, without the top-level ``BEGIN;``/``COMMIT;``.
        down_sql: the DOWN section likewise (uncommented), or None when it is absent, has no statements, is
            marked irreversible, or is not runnable (``down_problem``).
        no_transaction: the file carries the ``-- warp:no-transaction`` directive: its statements run one by one
            outside a transaction (needed for ``CREATE INDEX CONCURRENTLY``).
        checksum_up: sha256 of the normalised UP section as written, marker lines left out.
        checksum_down: sha256 of the normalised DOWN section as the engine reads it (uncommented), marker lines
            left out; None when ``down_sql`` is None (as it was for an all-comment DOWN before the commented
            format, so such a file's recorded value still matches).
        up_statements: the UP statements the engine runs, with their line numbers in the file.
        down_statements: the DOWN statements likewise (empty when ``down_sql`` is None).
        down_format: how the file writes its DOWN section.
        irreversible: the reason given by ``-- warp:irreversible: <why>``, None when there is no such marker.
        allowances: the ``-- warp:allow`` markers of the UP section, in file order.
        down_problem: why a commented DOWN section is not runnable once uncommented (e.g. ``line 42: 'This
            migration cannot be undone' is not SQL``), None when it is runnable or not commented.
    """

    version: str
    name: str
    path: Path
    description: str
    author: str
    date: dt.date
    up_sql: str
    down_sql: str | None
    no_transaction: bool
    checksum_up: str
    checksum_down: str | None
    up_statements: tuple[Statement, ...] = field(default=(), repr=False, compare=False)
    down_statements: tuple[Statement, ...] = field(default=(), repr=False, compare=False)
    down_format: DownFormat = DownFormat.ABSENT
    irreversible: str | None = None
    allowances: tuple[Allowance, ...] = ()
    down_problem: str | None = None

    @property
    def title(self) -> str:
        """``<version>_<name>``: the file name without ``.sql``, as the header's ``Migration`` field says."""
        return f"{self.version}_{self.name}"


@dataclass(frozen=True)
class _Section:
    text: str  # normalised, as written
    first_line: int  # line number in the file of the section's first line

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


_Markers = dict[int, "re.Match[str]"]
"""The marker lines of a section: index in ``_Section.lines`` to the marker's match."""


def _markers(section: _Section, *, commented: bool) -> _Markers:
    """Find the marker lines of a section, leaving out lines inside quoted text of the SQL the engine runs.

    For a commented DOWN section the SQL is the uncommented text (single-comment marker lines blanked first, so
    that an apostrophe in a reason opens no string), and the doubled form ``-- -- warp:...`` is a marker too.
    """
    lines = section.lines
    if commented:
        code = "\n".join("" if _MARKER_RE.match(line.strip()) else _uncomment(line) for line in lines)
    else:
        code = section.text
    literal = lines_inside_literals(code)
    found: _Markers = {}
    for index, line in enumerate(lines):
        if index in literal:
            continue
        stripped = line.strip()
        match = _MARKER_RE.match(stripped)
        if match is None and commented:
            match = _COMMENTED_MARKER_RE.match(stripped)
        if match is not None:
            found[index] = match
    return found


def _without_markers(section: _Section, markers: _Markers) -> str:
    """The text that checksums cover: marker lines speak to the engine, not to the database."""
    return "\n".join(line for index, line in enumerate(section.lines) if index not in markers)


def _is_commented(section: _Section) -> bool:
    return all(not line.strip() or line.lstrip().startswith("--") for line in section.lines)


def _uncomment(line: str) -> str:
    return _COMMENT_PREFIX_RE.sub("", line, count=1)


def _uncommented(section: _Section, markers: _Markers) -> _Section:
    """The commented DOWN as the engine runs it: each line without its ``--`` and one space; markers blanked."""
    lines = ["" if index in markers else _uncomment(line) for index, line in enumerate(section.lines)]
    return _Section(text="\n".join(lines), first_line=section.first_line)


def _not_sql(section: _Section) -> str | None:
    """Say which statement of an uncommented DOWN section is not SQL (prose, a banner), None when all are."""
    for statement in split_statements(section.text, first_line=section.first_line):
        words = statement.keywords
        if not words or words[0] not in _SQL_COMMANDS:
            first = statement.text.split("\n", 1)[0].strip()
            if len(first) > 60:
                first = first[:57] + "..."
            return f"line {statement.line}: {first!r} is not SQL once uncommented"
    return None


def _allowances(path: Path, version: str, section: _Section, markers: _Markers) -> tuple[Allowance, ...]:
    found: list[Allowance] = []
    for index, match in sorted(markers.items()):
        number = section.first_line + index
        marker = match.group("marker")
        if marker in _KNOWN_DIRECTIVES:
            raise _file_error(
                path,
                version,
                f"line {number}: a 'warp:{marker}' directive below the UP marker is ignored",
                "Move it into the header block at the top of the file.",
            )
        allow = _ALLOW_RE.match(match.group("rest")) if marker == "allow" else None
        if marker != "allow":
            raise _file_error(
                path,
                version,
                f"line {number}: unknown marker 'warp:{marker}' in the UP section",
                "The UP section knows '-- warp:allow <rule>: <why>'; header directives go above the UP marker.",
            )
        if allow is None or not allow.group("reason").strip():
            raise _file_error(
                path,
                version,
                f"line {number}: a 'warp:allow' marker needs a rule and a reason",
                "Write '-- warp:allow <rule>: <why the statement is a deliberate exception>'.",
            )
        found.append(Allowance(allow.group("code"), allow.group("reason").strip(), number))
    return tuple(found)


def _irreversible(path: Path, version: str, section: _Section, markers: _Markers) -> str | None:
    reason: str | None = None
    for index, match in sorted(markers.items()):
        number = section.first_line + index
        marker = match.group("marker")
        given = _IRREVERSIBLE_RE.match(match.group("rest")) if marker == "irreversible" else None
        if marker != "irreversible":
            raise _file_error(
                path,
                version,
                f"line {number}: unknown marker 'warp:{marker}' in the DOWN section",
                "The DOWN section knows '-- warp:irreversible: <why>'.",
            )
        if given is None or not given.group("reason").strip():
            raise _file_error(
                path,
                version,
                f"line {number}: a 'warp:irreversible' marker needs a reason",
                "Write '-- warp:irreversible: <why this migration cannot be undone>'.",
            )
        if reason is not None:
            raise _file_error(path, version, f"line {number} repeats 'warp:irreversible'", "Keep one.")
        reason = given.group("reason").strip()
    return reason


class DuplicateVersion(MigrationFileError):
    """Two files carry the same version (raised for each of them)."""


def _file_error(path: Path, version: str | None, problem: str, fix: str) -> MigrationFileError:
    where = f"{path} (version {version})" if version else str(path)
    return MigrationFileError(f"{where}: {problem}. {fix}", path=path, version=version)


def _version_date(version: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(version[:8], "%Y%m%d").date()
    except ValueError:
        return None


def _parse_file_name(path: Path) -> tuple[str, str]:
    match = _FILE_NAME_RE.match(path.name)
    if match is None:
        raise _file_error(
            path,
            None,
            "the file name does not follow YYYYMMDD_NNN_descriptive_name.sql",
            "Rename it, e.g. 20261122_001_add_trunk_labels.sql.",
        )
    version, name = match.group("version"), match.group("name")
    if _version_date(version) is None:
        raise _file_error(
            path, version, f"{version[:8]} is not a calendar date", "Use the date the migration was written."
        )
    if version.endswith("_000"):
        raise _file_error(path, version, "the sequence number 000 is not used", "Number a day's files from 001.")
    if NAME_RE.match(name) is None:
        raise _file_error(
            path,
            version,
            f"the name {name!r} is not lower-case snake_case",
            "Use letters, digits and single underscores, starting with a letter.",
        )
    return version, name


def _sections(path: Path, version: str, lines: list[str]) -> tuple[list[str], _Section, _Section | None]:
    """Cut the file into header lines, UP section and DOWN section (None when there is no DOWN marker)."""
    up_at = [i for i, line in enumerate(lines) if _UP_MARKER_RE.match(line.strip())]
    down_at = [i for i, line in enumerate(lines) if _DOWN_MARKER_RE.match(line.strip())]
    if not up_at:
        raise _file_error(
            path,
            version,
            "there is no '-- UP MIGRATION' marker line",
            "Put the change under a '-- UP MIGRATION' line, as in the migration template.",
        )
    if len(up_at) > 1:
        raise _file_error(
            path, version, "there are several '-- UP MIGRATION' marker lines", "Keep exactly one UP section."
        )
    if len(down_at) > 1:
        raise _file_error(
            path, version, "there are several '-- DOWN MIGRATION' marker lines", "Keep at most one DOWN section."
        )
    up = up_at[0]
    down = down_at[0] if down_at else None
    if down is not None and down < up:
        raise _file_error(
            path,
            version,
            "the DOWN section comes before the UP section",
            "Put '-- UP MIGRATION' first and '-- DOWN MIGRATION (Rollback)' after it.",
        )

    def section(begin: int, end: int) -> _Section:
        # Drop the banner lines that frame the marker: the ones right after this marker and right before the next.
        while begin < end and (_BANNER_RE.match(lines[begin].strip()) or not lines[begin].strip()):
            begin += 1
        while end > begin and (_BANNER_RE.match(lines[end - 1].strip()) or not lines[end - 1].strip()):
            end -= 1
        return _Section(text="\n".join(lines[begin:end]), first_line=begin + 1)

    header = lines[:up]
    up_section = section(up + 1, down if down is not None else len(lines))
    down_section = section(down + 1, len(lines)) if down is not None else None
    return header, up_section, down_section


def _parse_header(path: Path, version: str, title: str, header: list[str]) -> tuple[dict[str, str], set[str]]:
    fields: dict[str, str] = {}
    directives: set[str] = set()
    last_field: str | None = None
    for number, raw in enumerate(header, start=1):
        line = raw.strip()
        if not line or _BANNER_RE.match(line):
            last_field = None
            continue
        if not line.startswith("--"):
            raise _file_error(
                path,
                version,
                f"line {number} holds SQL before the '-- UP MIGRATION' marker",
                "Move it into the UP section; only comments belong in the header.",
            )
        if (directive := _DIRECTIVE_RE.match(line)) is not None:
            name = directive.group("directive")
            if name not in _KNOWN_DIRECTIVES:
                known = ", ".join(sorted(_KNOWN_DIRECTIVES))
                raise _file_error(
                    path, version, f"line {number}: unknown directive 'warp:{name}'", f"Known directives: {known}."
                )
            directives.add(name)
            last_field = None
            continue
        if (match := _HEADER_FIELD_RE.match(line)) is not None:
            key = match.group("key").capitalize()
            if key in fields:
                raise _file_error(path, version, f"line {number} repeats the header field '{key}'", "Keep one of each.")
            fields[key] = match.group("value").strip()
            last_field = key
            continue
        if last_field == "Description":
            continuation = line.removeprefix("--").strip()
            if continuation:
                fields["Description"] = f"{fields['Description']} {continuation}".strip()
    for key in _REQUIRED_FIELDS:
        if not fields.get(key):
            raise _file_error(
                path,
                version,
                f"the header has no '-- {key}:' line" if key not in fields else f"the header's '{key}' is empty",
                f"Add '-- {key}: ...' to the comment block at the top of the file.",
            )
    if fields["Migration"] != title:
        raise _file_error(
            path,
            version,
            f"the header says 'Migration: {fields['Migration']}' but the file is {title}.sql",
            f"Make them agree: '-- Migration: {title}'.",
        )
    return fields, directives


def _executable(path: Path, version: str, section: _Section) -> tuple[str, tuple[Statement, ...]]:
    """The section's SQL without top-level transaction control, and its statements with file line numbers."""
    kept: list[Statement] = []
    removed: list[Statement] = []
    for statement in split_statements(section.text, first_line=section.first_line):
        words = statement.keywords
        if words[:1] in _TX_START or words[:2] in _TX_START:
            removed.append(statement)
        elif words and words[0] in _TX_REFUSED:
            raise _file_error(
                path,
                version,
                f"line {statement.line}: {words[0]} is not allowed in a migration",
                "The engine runs each migration in its own transaction; remove the transaction control.",
            )
        else:
            kept.append(statement)
    text = section.text
    for statement in reversed(removed):
        text = text[: statement.start] + text[statement.end :]
    return normalize_sql(text), tuple(kept)


def parse_migration(path: Path, *, text: str | None = None) -> Migration:
    """Parse one migration file.

    Args:
        path: the file; its name gives the version and name.
        text: the file's content, when already read (otherwise the file is read as UTF-8).

    Returns:
        The parsed migration.

    Raises:
        MigrationFileError: the name, header or markers break the convention; the message says what to fix.
    """
    version, name = _parse_file_name(path)
    if text is None:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _file_error(path, version, "the file is not UTF-8", "Save it as UTF-8.") from exc
        except OSError as exc:
            raise _file_error(path, version, f"the file cannot be read ({exc})", "Check the path.") from exc
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    header, up, down = _sections(path, version, lines)
    fields, directives = _parse_header(path, version, f"{version}_{name}", header)
    try:
        date = dt.date.fromisoformat(fields["Date"])
    except ValueError as exc:
        raise _file_error(
            path, version, f"the header's Date {fields['Date']!r} is not YYYY-MM-DD", "Write e.g. 2026-11-22."
        ) from exc
    up_markers = _markers(up, commented=False)
    allowances = _allowances(path, version, up, up_markers)
    up_sql, up_statements = _executable(path, version, up)
    down_sql: str | None = None
    down_statements: tuple[Statement, ...] = ()
    checksum_down: str | None = None
    down_format = DownFormat.ABSENT
    down_problem: str | None = None
    irreversible: str | None = None
    if down is not None:
        commented = _is_commented(down)
        down_markers = _markers(down, commented=commented)
        irreversible = _irreversible(path, version, down, down_markers)
        if commented:
            down_format = DownFormat.COMMENTED
            down = _uncommented(down, down_markers)
            down_problem = _not_sql(down)
        else:
            down_format = DownFormat.EXECUTABLE
        if down_problem is None:
            down_text, statements = _executable(path, version, down)
        else:
            down_text, statements = "", ()
        if irreversible is not None:
            down_problem = None  # prose beside the marker explains it; nothing runs either way
        if statements and irreversible is not None:
            raise _file_error(
                path,
                version,
                "the DOWN section is marked 'warp:irreversible' but also holds statements",
                "Keep either the statements that undo the UP section or the marker.",
            )
        if statements:
            down_sql, down_statements = down_text, statements
            checksum_down = checksum(_without_markers(down, down_markers))
    return Migration(
        version=version,
        name=name,
        path=path,
        description=fields["Description"],
        author=fields["Author"],
        date=date,
        up_sql=up_sql,
        down_sql=down_sql,
        no_transaction="no-transaction" in directives,
        checksum_up=checksum(_without_markers(up, up_markers)),
        checksum_down=checksum_down,
        up_statements=up_statements,
        down_statements=down_statements,
        down_format=down_format,
        irreversible=irreversible,
        allowances=allowances,
        down_problem=down_problem,
    )


def _sql_files(directory: Path) -> list[Path]:
    """Every ``*.sql`` file under ``directory``, sorted; a folder that cannot be listed is an error.

    ``Path.rglob`` skips a folder it cannot list, which would make its migrations look absent: nothing to apply,
    and a silent no-op is the worst a migration run can do. As with ``rglob``, a link to a file is read and a link
    to a folder is not followed.
    """
    try:
        info = directory.stat()
    except FileNotFoundError:
        raise MigrationFileError(
            f"{directory}: the migrations directory does not exist. Pass an existing directory.", path=directory
        ) from None
    except OSError as exc:
        raise MigrationFileError(
            f"{directory}: the migrations directory cannot be reached ({exc.strerror or exc}). Give this user "
            "access to it.",
            path=directory,
        ) from exc
    if not stat.S_ISDIR(info.st_mode):
        raise MigrationFileError(
            f"{directory} is a file, not a folder: pass the folder that holds the migrations.", path=directory
        )

    def refuse(exc: OSError) -> None:
        raise MigrationFileError(
            f"{directory}: cannot list {exc.filename} ({exc.strerror or exc}), so its migrations cannot be read. "
            "Give this user read access to it.",
            path=Path(exc.filename) if exc.filename is not None else directory,
        ) from exc

    found: list[Path] = []
    for folder, _, files in os.walk(directory, onerror=refuse):
        found.extend(path for name in files if name.endswith(".sql") and (path := Path(folder) / name).is_file())
    return sorted(found)


def scan_migrations(directory: Path) -> tuple[list[Migration], list[MigrationFileError]]:
    """Parse every ``*.sql`` file under ``directory``, collecting problems instead of stopping at the first.

    Args:
        directory: the migrations folder (searched recursively, e.g. its ``YYYY/`` subfolders).

    Returns:
        The migrations that parsed, sorted by version, and one error per file that did not (including every file
        of a version used twice, which is left out of the migrations).

    Raises:
        MigrationFileError: ``directory`` does not exist, is a file, or holds a folder that cannot be listed (its
            migrations would otherwise look absent).
    """
    parsed: list[Migration] = []
    errors: list[MigrationFileError] = []
    for path in _sql_files(directory):
        try:
            parsed.append(parse_migration(path))
        except MigrationFileError as exc:
            errors.append(exc)
    by_version: dict[str, list[Migration]] = {}
    for migration in parsed:
        by_version.setdefault(migration.version, []).append(migration)
    unique: list[Migration] = []
    for version, group in by_version.items():
        if len(group) == 1:
            unique.append(group[0])
            continue
        names = " and ".join(str(m.path) for m in group)
        for migration in group:
            errors.append(
                DuplicateVersion(
                    f"{migration.path} (version {version}): version {version} is used by {names}. "
                    "Give one of them the next free number for that day.",
                    path=migration.path,
                    version=version,
                )
            )
    unique.sort(key=lambda m: m.version)
    return unique, errors


def load_migrations(directory: Path) -> list[Migration]:
    """Parse every migration under ``directory``, sorted by version.

    Args:
        directory: the migrations folder (searched recursively, e.g. its ``YYYY/`` subfolders).

    Returns:
        The migrations, sorted by version.

    Raises:
        MigrationFileError: ``directory`` does not exist, is a file or holds a folder that cannot be listed; a
            file breaks the convention, or two files share a version; the first problem found is raised, and
            ``validate`` lists them all.
    """
    migrations, errors = scan_migrations(directory)
    if errors:
        first = errors[0]
        if len(errors) > 1:
            more = len(errors) - 1
            raise MigrationFileError(
                f"{first} (and {more} more problem{'s' if more > 1 else ''}: run validate to list them)",
                path=first.path,
                version=first.version,
            ) from first
        raise first
    return migrations


def bundled_migrations_dir() -> Path:
    """Return the folder of the migrations shipped with warp-models.

    An installed wheel carries them as ``warp_repo/_bundled_migrations``; a source checkout (or an editable
    install of one) has them in the repository's top-level ``migrations/`` folder.

    Returns:
        An existing directory.

    Raises:
        ConfigurationError: neither place exists (e.g. the package is imported from a zip archive).
    """
    package = resources.files("warp_repo")
    bundled = package / "_bundled_migrations"
    if isinstance(bundled, Path) and bundled.is_dir():
        return bundled
    package_dir = Path(__file__).resolve().parent.parent
    checkout = package_dir.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "migrations").is_dir():
        return checkout / "migrations"
    raise ConfigurationError(
        "warp-models cannot find its bundled migrations: neither warp_repo/_bundled_migrations nor a source "
        "checkout's migrations/ folder exists. Reinstall the wheel, or pass migrations_dir explicitly."
    )


def require_version(value: str, what: str) -> str:
    """Check that ``value`` is a version string.

    Args:
        value: the text to check.
        what: how the caller names it in the error (e.g. "target").

    Returns:
        ``value`` unchanged.

    Raises:
        MigrationError: it is not ``YYYYMMDD_NNN``.
    """
    if VERSION_RE.match(value) is None:
        raise MigrationError(f"{what} {value!r} is not a migration version; write it as YYYYMMDD_NNN.")
    return value
