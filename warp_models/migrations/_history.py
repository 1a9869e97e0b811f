"""The ``schema_migrations`` table: what has been applied, when, by whom, and what failed.

One row per version. A successful row means the migration is applied (``kind`` says whether it ran or was marked
applied by ``baseline``); a failed row keeps the error of the last failed attempt so that ``status`` can show it,
and is replaced when a later attempt succeeds. The DDL is plain SQL that CockroachDB accepts as well.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import LiteralString

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow, class_row

from warp_models.migrations._files import Migration

__all__ = [
    "HISTORY_TABLE",
    "HistoryRow",
    "delete_row",
    "ensure_history_table",
    "history_exists",
    "read_history",
    "record_failure",
    "record_success",
    "update_checksums",
]

HISTORY_TABLE: LiteralString = "schema_migrations"

_TABLE = sql.Identifier(HISTORY_TABLE)

_CREATE: LiteralString = """
CREATE TABLE IF NOT EXISTS {table} (
    version         VARCHAR(12)  NOT NULL,
    name            VARCHAR(255) NOT NULL,
    kind            VARCHAR(16)  NOT NULL DEFAULT 'migrate',
    checksum_up     VARCHAR(64)  NOT NULL,
    checksum_down   VARCHAR(64),
    no_transaction  BOOLEAN      NOT NULL DEFAULT FALSE,
    applied_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    applied_by      TEXT         NOT NULL DEFAULT current_user,
    execution_ms    INTEGER      NOT NULL DEFAULT 0,
    success         BOOLEAN      NOT NULL,
    error           TEXT,
    sqlstate        VARCHAR(5),
    CONSTRAINT {pkey} PRIMARY KEY (version)
)
"""

_UPSERT: LiteralString = """
INSERT INTO {table} AS h (version, name, kind, checksum_up, checksum_down, no_transaction,
                          execution_ms, success, error, sqlstate)
VALUES (%(version)s, %(name)s, %(kind)s, %(checksum_up)s, %(checksum_down)s, %(no_transaction)s,
        %(execution_ms)s, %(success)s, %(error)s, %(sqlstate)s)
ON CONFLICT (version) DO UPDATE SET
    name = excluded.name,
    kind = excluded.kind,
    checksum_up = excluded.checksum_up,
    checksum_down = excluded.checksum_down,
    no_transaction = excluded.no_transaction,
    applied_at = now(),
    applied_by = current_user,
    execution_ms = excluded.execution_ms,
    success = excluded.success,
    error = excluded.error,
    sqlstate = excluded.sqlstate
"""


@dataclass(frozen=True)
class HistoryRow:
    """One row of ``schema_migrations``."""

    version: str
    name: str
    kind: str
    checksum_up: str
    checksum_down: str | None
    no_transaction: bool
    applied_at: dt.datetime
    applied_by: str
    execution_ms: int
    success: bool
    error: str | None
    sqlstate: str | None


def history_exists(conn: psycopg.Connection[TupleRow]) -> bool:
    """Tell whether ``schema_migrations`` exists in the connection's current schema."""
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [HISTORY_TABLE]).fetchone()
    return bool(row and row[0])


def ensure_history_table(conn: psycopg.Connection[TupleRow]) -> None:
    """Create ``schema_migrations`` when it does not exist (callers hold the migration lock)."""
    if history_exists(conn):
        return
    with conn.transaction():
        conn.execute(sql.SQL(_CREATE).format(table=_TABLE, pkey=sql.Identifier(f"{HISTORY_TABLE}_pkey")))


def read_history(conn: psycopg.Connection[TupleRow]) -> dict[str, HistoryRow]:
    """Return every row of ``schema_migrations`` by version (empty when the table does not exist yet)."""
    if not history_exists(conn):
        return {}
    query = sql.SQL(
        "SELECT version, name, kind, checksum_up, checksum_down, no_transaction, applied_at, applied_by,"
        " execution_ms, success, error, sqlstate FROM {} ORDER BY version"
    ).format(_TABLE)
    with conn.cursor(row_factory=class_row(HistoryRow)) as cur:
        return {row.version: row for row in cur.execute(query)}


def _write(
    conn: psycopg.Connection[TupleRow],
    migration: Migration,
    *,
    kind: str,
    execution_ms: int,
    success: bool,
    error: str | None = None,
    sqlstate: str | None = None,
) -> None:
    conn.execute(
        sql.SQL(_UPSERT).format(table=_TABLE),
        {
            "version": migration.version,
            "name": migration.name,
            "kind": kind,
            "checksum_up": migration.checksum_up,
            "checksum_down": migration.checksum_down,
            "no_transaction": migration.no_transaction,
            "execution_ms": execution_ms,
            "success": success,
            "error": error,
            "sqlstate": sqlstate,
        },
    )


def record_success(
    conn: psycopg.Connection[TupleRow], migration: Migration, *, execution_ms: int, kind: str = "migrate"
) -> None:
    """Record ``migration`` as applied (replacing a failed attempt's row)."""
    _write(conn, migration, kind=kind, execution_ms=execution_ms, success=True)


def record_failure(
    conn: psycopg.Connection[TupleRow],
    migration: Migration,
    *,
    execution_ms: int,
    error: str,
    sqlstate: str | None,
) -> None:
    """Record a failed attempt at ``migration``, with the server's message and SQLSTATE."""
    _write(conn, migration, kind="migrate", execution_ms=execution_ms, success=False, error=error, sqlstate=sqlstate)


def delete_row(conn: psycopg.Connection[TupleRow], version: str) -> None:
    """Remove the row of ``version`` (after a rollback, or when repair clears a failed attempt)."""
    conn.execute(sql.SQL("DELETE FROM {} WHERE version = %s").format(_TABLE), [version])


def update_checksums(conn: psycopg.Connection[TupleRow], migration: Migration) -> None:
    """Set the recorded checksums of ``migration`` to those of its file as it is now."""
    conn.execute(
        sql.SQL("UPDATE {} SET checksum_up = %s, checksum_down = %s WHERE version = %s").format(_TABLE),
        [migration.checksum_up, migration.checksum_down, migration.version],
    )
