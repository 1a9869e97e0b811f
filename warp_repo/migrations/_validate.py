"""Checking migration files before they run: convention errors, history mismatches, risky statements.

Errors make a migrate fail or do harm for certain; warnings point at statements that work but hurt a live database
(a write lock held for a whole index build, a column that cannot be added to a table with rows, a tenant table
without row-level security). The lint reads statements with comments removed and string contents blanked, so a
keyword inside a string or a comment never triggers it.

A statement that breaks a rule on purpose carries the reason in the file, on a line of its own right above it
(or inside it): ``-- warp:allow <rule>: <why>``. The validator then leaves that rule out for that statement; a
marker that names an unknown rule, or matches no finding, is itself reported, so markers cannot go stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import psycopg

from warp_repo.migrations._files import (
    Allowance,
    DownFormat,
    DuplicateVersion,
    Migration,
    bundled_migrations_dir,
    scan_migrations,
)
from warp_repo.migrations._history import read_history
from warp_repo.migrations._sqltext import Statement, code_only

__all__ = ["LINT_RULES", "Severity", "ValidationIssue", "ValidationReport", "lint_migration", "validate"]

LINT_RULES = frozenset(
    {
        "add-column-not-null-without-default",
        "index-without-concurrently",
        "org-table-without-rls",
    }
)
"""The statement warnings a ``-- warp:allow <rule>: <why>`` marker may name (file-level findings have their own
remedies: ``-- warp:irreversible: <why>`` for ``no-down``)."""


class Severity(StrEnum):
    """How bad a validation finding is."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class ValidationIssue:
    """One finding of :func:`validate`.

    Attributes:
        severity: error or warning.
        code: a short stable name of the rule, e.g. ``index-without-concurrently``.
        message: what is wrong and what to do.
        path: the file concerned, when there is one.
        version: its version, when known.
        line: the line of the statement concerned, when there is one.
    """

    severity: Severity
    code: str
    message: str
    path: Path | None = None
    version: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = str(self.path) if self.path else (self.version or "database")
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class ValidationReport:
    """Everything :func:`validate` found.

    Attributes:
        issues: the findings, errors and warnings, in file order.
        migrations: the files that parsed.
    """

    issues: tuple[ValidationIssue, ...]
    migrations: tuple[Migration, ...]

    @property
    def errors(self) -> list[ValidationIssue]:
        """The findings of severity error."""
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[ValidationIssue]:
        """The findings of severity warning."""
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return not self.errors


_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_QNAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
_FLAGS = re.IGNORECASE | re.DOTALL
_CREATE_TABLE = re.compile(
    rf"^CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMPORARY|TEMP|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<table>{_QNAME})\s*(?P<rest>.*)$",
    _FLAGS,
)
_CREATE_INDEX = re.compile(
    rf"^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?P<concurrently>CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?:(?!ON\b){_IDENT}\s+)?ON\s+(?:ONLY\s+)?(?P<table>{_QNAME})",
    _FLAGS,
)
_REINDEX_CONCURRENTLY = re.compile(r"^REINDEX\b.*\bCONCURRENTLY\b", _FLAGS)
_ALTER_TABLE = re.compile(
    rf"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_QNAME})\s+(?P<actions>.*)$", _FLAGS
)
_ENABLE_RLS = re.compile(r"^ENABLE\s+ROW\s+LEVEL\s+SECURITY$", _FLAGS)
_ADD_COLUMN = re.compile(
    rf"^ADD\s+(?P<column_kw>COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?P<column>{_IDENT})\s+(?P<definition>.*)$", _FLAGS
)
_TABLE_CONSTRAINT_WORDS = {"constraint", "primary", "unique", "check", "foreign", "exclude", "like"}
_NOT_NULL = re.compile(r"\bNOT\s+NULL\b", _FLAGS)
_FILLS_VALUES = re.compile(r"\b(?:DEFAULT|GENERATED)\b", _FLAGS)
_TENANT_COLUMN = "org_id"


def _simple_name(qualified: str) -> str:
    """The last part of a possibly schema-qualified name, as PostgreSQL folds it."""
    parts = re.findall(_IDENT, qualified)
    last = parts[-1] if parts else qualified
    if last.startswith('"'):
        return last[1:-1].replace('""', '"')
    return last.lower()


def _split_top_level(code: str) -> list[str]:
    """Split on commas outside parentheses (strings are already blanked)."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in code:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _parenthesized(code: str) -> str | None:
    """The content of the parenthesized group ``code`` starts with, or None."""
    if not code.startswith("("):
        return None
    depth = 0
    for i, ch in enumerate(code):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return code[1:i]
    return None


def _column_names(rest: str) -> set[str]:
    body = _parenthesized(rest)
    if body is None:
        return set()  # CREATE TABLE ... PARTITION OF / AS SELECT: no column list of its own
    names: set[str] = set()
    for element in _split_top_level(body):
        match = re.match(_IDENT, element)
        if match is None or match.group().lower() in _TABLE_CONSTRAINT_WORDS:
            continue
        names.add(_simple_name(match.group()))
    return names


def lint_migration(migration: Migration) -> list[ValidationIssue]:
    """Check a migration's UP statements for patterns that hurt a live database.

    Rules:
        ``index-without-concurrently`` (warning): ``CREATE INDEX`` without ``CONCURRENTLY`` on a table the same
        migration did not create blocks writes to it for the whole build.
        ``concurrently-in-transaction`` (error): ``CONCURRENTLY`` cannot run in a transaction; the file needs
        ``-- warp:no-transaction``.
        ``add-column-not-null-without-default`` (warning): ``ADD COLUMN ... NOT NULL`` without ``DEFAULT`` fails
        on a table that has rows (tables created by the same migration are empty and exempt).
        ``org-table-without-rls`` (warning): a new table with an ``org_id`` column whose file does not
        ``ENABLE ROW LEVEL SECURITY`` on it.

    Args:
        migration: a parsed migration.

    Returns:
        The findings, in statement order.
    """
    issues: list[ValidationIssue] = []
    created: dict[str, Statement] = {}
    tenant_tables: dict[str, Statement] = {}
    rls_enabled: set[str] = set()

    def issue(severity: Severity, code: str, message: str, statement: Statement) -> None:
        issues.append(ValidationIssue(severity, code, message, migration.path, migration.version, statement.line))

    for statement in migration.up_statements:
        code = code_only(statement.text)
        if (table := _CREATE_TABLE.match(code)) is not None:
            name = _simple_name(table.group("table"))
            created[name] = statement
            if _TENANT_COLUMN in _column_names(table.group("rest")):
                tenant_tables[name] = statement
        elif (index := _CREATE_INDEX.match(code)) is not None:
            name = _simple_name(index.group("table"))
            if index.group("concurrently") and not migration.no_transaction:
                issue(
                    Severity.ERROR,
                    "concurrently-in-transaction",
                    "CREATE INDEX CONCURRENTLY cannot run inside a transaction; add '-- warp:no-transaction' to "
                    "the header (and keep that file to statements that are safe to run again).",
                    statement,
                )
            elif not index.group("concurrently") and name not in created:
                issue(
                    Severity.WARNING,
                    "index-without-concurrently",
                    f"CREATE INDEX on the existing table {name} blocks writes to it until the index is built; "
                    "use CREATE INDEX CONCURRENTLY in a '-- warp:no-transaction' migration.",
                    statement,
                )
        elif _REINDEX_CONCURRENTLY.match(code) and not migration.no_transaction:
            issue(
                Severity.ERROR,
                "concurrently-in-transaction",
                "REINDEX CONCURRENTLY cannot run inside a transaction; add '-- warp:no-transaction' to the header.",
                statement,
            )
        elif (alter := _ALTER_TABLE.match(code)) is not None:
            name = _simple_name(alter.group("table"))
            for action in _split_top_level(alter.group("actions")):
                if _ENABLE_RLS.match(action):
                    rls_enabled.add(name)
                    continue
                add = _ADD_COLUMN.match(action)
                if add is None or name in created:
                    continue
                if not add.group("column_kw") and add.group("column").lower() in _TABLE_CONSTRAINT_WORDS:
                    continue  # ADD CONSTRAINT / ADD PRIMARY KEY ...
                definition = add.group("definition")
                if _NOT_NULL.search(definition) and not _FILLS_VALUES.search(definition):
                    column = _simple_name(add.group("column"))
                    issue(
                        Severity.WARNING,
                        "add-column-not-null-without-default",
                        f"ADD COLUMN {column} NOT NULL without a DEFAULT fails when {name} has rows; give it a "
                        "DEFAULT, or add it nullable, fill it, then SET NOT NULL.",
                        statement,
                    )
    for name, statement in tenant_tables.items():
        if name not in rls_enabled:
            issue(
                Severity.WARNING,
                "org-table-without-rls",
                f"the new table {name} has an {_TENANT_COLUMN} column but this file does not enable row-level "
                f"security on it; add 'ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;' and a tenant policy.",
                statement,
            )
    issues.sort(key=lambda i: i.line or 0)
    return _apply_allowances(migration, issues)


def _statement_for(migration: Migration, allowance: Allowance) -> int | None:
    """The line of the statement a marker speaks for: the one it sits in, else the next one below it."""
    for statement in migration.up_statements:
        last = statement.line + statement.text.count("\n")
        if statement.line <= allowance.line <= last or statement.line > allowance.line:
            return statement.line
    return None


def _apply_allowances(migration: Migration, issues: list[ValidationIssue]) -> list[ValidationIssue]:
    """Drop the findings that a marker allows; report markers that are unknown or allow nothing."""
    allowed: dict[tuple[str, int | None], Allowance] = {}
    kept: list[ValidationIssue] = []
    for allowance in migration.allowances:
        key = (allowance.code, _statement_for(migration, allowance))
        if allowance.code in LINT_RULES and (first := allowed.get(key)) is not None:
            kept.append(
                ValidationIssue(
                    Severity.WARNING,
                    "duplicate-allow",
                    f"'warp:allow {allowance.code}' repeats the marker at line {first.line} for the same statement; "
                    "keep one, with one reason.",
                    migration.path,
                    migration.version,
                    allowance.line,
                )
            )
            continue
        if allowance.code not in LINT_RULES:
            known = ", ".join(sorted(LINT_RULES))
            kept.append(
                ValidationIssue(
                    Severity.ERROR,
                    "unknown-allow",
                    f"'warp:allow {allowance.code}' names no rule the validator has; known rules: {known}.",
                    migration.path,
                    migration.version,
                    allowance.line,
                )
            )
            continue
        allowed[key] = allowance
    used: set[tuple[str, int | None]] = set()
    for issue in issues:
        key = (issue.code, issue.line)
        if issue.severity is Severity.WARNING and key in allowed:
            used.add(key)
        else:
            kept.append(issue)
    for key, allowance in allowed.items():
        if key not in used:
            kept.append(
                ValidationIssue(
                    Severity.WARNING,
                    "unused-allow",
                    f"'warp:allow {allowance.code}' allows nothing here: the statement below it does not break "
                    "that rule. Remove the marker.",
                    migration.path,
                    migration.version,
                    allowance.line,
                )
            )
    kept.sort(key=lambda i: i.line or 0)
    return kept


def _file_issues(migration: Migration) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []

    def issue(code: str, message: str) -> None:
        issues.append(ValidationIssue(Severity.WARNING, code, message, migration.path, migration.version))

    version_date = f"{migration.version[0:4]}-{migration.version[4:6]}-{migration.version[6:8]}"
    if migration.date.isoformat() != version_date:
        issue("date-mismatch", f"the header's Date {migration.date} differs from the version's date {version_date}.")
    folder = migration.path.parent.name
    if re.fullmatch(r"\d{4}", folder) and folder != migration.version[:4]:
        issue("folder-year", f"the file is in folder {folder}/ but its version is from {migration.version[:4]}.")
    if not migration.up_statements:
        issue("empty-up", "the UP section has no statements; applying it records it and changes nothing.")
    if migration.down_problem is not None:
        issue(
            "down-not-sql",
            f"the commented DOWN section is not a rollback ({migration.down_problem}), so rollback refuses it; if "
            "the migration cannot be undone, write '-- warp:irreversible: <why>' (prose as '-- -- ...'), otherwise "
            "write the statements that undo it, commented out.",
        )
    elif migration.down_sql is None and migration.irreversible is None:
        issue(
            "no-down",
            "the DOWN section is absent or has no statements, so this migration cannot be rolled back; write the "
            "statements that undo it (commented out), or say why it cannot be undone: '-- warp:irreversible: <why>'.",
        )
    if migration.down_format is DownFormat.EXECUTABLE:
        issue(
            "executable-down",
            "the DOWN section is not commented out, so 'psql -f' runs it right after the UP section; comment out "
            "every line of it ('-- ' in front; comments become '-- -- ...'), e.g. with "
            "warp_repo.migrations.comment_out_down. The recorded checksums stay valid.",
        )
    return issues


def _history_issues(conninfo: str, migrations: list[Migration]) -> list[ValidationIssue]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        history = read_history(conn)
    files = {m.version: m for m in migrations}
    issues: list[ValidationIssue] = []
    done = sorted(v for v, row in history.items() if row.success)
    newest = done[-1] if done else None
    for version, row in history.items():
        migration = files.get(version)
        if migration is None:
            if row.success:
                issues.append(
                    ValidationIssue(
                        Severity.WARNING,
                        "missing-file",
                        f"version {version} ({row.name}) is applied but no file has that version.",
                        version=version,
                    )
                )
            continue
        if not row.success:
            message = (
                f"a no-transaction run {row.error} and never finished (killed or cut off); the statements above "
                "that one are applied. Run repair: it says what to check before migrating again."
                if row.interrupted
                else f"the last attempt failed with SQLSTATE {row.sqlstate}: {row.error}"
            )
            issues.append(ValidationIssue(Severity.WARNING, "failed", message, migration.path, version))
        elif row.checksum_up != migration.checksum_up:
            issues.append(
                ValidationIssue(
                    Severity.ERROR,
                    "checksum-mismatch",
                    "the UP section was edited after it was applied; revert it and make a new migration, or run "
                    "repair if the edit changes nothing that matters.",
                    migration.path,
                    version,
                )
            )
        elif row.checksum_down != migration.checksum_down and migration.down_sql is not None:
            issues.append(
                ValidationIssue(
                    Severity.WARNING,
                    "down-edited",
                    "the DOWN section (as the engine reads it, uncommented) differs from the one recorded when the "
                    "migration was applied"
                    + (
                        " (none: an all-comment DOWN then meant 'cannot be rolled back')"
                        if not row.checksum_down
                        else ""
                    )
                    + "; rollback refuses it until you review it and run repair.",
                    migration.path,
                    version,
                )
            )
    for migration in migrations:
        recorded = history.get(migration.version)
        pending = recorded is None or not recorded.success
        if pending and newest is not None and migration.version < newest:
            issues.append(
                ValidationIssue(
                    Severity.WARNING,
                    "out-of-order",
                    f"pending but older than the newest applied migration {newest}; migrate refuses it unless "
                    "out_of_order is set.",
                    migration.path,
                    migration.version,
                )
            )
    return issues


def validate(migrations_dir: Path | None = None, conninfo: str | None = None) -> ValidationReport:
    """Check every migration file, and, given a database, the files against its history. Changes nothing.

    Args:
        migrations_dir: the migrations folder; the bundled migrations when None.
        conninfo: a database whose ``schema_migrations`` the files are compared with (checksums of applied
            migrations, missing files, failed attempts, out-of-order pending files); files only when None.

    Returns:
        The findings; ``report.ok`` is False when any is an error.
    """
    directory = bundled_migrations_dir() if migrations_dir is None else Path(migrations_dir)
    migrations, errors = scan_migrations(directory)
    issues: list[ValidationIssue] = [
        ValidationIssue(
            Severity.ERROR,
            "duplicate-version" if isinstance(error, DuplicateVersion) else "file",
            str(error),
            error.path,
            error.version,
        )
        for error in errors
    ]
    for migration in migrations:
        issues.extend(_file_issues(migration))
        issues.extend(lint_migration(migration))
    if conninfo is not None:
        issues.extend(_history_issues(conninfo, migrations))
    return ValidationReport(issues=tuple(issues), migrations=tuple(migrations))
