"""The ``schema_migrations`` table: what has been applied, when, by whom, and what failed.

One row per version. A successful row means the migration is applied (``kind`` says whether it ran or was marked
applied by ``baseline``); a failed row keeps the error of the last failed attempt so that ``status`` can show it,
and is replaced when a later attempt succeeds. A no-transaction migration, whose statements commit one by one,
records the statement it is about to run before running it (``kind`` ``started``): a run killed part-way leaves
that row behind, so the history says how far it got instead of showing nothing. The DDL is plain SQL that
CockroachDB accepts as well.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import LiteralString

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow, class_row

from warp_models.errors import MigrationError
from warp_repo.migrations._files import Migration

__all__ = ["HISTORY_TABLE", "STARTED", "History", "HistoryRow", "read_history"]

HISTORY_TABLE: LiteralString = "schema_migrations"

STARTED = "started"
"""The ``kind`` of the row of a no-transaction migration whose run has not finished (or was killed)."""

_EXCERPT = 200

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

    @property
    def interrupted(self) -> bool:
        """A no-transaction run started and never finished: killed, or still running under the migration lock."""
        return not self.success and self.kind == STARTED


class History:
    """``schema_migrations`` in one schema, fixed when a run starts.

    The table is always named with its schema, so a migration that changes ``search_path`` cannot make the
    engine write its history somewhere else.
    """

    def __init__(self, schema: str, table: str = HISTORY_TABLE) -> None:
        """Name the history table.

        Args:
            schema: the schema holding it.
            table: its name.
        """
        self.schema = schema
        self.table = table
        self._name = sql.Identifier(schema, table)

    @classmethod
    def locate(cls, conn: psycopg.Connection[TupleRow]) -> History:
        """The history table of the connection's current schema (the first existing one on ``search_path``).

        Raises:
            MigrationError: no schema of ``search_path`` exists.
        """
        row = conn.execute("SELECT current_schema()").fetchone()
        if row is None or row[0] is None:
            raise MigrationError(
                "no schema of the connection's search_path exists, so there is nowhere to keep "
                f"{HISTORY_TABLE}; create the schema or fix search_path."
            )
        return cls(str(row[0]))

    def exists(self, conn: psycopg.Connection[TupleRow]) -> bool:
        """Tell whether the table exists."""
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [self._name.as_string(conn)]).fetchone()
        return bool(row and row[0])

    def ensure(self, conn: psycopg.Connection[TupleRow]) -> None:
        """Create the table when it does not exist (callers hold the migration lock)."""
        if self.exists(conn):
            return
        with conn.transaction():
            conn.execute(sql.SQL(_CREATE).format(table=self._name, pkey=sql.Identifier(f"{self.table}_pkey")))

    def read(self, conn: psycopg.Connection[TupleRow]) -> dict[str, HistoryRow]:
        """Return every row by version (empty when the table does not exist yet)."""
        if not self.exists(conn):
            return {}
        query = sql.SQL(
            "SELECT version, name, kind, checksum_up, checksum_down, no_transaction, applied_at, applied_by,"
            " execution_ms, success, error, sqlstate FROM {} ORDER BY version"
        ).format(self._name)
        with conn.cursor(row_factory=class_row(HistoryRow)) as cur:
            return {row.version: row for row in cur.execute(query)}

    def _write(
        self,
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
            sql.SQL(_UPSERT).format(table=self._name),
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
        self, conn: psycopg.Connection[TupleRow], migration: Migration, *, execution_ms: int, kind: str = "migrate"
    ) -> None:
        """Record ``migration`` as applied (replacing a failed attempt's row)."""
        self._write(conn, migration, kind=kind, execution_ms=execution_ms, success=True)

    def record_failure(
        self,
        conn: psycopg.Connection[TupleRow],
        migration: Migration,
        *,
        execution_ms: int,
        error: str,
        sqlstate: str | None,
    ) -> None:
        """Record a failed attempt at ``migration``, with the server's message and SQLSTATE."""
        self._write(
            conn, migration, kind="migrate", execution_ms=execution_ms, success=False, error=error, sqlstate=sqlstate
        )

    def record_reached(
        self, conn: psycopg.Connection[TupleRow], migration: Migration, *, line: int, statement: str, execution_ms: int
    ) -> None:
        """Record that a no-transaction run of ``migration`` is about to run the statement at ``line``.

        Written in a transaction of its own before the statement runs, so it survives a run killed during it.
        """
        excerpt = " ".join(statement.split())
        if len(excerpt) > _EXCERPT:
            excerpt = excerpt[:_EXCERPT] + " ..."
        self._write(
            conn,
            migration,
            kind=STARTED,
            execution_ms=execution_ms,
            success=False,
            error=f"reached the statement on line {line} ({excerpt})",
        )

    def delete(self, conn: psycopg.Connection[TupleRow], version: str) -> None:
        """Remove the row of ``version`` (after a rollback, or when repair clears a failed attempt)."""
        conn.execute(sql.SQL("DELETE FROM {} WHERE version = %s").format(self._name), [version])

    def update_checksums(self, conn: psycopg.Connection[TupleRow], migration: Migration) -> None:
        """Set the recorded checksums of ``migration`` to those of its file as it is now."""
        conn.execute(
            sql.SQL("UPDATE {} SET checksum_up = %s, checksum_down = %s WHERE version = %s").format(self._name),
            [migration.checksum_up, migration.checksum_down, migration.version],
        )


def read_history(conn: psycopg.Connection[TupleRow]) -> dict[str, HistoryRow]:
    """Return the history of the connection's current schema by version (empty when there is none yet)."""
    return History.locate(conn).read(conn)
