# Generated from warp_repo/_core/database_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Pooled connections and retried transactions over psycopg ``Connection``: ``Database``.

Written once, as async code, in ``database_async.py``; ``database_sync.py`` is generated from it by
``tools/async_to_sync.py`` (run it after every edit; CI runs it with ``--check``).
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self, TypeVar

from psycopg import Connection
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool, PoolTimeout

from warp_repo._core.retry import RetryPolicy, gave_up, is_retryable, not_idle_error
from warp_repo.errors import ConnectionUnavailable

T = TypeVar("T")


def transaction(
    target: Connection[Any] | ConnectionPool[Any],
    fn: Callable[[Connection[Any]], T],
    *,
    retries: int | None = None,
    policy: RetryPolicy | None = None,
) -> T:
    """Run ``fn(conn)`` in a transaction, running it again after a serialization failure or deadlock.

    Each attempt is a whole transaction (``BEGIN`` ... ``COMMIT``), so ``fn`` must do all its work through the
    connection it is given and be safe to run more than once; its effects are committed exactly once.

    Args:
        target: a connection outside any transaction, or a pool to take one from.
        fn: the unit of work.
        retries: how many times to run it again (overrides ``policy.retries``); 5 by default.
        policy: the backoff between attempts.

    Raises:
        SerializationFailure: the last allowed attempt failed too (``attempts`` says how many ran).
        QueryError: the connection is already inside a transaction.
    """
    if isinstance(target, ConnectionPool):
        with target.connection() as conn:
            return _attempts(conn, fn, _policy(retries, policy))
    return _attempts(target, fn, _policy(retries, policy))


def _policy(retries: int | None, policy: RetryPolicy | None) -> RetryPolicy:
    policy = policy or RetryPolicy()
    if retries is None:
        return policy
    return RetryPolicy(retries=retries, base_delay=policy.base_delay, max_delay=policy.max_delay)


def _attempts(conn: Connection[Any], fn: Callable[[Connection[Any]], T], policy: RetryPolicy) -> T:
    attempt = 0
    while True:
        attempt += 1
        if conn.info.transaction_status != TransactionStatus.IDLE:
            raise not_idle_error()
        try:
            with conn.transaction():
                return fn(conn)
        except Exception as exc:
            if not is_retryable(exc):
                raise
            if attempt > policy.retries:
                raise gave_up(exc, attempt) from exc
        time.sleep(policy.delay(attempt))


_RESET_SESSION = "RESET ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP"
"""Undo what a borrower may have left in the session: settings (``warp.org_id`` set session-wide, a
``search_path``), listeners, advisory locks and temporary tables. Prepared statements are kept: they are the
driver's, and they are what makes the cached statements fast."""


def _reset_session(conn: Connection[Any]) -> None:
    autocommit = conn.autocommit
    conn.set_autocommit(True)
    conn.execute(_RESET_SESSION)
    conn.set_autocommit(autocommit)


def _read_only(conn: Connection[Any]) -> None:
    conn.set_read_only(True)


class Database:
    """Pooled connections for the repositories: one pool for writes and, optionally, one for reads.

    Sessions run in UTC (``TimeZone=UTC``, so ``DEFAULT NOW()`` stores UTC like the SDK does), a connection is
    checked before it is lent and its session state reset when it comes back, and waiting for a connection is
    bounded by ``timeout``::

        with Database(url, read_url=replica_url) as db:
            with db.connection() as conn:          # committed when the block ends without error
                TrunkRepo(conn).for_org(org_id).insert(create)
            with db.read_connection() as conn:     # a read-only session, on the replica when there is one
                rows = TrunkRepo(conn).by_org(org_id)
            db.transaction(unit_of_work)           # retried on serialization failures

    Args:
        url: the primary database.
        read_url: a replica for ``read_connection``; reads go to the primary when ``None``.
        min_size: connections each pool keeps open.
        max_size: the most connections each pool opens.
        timeout: seconds to wait for a free connection before ``ConnectionUnavailable``.
        name: a prefix for the pools' names, in logs and errors.
    """

    def __init__(
        self,
        url: str,
        *,
        read_url: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 10.0,
        name: str = "warp",
    ) -> None:
        self._timeout = timeout
        self._max_size = max_size
        self._write = self._pool(url, f"{name}-write", min_size, max_size, None)
        self._read = self._pool(read_url, f"{name}-read", min_size, max_size, _read_only) if read_url else None

    def _pool(
        self,
        url: str,
        name: str,
        min_size: int,
        max_size: int,
        configure: Callable[[Connection[Any]], None] | None,
    ) -> ConnectionPool[Connection[Any]]:
        options = conninfo_to_dict(url).get("options")
        utc = f"{options} -c TimeZone=UTC" if options else "-c TimeZone=UTC"
        return ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=self._timeout,
            name=name,
            kwargs={"options": utc},
            configure=configure,
            check=ConnectionPool.check_connection,
            reset=_reset_session,
            open=False,
        )

    def open(self) -> None:
        """Open the pools and wait until each holds ``min_size`` connections (at most ``timeout`` seconds)."""
        for pool in self._pools():
            try:
                pool.open(wait=True, timeout=self._timeout)
            except PoolTimeout as exc:
                raise self._unavailable(pool) from exc

    def close(self) -> None:
        """Close the pools; connections lent out are closed when they come back."""
        for pool in self._pools():
            pool.close()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def connection(self) -> Iterator[Connection[Any]]:
        """A connection of the write pool: committed when the block ends normally, rolled back on an error.

        Raises:
            ConnectionUnavailable: no connection became free within ``timeout``.
        """
        with self._lend(self._write) as conn:
            yield conn

    @contextmanager
    def read_connection(self) -> Iterator[Connection[Any]]:
        """A read-only connection of the read pool (the write pool when there is no replica).

        Raises:
            ConnectionUnavailable: no connection became free within ``timeout``.
        """
        if self._read is None:
            with self._lend(self._write) as conn:
                conn.set_read_only(True)
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                else:
                    # A read-only transaction has nothing to undo; committing keeps the driver's prepared statements,
                    # which a rollback would discard.
                    conn.commit()
                finally:
                    conn.set_read_only(False)
        else:
            with self._lend(self._read) as conn:
                yield conn

    def transaction(
        self,
        fn: Callable[[Connection[Any]], T],
        *,
        retries: int | None = None,
        policy: RetryPolicy | None = None,
    ) -> T:
        """Run ``fn`` in a transaction of a write connection, retried on serialization failures and deadlocks."""
        with self._lend(self._write) as conn:
            return _attempts(conn, fn, _policy(retries, policy))

    @contextmanager
    def _lend(self, pool: ConnectionPool[Connection[Any]]) -> Iterator[Connection[Any]]:
        lent = False
        try:
            with pool.connection(timeout=self._timeout) as conn:
                lent = True
                yield conn
        except PoolTimeout as exc:
            if lent:
                raise
            raise self._unavailable(pool) from exc

    def _unavailable(self, pool: ConnectionPool[Connection[Any]]) -> ConnectionUnavailable:
        return ConnectionUnavailable(
            f"no connection of pool {pool.name} became free within {self._timeout:g} s (max_size={self._max_size}): "
            "raise max_size or timeout, keep transactions shorter, or check that the database answers"
        )

    def _pools(self) -> builtins.list[ConnectionPool[Connection[Any]]]:
        return [self._write] if self._read is None else [self._write, self._read]
