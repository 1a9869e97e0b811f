"""Starting a new migration file from the house template, and bringing an older file to it."""

from __future__ import annotations

import datetime as dt
import getpass
import re
from pathlib import Path

from warp_models.errors import MigrationError, MigrationFileError
from warp_repo.migrations._files import NAME_RE, _sql_files

__all__ = ["comment_out_down", "new_migration", "render_template"]

_BANNER = "-- ============================================"
_DOWN_MARKER = re.compile(r"^--\s*DOWN\s+MIGRATION(?:\s*\(\s*rollback\s*\))?\s*$", re.I)
_BANNER_LINE = re.compile(r"^--\s*={3,}\s*$")
_DAY_FILE = re.compile(r"^(?P<date>\d{8})_(?P<seq>\d{3})_.*\.sql$")


def render_template(
    version: str, name: str, *, author: str, date: dt.date, description: str, no_transaction: bool = False
) -> str:
    """Return the text of a new, empty migration file.

    Args:
        version: ``YYYYMMDD_NNN``.
        name: the snake_case name.
        author: the header's Author.
        date: the header's Date.
        description: the header's Description.
        no_transaction: add the ``-- warp:no-transaction`` directive (and leave out BEGIN/COMMIT).

    Returns:
        The file's text, ending with a newline. Its DOWN section is commented out line by line, so that psql
        runs only the UP section; the engine reads it without the comment marks.
    """
    header = [
        f"-- Migration: {version}_{name}",
        f"-- Author: {author}",
        f"-- Date: {date.isoformat()}",
        f"-- Description: {description}",
    ]
    if no_transaction:
        header.append("-- warp:no-transaction")
    begin, commit = ([], []) if no_transaction else (["BEGIN;", ""], ["", "COMMIT;"])
    lines = [
        *header,
        "",
        _BANNER,
        "-- UP MIGRATION",
        _BANNER,
        "",
        *begin,
        "-- Write the change here.",
        *commit,
        "",
        _BANNER,
        "-- DOWN MIGRATION (Rollback)",
        _BANNER,
        "",
        *(f"-- {line}" if line else "" for line in begin),
        "-- -- Write the statements that undo the UP section, in reverse order, each line commented out like",
        "-- -- this block, so that psql -f runs only the UP section; rollback runs them without the first '-- '.",
        "-- -- A change that cannot be undone says so instead, with one line: -- warp:irreversible: <why>",
        *(f"-- {line}" if line else "" for line in commit),
        "",
    ]
    return "\n".join(lines)


def comment_out_down(text: str) -> str:
    """Return a migration file's text with its DOWN section commented out line by line (the current format).

    Lines that are already comments get a second ``--`` so that the engine, which takes one ``-- `` off every
    line, reads the same DOWN section as before: the recorded DOWN checksum of an applied migration still
    matches. A file without a DOWN section, or whose DOWN section is already all comments, is returned as is.

    Args:
        text: the file's content.

    Returns:
        The converted content.
    """
    lines = text.split("\n")
    marker = next((i for i, line in enumerate(lines) if _DOWN_MARKER.match(line.strip())), None)
    if marker is None:
        return text
    start = marker + 1
    while start < len(lines) and (_BANNER_LINE.match(lines[start].strip()) or not lines[start].strip()):
        start += 1
    body = lines[start:]
    if all(not line.strip() or line.lstrip().startswith("--") for line in body):
        return text
    converted = [f"-- {line}" if line.strip() else line for line in body]
    return "\n".join([*lines[:start], *converted])


def _default_author() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def new_migration(
    name: str,
    migrations_dir: Path,
    *,
    today: dt.date | None = None,
    author: str | None = None,
    description: str | None = None,
    no_transaction: bool = False,
) -> Path:
    """Write ``YYYY/YYYYMMDD_NNN_<name>.sql`` from the template, numbered after the day's existing files.

    The new file has empty UP and DOWN sections; it is valid (``validate`` warns that it is empty) so that it can
    be committed before it is filled in.

    Args:
        name: the descriptive part, lower-case snake_case (``add_trunk_labels``).
        migrations_dir: the migrations folder; the year folder is created when missing.
        today: the date of the version (today when None).
        author: the header's Author (the current OS user when None).
        description: the header's Description (the name in words when None).
        no_transaction: write a ``-- warp:no-transaction`` migration.

    Returns:
        The path of the new file.

    Raises:
        MigrationFileError: the name is not snake_case; the folder is a file, or holds a folder that cannot be
            listed.
        MigrationError: the day already has 999 migrations.
    """
    if NAME_RE.match(name) is None:
        raise MigrationFileError(
            f"the migration name {name!r} is not lower-case snake_case: use letters, digits and single "
            "underscores, starting with a letter (e.g. 'add_trunk_labels')."
        )
    day = today or dt.date.today()
    stamp = day.strftime("%Y%m%d")
    # Every file counts, in folders at any depth; one that cannot be listed is an error (a skipped folder could
    # hold the number this would hand out again). A folder that does not exist yet holds none.
    existing = _sql_files(Path(migrations_dir)) if Path(migrations_dir).exists() else []
    used = [
        int(match.group("seq"))
        for path in existing
        if (match := _DAY_FILE.match(path.name)) is not None and match.group("date") == stamp
    ]
    sequence = max(used, default=0) + 1
    if sequence > 999:
        raise MigrationError(f"{stamp} already has 999 migrations; no number is left for that day.")
    version = f"{stamp}_{sequence:03d}"
    folder = Path(migrations_dir) / f"{day:%Y}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}_{name}.sql"
    text = render_template(
        version,
        name,
        author=author or _default_author(),
        date=day,
        description=description or name.replace("_", " ").capitalize(),
        no_transaction=no_transaction,
    )
    with path.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path
