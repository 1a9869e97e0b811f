"""Mutual exclusion between migration runs.

Every run that changes the schema (migrate, rollback, repair, baseline) holds a :class:`MigrationLock` for its
whole duration, so ten deployments starting at once apply each migration exactly once: the first one applies,
the others wait, then find nothing pending.

PostgreSQL gets :class:`AdvisoryLock` by default, a session-level advisory lock held on a connection of its own
(so the migrations' own transactions never release it, and a crashed process releases it by disconnecting).

CockroachDB has no advisory locks, so :class:`LeaseLock` keeps the lock as a row of ``schema_migrations_lease``:
whoever inserts the row, or takes it over once it has expired, holds the lock. The holder renews the row from a
heartbeat thread while it runs, so a live holder keeps it however long the migrations take; a holder that dies
stops renewing, and the next run takes over once the lease has expired, never before. Every time is the
database server's clock (``now()``), so clients with skewed clocks agree. The lease needs only plain SQL
(``INSERT ... ON CONFLICT DO UPDATE ... WHERE``), which PostgreSQL and CockroachDB share.

Everything the lease lock does is time-bounded: its connections have a connect timeout, a server-side
``statement_timeout`` and a ``tcp_user_timeout`` of a third of the ttl, and a watchdog cuts the connection of a
statement a stalled server does not answer. The lease counts as lost once no renewal has succeeded for a whole
ttl (measured from before the last successful renewal was sent, so never later than the server's expiry), or when
a renewal finds the row taken over. Runs check :attr:`MigrationLock.held` before each migration they apply or
undo and stop with :class:`MigrationLockLost`.

:func:`default_lock` picks one from the ``WARP_MIGRATION_LOCK`` setting (``advisory``, the default, or
``lease``); passing ``lock=`` to a run chooses explicitly.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import LiteralString, Protocol, Self, runtime_checkable

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import TupleRow

from warp_models.errors import ConfigurationError, MigrationError

__all__ = [
    "LEASE_TABLE",
    "LOCK_SETTING",
    "MIGRATION_LOCK_KEY",
    "AdvisoryLock",
    "LeaseLock",
    "MigrationLock",
    "MigrationLockLost",
    "default_lock",
]

logger = logging.getLogger("warp_repo.migrations")

LOCK_SETTING = "WARP_MIGRATION_LOCK"
"""The environment variable that chooses the lock of runs given no ``lock``: ``advisory`` or ``lease``."""

LEASE_TABLE: LiteralString = "schema_migrations_lease"
"""The table of :class:`LeaseLock`, in the connection's current schema (beside ``schema_migrations``)."""

MIGRATION_LOCK_KEY = 0x7761_7270_6D69_6772
"""The advisory lock key: the ASCII bytes of ``warpmigr`` read as a signed 64-bit integer."""


class MigrationLockLost(MigrationError):
    """The migration lock was lost while a run held it, so another run may be changing the schema at once.

    Runs raise it before the next migration they would apply or undo (the ones before stay applied or undone),
    and when the lock is released after it was lost.
    """


@runtime_checkable
class MigrationLock(Protocol):
    """Something that lets one migration run at a time proceed against a database."""

    @property
    def held(self) -> bool:
        """Whether this run still holds the lock; runs check it before each migration they apply or undo."""
        ...

    def acquire(self) -> None:
        """Block until this run holds the lock.

        Raises:
            MigrationError: the lock could not be obtained (e.g. a timeout ran out).
        """
        ...

    def release(self) -> None:
        """Give the lock up. Calling it when the lock is not held does nothing."""
        ...


class _HeldInBlocks:
    """``with lock:`` acquires on entry and releases on exit, for every lock class below."""

    def acquire(self) -> None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

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


class AdvisoryLock(_HeldInBlocks):
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
        """Whether this object currently holds the lock (its session, which holds it, is still open)."""
        return self._conn is not None and not self._conn.closed

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


_LEASE_CREATE: LiteralString = """
CREATE TABLE IF NOT EXISTS {table} (
    name         VARCHAR(64)  NOT NULL,
    holder       VARCHAR(200) NOT NULL,
    acquired_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ  NOT NULL,
    CONSTRAINT {pkey} PRIMARY KEY (name)
)
"""

# Insert the row, or take it over when it has expired; RETURNING says who holds it now (no row: someone else).
_LEASE_TAKE: LiteralString = """
INSERT INTO {table} AS lease (name, holder, acquired_at, expires_at)
VALUES (%(name)s, %(holder)s, now(), now() + %(ttl)s * INTERVAL '1 second')
ON CONFLICT (name) DO UPDATE SET
    holder = excluded.holder,
    acquired_at = excluded.acquired_at,
    expires_at = excluded.expires_at
WHERE lease.expires_at < now()
RETURNING holder
"""

_LEASE_RENEW: LiteralString = (
    "UPDATE {table} SET expires_at = now() + %(ttl)s * INTERVAL '1 second'"
    " WHERE name = %(name)s AND holder = %(holder)s"
)
_LEASE_DROP: LiteralString = "DELETE FROM {table} WHERE name = %(name)s AND holder = %(holder)s"


@contextlib.contextmanager
def _watchdog(conn: psycopg.Connection[TupleRow], seconds: float) -> Iterator[None]:
    """Cut ``conn``'s socket when the block has not finished after ``seconds``.

    A stalled server (stopped, or a network that still acknowledges packets) answers no statement, and neither
    ``statement_timeout`` (server-side) nor ``tcp_user_timeout`` (unacknowledged data only) ends the wait; shutting
    the socket down makes the waiting call fail with a connection error instead.
    """

    def cut() -> None:
        with contextlib.suppress(OSError, psycopg.Error):
            duplicate = socket.socket(fileno=os.dup(conn.fileno()))
            try:
                duplicate.shutdown(socket.SHUT_RDWR)
            finally:
                duplicate.close()
            logger.warning("the migration lease's database did not answer within %.1f s; connection cut", seconds)

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


class LeaseLock(_HeldInBlocks):
    """The migration lock as a row with an expiry, renewed by a heartbeat while held (CockroachDB and PostgreSQL).

    Usable as a context manager. The lease is per database (its table lives in the connection's current schema).
    """

    def __init__(
        self,
        conninfo: str,
        *,
        ttl: float = 30.0,
        heartbeat: float | None = None,
        poll: float = 0.5,
        timeout: float | None = None,
        name: str = "migrations",
    ) -> None:
        """Prepare the lock; nothing connects until :meth:`acquire`.

        Args:
            conninfo: the database to lock, as given to ``psycopg.connect``.
            ttl: seconds a lease lasts without renewal: how long the next run waits after a holder died. Each
                statement of the lock is bounded by a third of it.
            heartbeat: seconds between renewals; a third of ``ttl`` when None. Must be shorter than ``ttl``.
            poll: seconds between attempts while another run holds the lease.
            timeout: seconds to wait for the lease before giving up; None waits as long as it takes.
            name: the lease's row; runs that must exclude each other use the same one.

        Raises:
            ConfigurationError: a duration is not positive, or the heartbeat is not shorter than ``ttl``.
        """
        every = ttl / 3 if heartbeat is None else heartbeat
        if ttl <= 0 or every <= 0 or poll <= 0 or (timeout is not None and timeout < 0):
            raise ConfigurationError("LeaseLock durations must be positive (timeout may be 0 or None).")
        if every >= ttl:
            raise ConfigurationError(
                f"LeaseLock heartbeat ({every} s) must be shorter than its ttl ({ttl} s), or the lease lapses "
                "while its holder is alive."
            )
        self._conninfo = conninfo
        self._ttl = ttl
        self._every = every
        self._poll = poll
        self._timeout = timeout
        self._name = name
        self._bound = ttl / 3  # the longest any one statement of the lock may take
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(8)}"
        self._conn: psycopg.Connection[TupleRow] | None = None
        self._table: sql.Composable | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._lost: str | None = None
        self._renewed_at = 0.0  # time.monotonic() just before the last successful take or renewal was sent

    @property
    def held(self) -> bool:
        """Whether this object holds the lease: taken, not found taken over, and renewed within the last ttl."""
        if self._conn is None:
            return False
        if self._lost is None and time.monotonic() - self._renewed_at >= self._ttl:
            self._lost = (
                f"no renewal succeeded for {self._ttl:g} s (the database did not answer in time), so the lease "
                "expired and another run may have taken it"
            )
            logger.error("the migration lease was lost: %s", self._lost)
        return self._lost is None

    @property
    def lost(self) -> str | None:
        """Why the lease was lost while held, None while it is held (or was never taken)."""
        return None if self.held or self._conn is None else self._lost

    @property
    def holder(self) -> str:
        """This lock's identity in the lease row: host, process id and a random part."""
        return self._holder

    def _params(self) -> dict[str, object]:
        return {"name": self._name, "holder": self._holder, "ttl": self._ttl}

    def _connect(self) -> psycopg.Connection[TupleRow]:
        """A connection whose every wait is bounded: connecting, each statement, and unacknowledged sends."""
        params = conninfo_to_dict(self._conninfo)
        bound_ms = max(1, round(self._bound * 1000))
        options = str(params.get("options") or "")
        params["options"] = f"{options} -c statement_timeout={bound_ms}".strip()
        params.setdefault("connect_timeout", max(2, math.ceil(self._bound)))
        if psycopg.pq.version() >= 120000:  # libpq knows tcp_user_timeout since 12
            params.setdefault("tcp_user_timeout", bound_ms)
        return psycopg.connect(make_conninfo("", **params), autocommit=True)

    def _ensure_table(self, conn: psycopg.Connection[TupleRow]) -> sql.Composable:
        row = conn.execute("SELECT current_schema()").fetchone()
        if row is None or row[0] is None:
            raise MigrationError(
                f"no schema of the connection's search_path exists, so there is nowhere to keep {LEASE_TABLE}; "
                "create the schema or fix search_path."
            )
        table = sql.Identifier(str(row[0]), LEASE_TABLE)
        create = sql.SQL(_LEASE_CREATE).format(table=table, pkey=sql.Identifier(f"{LEASE_TABLE}_pkey"))
        for _ in range(5):
            try:
                conn.execute(create)
                return table
            except (
                psycopg.errors.UniqueViolation,
                psycopg.errors.DuplicateTable,
                psycopg.errors.DuplicateObject,
                psycopg.errors.SerializationFailure,
            ):
                # Two runs creating the table at the same instant: one wins, the other finds it next time. The loser
                # may fail on the table's name, its row type's (42710, "type ... already exists") or its index's.
                time.sleep(0.05)
        conn.execute(create)
        return table

    def acquire(self) -> None:
        """Take the lease, waiting while another live run holds it, then start renewing it.

        A statement that fails because runs contend for the row (SQLSTATE 40001, a serialization failure, as
        CockroachDB reports it; or the statement timeout) is tried again at the next poll.

        Raises:
            MigrationError: the wait exceeded ``timeout``.
        """
        if self._conn is not None:
            return
        conn = self._connect()
        try:
            table = self._ensure_table(conn)
            take = sql.SQL(_LEASE_TAKE).format(table=table)
            deadline = None if self._timeout is None else time.monotonic() + self._timeout
            while True:
                sent = time.monotonic()
                try:
                    with _watchdog(conn, self._bound + 0.5):
                        row = conn.execute(take, self._params()).fetchone()
                except (psycopg.errors.SerializationFailure, psycopg.errors.QueryCanceled) as exc:
                    logger.info("taking the migration lease met contention (SQLSTATE %s); trying again", exc.sqlstate)
                    row = None
                except psycopg.OperationalError as exc:
                    raise MigrationError(
                        f"could not take the migration lease: the database did not answer ({exc}). Check that the "
                        "server is up and reachable, then run again."
                    ) from exc
                if row is not None and row[0] == self._holder:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    raise MigrationError(
                        f"another migration run has held the migration lease for over {self._timeout} s; wait for "
                        f"it to finish, or look at {LEASE_TABLE} (a dead holder's lease expires after its ttl)."
                    )
                time.sleep(self._poll)
        except BaseException:
            conn.close()
            raise
        self._conn, self._table, self._lost, self._renewed_at = conn, table, None, sent
        self._stop.clear()
        self._beat = threading.Thread(target=self._renew, name="warp-migration-lease", daemon=True)
        self._beat.start()

    def _renew(self) -> None:
        """The heartbeat: renew every ``heartbeat`` seconds, reconnecting when the lock's connection broke."""
        table = self._table
        assert table is not None
        renew = sql.SQL(_LEASE_RENEW).format(table=table)
        conn = self._conn
        while not self._stop.wait(self._every):
            sent = time.monotonic()
            try:
                conn = self._conn
                if conn is None:
                    return
                if conn.closed:
                    conn = self._conn = self._connect()
                with _watchdog(conn, self._bound + 0.5):
                    renewed = conn.execute(renew, self._params()).rowcount
            except psycopg.Error:
                logger.warning("could not renew the migration lease; trying again", exc_info=True)
                if conn is not None:
                    conn.close()
                continue
            if renewed != 1:
                self._lost = "its lease expired and another run took it over"
                logger.error("the migration lease was lost: %s", self._lost)
                return
            self._renewed_at = sent
        if self._conn is None and conn is not None:
            conn.close()  # released while this renewal was running: release left the connection to it

    def release(self) -> None:
        """Stop renewing and delete the lease row, so the next run need not wait for the expiry.

        Bounded in time: a heartbeat stuck on a stalled server is waited for at most about a third of the ttl
        (its statement is cut), and the row is deleted only while the lease is still held.

        Raises:
            MigrationLockLost: the lease was lost while held (it expired, e.g. the heartbeat could not reach the
                database for a whole ttl, or another run took it over), so another run may have migrated at the
                same time.
        """
        if self._conn is None:
            return
        still_held = self.held
        self._stop.set()
        beat, self._beat = self._beat, None
        if beat is not None:
            beat.join(timeout=self._bound + 1.0)
        conn, self._conn = self._conn, None
        lost, self._lost = self._lost, None
        if beat is not None and beat.is_alive():
            # Its watchdog cuts the stuck statement soon; the thread then closes the connection and ends.
            logger.warning("the migration lease's heartbeat did not stop in time; leaving its connection to it")
        else:
            try:
                if still_held and self._table is not None and not conn.closed:
                    with contextlib.suppress(psycopg.Error), _watchdog(conn, self._bound + 0.5):
                        conn.execute(sql.SQL(_LEASE_DROP).format(table=self._table), self._params())
            finally:
                conn.close()
        if lost is not None:
            raise MigrationLockLost(
                f"the migration lease was lost while this run held it ({lost}); another run may have changed the "
                "schema at the same time. Check status, and give the lease a longer ttl."
            )


def default_lock(conninfo: str, environ: Mapping[str, str] | None = None) -> MigrationLock:
    """The lock of a run given none: the one ``WARP_MIGRATION_LOCK`` names (``advisory`` when unset).

    Args:
        conninfo: the database to lock.
        environ: where to read the setting; ``os.environ`` when None.

    Returns:
        An :class:`AdvisoryLock` or a :class:`LeaseLock` on ``conninfo``.

    Raises:
        ConfigurationError: the setting names no known lock.
    """
    value = (os.environ if environ is None else environ).get(LOCK_SETTING, "").strip().lower()
    if value in ("", "advisory"):
        return AdvisoryLock(conninfo)
    if value == "lease":
        return LeaseLock(conninfo)
    raise ConfigurationError(
        f"{LOCK_SETTING}={value!r} names no migration lock; use 'advisory' (PostgreSQL, the default) or 'lease' "
        "(CockroachDB, or any server without advisory locks)."
    )
