"""Pooled connections and retried transactions over psycopg ``AsyncConnection``: ``AsyncDatabase``.

Written once, as async code, in ``database_async.py``; ``database_sync.py`` is generated from it by
``tools/async_to_sync.py`` (run it after every edit; CI runs it with ``--check``).
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, Self, TypeVar

from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from warp_repo._core.retry import RetryPolicy, gave_up, is_retryable, not_idle_error
from warp_repo.errors import ConnectionUnavailable

T = TypeVar("T")


async def async_transaction(
    target: AsyncConnection[Any] | AsyncConnectionPool[Any],
    fn: Callable[[AsyncConnection[Any]], Awaitable[T]],
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
    if isinstance(target, AsyncConnectionPool):
        async with target.connection() as conn:
            return await _attempts(conn, fn, _policy(retries, policy))
    return await _attempts(target, fn, _policy(retries, policy))


def _policy(retries: int | None, policy: RetryPolicy | None) -> RetryPolicy:
    policy = policy or RetryPolicy()
    if retries is None:
        return policy
    return RetryPolicy(retries=retries, base_delay=policy.base_delay, max_delay=policy.max_delay)


async def _attempts(
    conn: AsyncConnection[Any], fn: Callable[[AsyncConnection[Any]], Awaitable[T]], policy: RetryPolicy
) -> T:
    attempt = 0
    while True:
        attempt += 1
        if conn.info.transaction_status != TransactionStatus.IDLE:
            raise not_idle_error()
        try:
            async with conn.transaction():
                return await fn(conn)
        except Exception as exc:
            if not is_retryable(exc):
                raise
            if attempt > policy.retries:
                raise gave_up(exc, attempt) from exc
        await asyncio.sleep(policy.delay(attempt))


_RESET_SESSION = "RESET ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP"
"""Undo what a borrower may have left in the session: settings (``warp.org_id`` set session-wide, a
``search_path``), listeners, advisory locks and temporary tables. Prepared statements are kept: they are the
driver's, and they are what makes the cached statements fast."""


async def _reset_session(conn: AsyncConnection[Any]) -> None:
    autocommit = conn.autocommit
    await conn.set_autocommit(True)
    await conn.execute(_RESET_SESSION)
    await conn.set_autocommit(autocommit)


async def _read_only(conn: AsyncConnection[Any]) -> None:
    await conn.set_read_only(True)


class AsyncDatabase:
    """Pooled connections for the repositories: one pool for writes and, optionally, one for reads.

    Sessions run in UTC (``TimeZone=UTC``, so ``DEFAULT NOW()`` stores UTC like the SDK does), a connection is
    checked before it is lent and its session state reset when it comes back, and waiting for a connection is
    bounded by ``timeout``::

        async with AsyncDatabase(url, read_url=replica_url) as db:
            async with db.connection() as conn:          # committed when the block ends without error
                await AsyncTrunkRepo(conn).for_org(org_id).insert(create)
            async with db.read_connection() as conn:     # a read-only session, on the replica when there is one
                rows = await AsyncTrunkRepo(conn).by_org(org_id)
            await db.transaction(unit_of_work)           # retried on serialization failures

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
        configure: Callable[[AsyncConnection[Any]], Awaitable[None]] | None,
    ) -> AsyncConnectionPool[AsyncConnection[Any]]:
        options = conninfo_to_dict(url).get("options")
        utc = f"{options} -c TimeZone=UTC" if options else "-c TimeZone=UTC"
        return AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=self._timeout,
            name=name,
            kwargs={"options": utc},
            configure=configure,
            check=AsyncConnectionPool.check_connection,
            reset=_reset_session,
            open=False,
        )

    async def open(self) -> None:
        """Open the pools and wait until each holds ``min_size`` connections (at most ``timeout`` seconds)."""
        for pool in self._pools():
            try:
                await pool.open(wait=True, timeout=self._timeout)
            except PoolTimeout as exc:
                raise self._unavailable(pool) from exc

    async def close(self) -> None:
        """Close the pools; connections lent out are closed when they come back."""
        for pool in self._pools():
            await pool.close()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        """A connection of the write pool: committed when the block ends normally, rolled back on an error.

        Raises:
            ConnectionUnavailable: no connection became free within ``timeout``.
        """
        async with self._lend(self._write) as conn:
            yield conn

    @asynccontextmanager
    async def read_connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        """A read-only connection of the read pool (the write pool when there is no replica).

        Raises:
            ConnectionUnavailable: no connection became free within ``timeout``.
        """
        if self._read is None:
            async with self._lend(self._write) as conn:
                await conn.set_read_only(True)
                try:
                    yield conn
                except BaseException:
                    await conn.rollback()
                    raise
                else:
                    # A read-only transaction has nothing to undo; committing keeps the driver's prepared statements,
                    # which a rollback would discard.
                    await conn.commit()
                finally:
                    await conn.set_read_only(False)
        else:
            async with self._lend(self._read) as conn:
                yield conn

    async def transaction(
        self,
        fn: Callable[[AsyncConnection[Any]], Awaitable[T]],
        *,
        retries: int | None = None,
        policy: RetryPolicy | None = None,
    ) -> T:
        """Run ``fn`` in a transaction of a write connection, retried on serialization failures and deadlocks."""
        async with self._lend(self._write) as conn:
            return await _attempts(conn, fn, _policy(retries, policy))

    @asynccontextmanager
    async def _lend(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> AsyncIterator[AsyncConnection[Any]]:
        lent = False
        try:
            async with pool.connection(timeout=self._timeout) as conn:
                lent = True
                yield conn
        except PoolTimeout as exc:
            if lent:
                raise
            raise self._unavailable(pool) from exc

    def _unavailable(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> ConnectionUnavailable:
        return ConnectionUnavailable(
            f"no connection of pool {pool.name} became free within {self._timeout:g} s (max_size={self._max_size}): "
            "raise max_size or timeout, keep transactions shorter, or check that the database answers"
        )

    def _pools(self) -> builtins.list[AsyncConnectionPool[AsyncConnection[Any]]]:
        return [self._write] if self._read is None else [self._write, self._read]
