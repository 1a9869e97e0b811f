"""Mutual exclusion between migration runs.

Every run that changes the schema (migrate, rollback, repair, baseline) holds a :class:`MigrationLock` for its
whole duration, so ten deployments starting at once apply each migration exactly once: the first one applies,
the others wait, then find nothing pending.

PostgreSQL gets :class:`AdvisoryLock`, a session-level advisory lock held on a connection of its own (so the
migrations' own transactions never release it, and a crashed process releases it by disconnecting).
CockroachDB has no advisory locks; it will get another implementation of the same protocol (a lease row).
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

import psycopg
from psycopg.rows import TupleRow

from warp_models.errors import MigrationError

__all__ = ["MIGRATION_LOCK_KEY", "AdvisoryLock", "MigrationLock"]

MIGRATION_LOCK_KEY = 0x7761_7270_6D69_6772
"""The advisory lock key: the ASCII bytes of ``warpmigr`` read as a signed 64-bit integer."""


@runtime_checkable
class MigrationLock(Protocol):
    """Something that lets one migration run at a time proceed against a database."""

    def acquire(self) -> None:
        """Block until this run holds the lock.

        Raises:
            MigrationError: the lock could not be obtained (e.g. a timeout ran out).
        """
        ...

    def release(self) -> None:
        """Give the lock up. Calling it when the lock is not held does nothing."""
        ...


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock on a dedicated connection (PostgreSQL-only).

    Usable as a context manager. Advisory locks are per database, so runs against different databases of one
    server do not wait for each other.
    """

    def __init__(self, conninfo: str, *, key: int = MIGRATION_LOCK_KEY, timeout: float | None = None) -> None:
        """Prepare the lock; nothing connects until :meth:`acquire`.

        Args:
            conninfo: the database to lock, as given to ``psycopg.connect``.
            key: the advisory lock key; every run that must exclude the others uses the same one.
            timeout: seconds to wait for the lock before giving up; None waits as long as it takes.
        """
        self._conninfo = conninfo
        self._key = key
        self._timeout = timeout
        self._conn: psycopg.Connection[TupleRow] | None = None

    @property
    def held(self) -> bool:
        """Whether this object currently holds the lock."""
        return self._conn is not None

    def acquire(self) -> None:
        """Connect and wait for the lock.

        Raises:
            MigrationError: the wait exceeded ``timeout``.
        """
        if self._conn is not None:
            return
        conn = psycopg.connect(self._conninfo, autocommit=True)
        try:
            if self._timeout is not None:
                conn.execute("SELECT set_config('lock_timeout', %s, false)", [f"{int(self._timeout * 1000)}ms"])
            conn.execute("SELECT pg_advisory_lock(%s)", [self._key])
        except psycopg.errors.LockNotAvailable as exc:
            conn.close()
            raise MigrationError(
                f"another migration run has held the migration lock for over {self._timeout} s; "
                "wait for it to finish, or look for a stuck session in pg_locks (locktype 'advisory')."
            ) from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def release(self) -> None:
        """Unlock and close the lock's connection."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            # Closing the session releases the lock too, so a failed unlock loses nothing.
            with contextlib.suppress(psycopg.Error):
                conn.execute("SELECT pg_advisory_unlock(%s)", [self._key])
        finally:
            conn.close()

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
