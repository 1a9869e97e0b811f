"""Writing migration files for tests, and reading a database's catalog back."""

from __future__ import annotations

from pathlib import Path
from typing import LiteralString

import psycopg

BANNER = "-- ============================================"


def migration_text(
    version: str,
    name: str,
    up: str,
    down: str | None = None,
    *,
    no_transaction: bool = False,
    description: str = "A test migration",
    executable_down: bool = False,
) -> str:
    """The text of a migration file in the house layout; ``down=None`` leaves the DOWN section out.

    The DOWN section is commented out line by line, as in the bundled files, unless ``executable_down`` asks for
    the earlier format (statements psql would run too).
    """
    date = f"{version[0:4]}-{version[4:6]}-{version[6:8]}"
    lines = [
        f"-- Migration: {version}_{name}",
        "-- Author: tests",
        f"-- Date: {date}",
        f"-- Description: {description}",
    ]
    if no_transaction:
        lines.append("-- warp:no-transaction")
    lines += ["", BANNER, "-- UP MIGRATION", BANNER, "", up.strip(), ""]
    if down is not None:
        body = down.strip().split("\n")
        if not executable_down:
            body = [f"-- {line}" if line.strip() else line for line in body]
        lines += [BANNER, "-- DOWN MIGRATION (Rollback)", BANNER, "", *body, ""]
    return "\n".join(lines)


def write_migration(
    directory: Path,
    version: str,
    name: str,
    up: str,
    down: str | None = None,
    *,
    no_transaction: bool = False,
    executable_down: bool = False,
) -> Path:
    """Write a migration file under ``directory/YYYY/`` and return its path."""
    folder = directory / version[:4]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}_{name}.sql"
    text = migration_text(version, name, up, down, no_transaction=no_transaction, executable_down=executable_down)
    path.write_text(text, encoding="utf-8")
    return path


def tables(url: str) -> set[str]:
    """Ordinary and partitioned tables of the public schema that are not partitions."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        ).fetchall()
    return {row[0] for row in rows}


def scalar(url: str, query: LiteralString, *params: object) -> object:
    """The first column of the first row of ``query``."""
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params or None).fetchone()
    assert row is not None
    return row[0]
