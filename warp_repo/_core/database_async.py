"""Pooled connections and retried transactions over psycopg ``AsyncConnection``: ``AsyncDatabase``.

Written once, as async code, in ``database_async.py``; ``database_sync.py`` is generated from it by
``tools/async_to_sync.py`` (run it after every edit; CI runs it with ``--check``).

Every wait is bounded. A new connection has ``connect_timeout`` seconds (libpq's rule: whole seconds, 2 at
least); a statement runs at most ``statement_timeout`` seconds on the server, which then cancels it (SQLSTATE
57014, ``StatementTimeout``); and a server that sends nothing back at all (a stalled machine, a network that
drops packets silently) is given ``statement_timeout + connect_timeout`` seconds, after which the connection is
closed and the call raises ``ConnectionLost``. A lost connection says whether the transaction is known not to
have committed (it broke before ``COMMIT``: ``committed is False``) or may have (during ``COMMIT``: ``None``).

Reads may go to a replica (``read_url``). A replica replays the primary's WAL a little later, so a read right
after a write may not see it; a ``DatabaseSession`` (``db.session(token)``) carries the WAL position of its last
commit (a short string, ``token``, that a service can keep in a session cookie between requests), and its reads
wait, at most ``replica_wait`` seconds, until the replica has replayed that position, else read from the
primary. A replica that cannot lend a connection within ``replica_wait`` is skipped the same way. Each fallback
is logged (logger ``warp_repo.database``) and counted (``read_fallbacks``).
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Any, Self, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg.abc import PQGen
from psycopg.conninfo import conninfo_to_dict
from psycopg.pq import TransactionStatus
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from warp_repo._core.retry import (
    RetryPolicy,
    connection_lost,
    gave_up,
    is_retryable,
    lost_before_commit,
    not_idle_error,
)
from warp_repo._settings import resolve_timeouts
from warp_repo.errors import ConnectionUnavailable, QueryError, _ServerNotAnswering, translate

T = TypeVar("T")
RV = TypeVar("RV")

_log = logging.getLogger("warp_repo.database")

_WAL_POSITION = "SELECT pg_current_wal_lsn()::text"
"""Where the primary's WAL ends: read right after a COMMIT, it is at or past that commit's record."""
_REPLAYED = "SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, NOT pg_is_in_recovery())"
"""Whether a replica has replayed a position (a server that is not in recovery has everything it wrote)."""
_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")
_REPLAY_POLL = 0.01


def wal_position(token: str) -> int:
    """The WAL position a read-your-writes token names, as a number (tokens compare by it).

    Raises:
        QueryError: the token is not a WAL position (``16/B374D848``): it was altered or is not one.
    """
    match = _LSN.fullmatch(token)
    if match is None:
        raise QueryError(
            f"{token[:40]!r} is not a read-your-writes token (a WAL position such as '16/B374D848'): "
            "pass back the DatabaseSession.token the SDK gave, unchanged"
        )
    return (int(match[1], 16) << 32) + int(match[2], 16)


def _answered_within(gen: PQGen[RV], limit: float) -> Generator[Any, Any, RV]:
    """Drive one exchange with the server (psycopg's I/O generator), giving up after ``limit`` seconds of silence.

    psycopg wakes the generator every 0.1 s with nothing ready while it waits for the socket; past the deadline
    the wait ends with ``_ServerNotAnswering`` instead of going on forever.
    """
    deadline = time.monotonic() + limit
    try:
        state = next(gen)
        while True:
            ready = yield state
            if not ready and time.monotonic() > deadline:
                gen.close()
                raise _ServerNotAnswering(f"the server sent nothing back within {limit:g} s")
            state = gen.send(ready)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


class _BoundedConnection(AsyncConnection[Any]):
    """A connection that stops waiting for a server that does not answer, and closes itself when it does.

    ``answer_within`` is set by the pool that opens it; ``None`` waits as long as the driver does (forever).
    """

    answer_within: float | None = None

    async def wait(self, gen: PQGen[RV], *args: Any, **kwargs: Any) -> RV:
        """Consume a psycopg I/O generator, bounded by ``answer_within`` unless the caller gave a timeout."""
        limit = self.answer_within
        if limit is None or kwargs.get("timeout") is not None:
            return await super().wait(gen, *args, **kwargs)
        try:
            return await super().wait(_answered_within(gen, limit), *args, **kwargs)
        except _ServerNotAnswering:
            # The protocol state is unknown: the connection cannot be used again, and the pool discards it.
            self.pgconn.finish()
            raise


async def async_transaction(
    target: AsyncConnection[Any] | AsyncConnectionPool[Any],
    fn: Callable[[AsyncConnection[Any]], Awaitable[T]],
    *,
    retries: int | None = None,
    policy: RetryPolicy | None = None,
) -> T:
    """Run ``fn(conn)`` in a transaction, running it again after a serialization failure or deadlock.

    Each attempt is a whole transaction (``BEGIN`` ... ``COMMIT``), so ``fn`` must do all its work through the
    connection it is given and be safe to run more than once; its effects are committed exactly once. Given a
    pool, a unit of work whose connection broke before ``COMMIT`` (``ConnectionLost`` with ``committed`` False)
    is run again on a new connection; one that broke during ``COMMIT`` never is: its outcome is unknown.

    Args:
        target: a connection outside any transaction, or a pool to take one from.
        fn: the unit of work.
        retries: how many times to run it again (overrides ``policy.retries``); 5 by default.
        policy: the backoff between attempts.

    Raises:
        SerializationFailure: the last allowed attempt failed too (``attempts`` says how many ran).
        ConnectionLost: the connection broke; ``committed`` says whether the outcome is known.
        QueryError: the connection is already inside a transaction.
    """
    if isinstance(target, AsyncConnectionPool):
        pool = target

        def lend() -> AbstractAsyncContextManager[AsyncConnection[Any]]:
            return pool.connection()

        return await _attempts(lend, fn, _policy(retries, policy), renewable=True)

    def same() -> AbstractAsyncContextManager[AsyncConnection[Any]]:
        return _same(target)

    return await _attempts(same, fn, _policy(retries, policy), renewable=False)


@asynccontextmanager
async def _same(conn: AsyncConnection[Any]) -> AsyncIterator[AsyncConnection[Any]]:
    yield conn


def _policy(retries: int | None, policy: RetryPolicy | None) -> RetryPolicy:
    policy = policy or RetryPolicy()
    if retries is None:
        return policy
    return RetryPolicy(retries=retries, base_delay=policy.base_delay, max_delay=policy.max_delay)


async def _attempts(
    lend: Callable[[], AbstractAsyncContextManager[AsyncConnection[Any]]],
    fn: Callable[[AsyncConnection[Any]], Awaitable[T]],
    policy: RetryPolicy,
    *,
    renewable: bool,
    on_commit: Callable[[AsyncConnection[Any]], Awaitable[None]] | None = None,
) -> T:
    """Run ``fn`` until it commits: again after a lost race, and (``renewable``) after a connection lost early."""
    attempt = 0
    while True:
        attempt += 1
        try:
            async with lend() as conn:
                result = await _attempt(conn, fn)
                if on_commit is not None:
                    await on_commit(conn)
                return result
        except Exception as exc:
            again = is_retryable(exc) or (renewable and lost_before_commit(exc))
            if not again:
                raise
            if attempt > policy.retries:
                if lost_before_commit(exc):
                    raise
                raise gave_up(exc, attempt) from exc
        await asyncio.sleep(policy.delay(attempt))


async def _attempt(conn: AsyncConnection[Any], fn: Callable[[AsyncConnection[Any]], Awaitable[T]]) -> T:
    """One run of ``fn`` in a transaction; a broken connection says whether it broke before or during COMMIT."""
    if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
        raise not_idle_error()
    committing = False
    try:
        async with conn.transaction():
            result = await fn(conn)
            committing = True
        return result
    except Exception as exc:
        lost = connection_lost(exc, None if committing else False)
        if lost is None:
            if committing and isinstance(exc, psycopg.Error):
                raise translate(exc) from exc  # COMMIT itself refused (a deferred constraint, a lost race)
            raise
        if lost is exc:
            raise
        raise lost from exc


_RESET_SESSION = "RESET ALL; UNLISTEN *; SELECT pg_advisory_unlock_all(); DISCARD TEMP"
"""Undo what a borrower may have left in the session: settings (``warp.org_id`` set session-wide, a
``search_path``), listeners, advisory locks and temporary tables. Prepared statements are kept: they are the
driver's, and they are what makes the cached statements fast. ``RESET ALL`` keeps what the connection was opened
with (``TimeZone``, ``statement_timeout``)."""


async def _reset_session(conn: AsyncConnection[Any]) -> None:
    autocommit = conn.autocommit
    await conn.set_autocommit(True)
    await conn.execute(_RESET_SESSION)
    await conn.set_autocommit(autocommit)


class AsyncDatabase:
    """Pooled connections for the repositories: one pool for writes and, optionally, one for reads.

    Sessions run in UTC (``TimeZone=UTC``, so ``DEFAULT NOW()`` stores UTC like the SDK does), a connection is
    checked before it is lent and its session state reset when it comes back, waiting for a connection is
    bounded by ``timeout``, connecting by ``connect_timeout`` and each statement by ``statement_timeout``::

        async with AsyncDatabase(url, read_url=replica_url) as db:
            async with db.connection() as conn:          # committed when the block ends without error
                await AsyncTrunkRepo(conn).for_org(org_id).insert(create)
            async with db.read_connection() as conn:     # a read-only session, on the replica when there is one
                rows = await AsyncTrunkRepo(conn).by_org(org_id)
            await db.transaction(unit_of_work)           # retried on serialization failures

    A server that stops answering (stalled, or cut off without a reset) makes a call fail with ``ConnectionLost``
    after ``statement_timeout + connect_timeout`` seconds, and the connection is closed: no thread stays blocked.

    Args:
        url: the primary database. Several hosts (``postgresql://h1,h2/db?target_session_attrs=read-write``)
            make the write pool follow a failover: each new connection goes to the host that accepts writes.
        read_url: a replica for ``read_connection``; reads go to the primary when ``None``.
        min_size: connections each pool keeps open.
        max_size: the most connections each pool opens.
        timeout: seconds to wait for a free connection before ``ConnectionUnavailable``.
        connect_timeout: seconds a new connection may take; ``WARP_DB_CONNECT_TIMEOUT``, else 5, when ``None``.
        statement_timeout: seconds a statement may run (``StatementTimeout`` past it), ``0`` for no bound;
            ``WARP_DB_STATEMENT_TIMEOUT``, else 30, when ``None``.
        replica_wait: seconds a read of ``read_url`` may wait for a connection of the replica, or for the replica
            to replay a session's last commit, before it reads from the primary instead.
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
        connect_timeout: float | None = None,
        statement_timeout: float | None = None,
        replica_wait: float = 1.0,
        name: str = "warp",
    ) -> None:
        timeouts = resolve_timeouts(connect_timeout, statement_timeout)
        self._timeout = timeout
        self._replica_wait = replica_wait
        self._fallbacks = 0
        self._max_size = max_size
        self._connect_timeout = max(2, math.ceil(timeouts.connect))
        self._statement_timeout = timeouts.statement
        self._answer_within = None if timeouts.statement is None else timeouts.statement + self._connect_timeout
        self._write = self._pool(url, f"{name}-write", min_size, max_size, read_only=False)
        self._read = self._pool(read_url, f"{name}-read", min_size, max_size, read_only=True) if read_url else None

    @property
    def connect_timeout(self) -> int:
        """Seconds a new connection may take (whole seconds, 2 at least, as libpq counts them)."""
        return self._connect_timeout

    @property
    def statement_timeout(self) -> float | None:
        """Seconds a statement may run on the server, or ``None`` for no bound."""
        return self._statement_timeout

    @property
    def read_fallbacks(self) -> int:
        """How many reads meant for the replica went to the primary (replica behind, or unavailable)."""
        return self._fallbacks

    def session(self, token: str | None = None) -> AsyncDatabaseSession:
        """A caller's session: its reads see its own commits, even on a replica (see ``AsyncDatabaseSession``).

        Args:
            token: the ``token`` of an earlier session of the same caller (kept in a cookie, say), or ``None``.

        Raises:
            QueryError: the token is not one the SDK gave.
        """
        return AsyncDatabaseSession(self, token)

    def _pool(
        self, url: str, name: str, min_size: int, max_size: int, *, read_only: bool
    ) -> AsyncConnectionPool[_BoundedConnection]:
        options = [str(conninfo_to_dict(url).get("options") or ""), "-c TimeZone=UTC"]
        if self._statement_timeout is not None:
            options.append(f"-c statement_timeout={math.ceil(self._statement_timeout * 1000)}")
        answer_within = self._answer_within

        async def configure(conn: _BoundedConnection) -> None:
            conn.answer_within = answer_within
            if read_only:
                await conn.set_read_only(True)

        return AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=self._timeout,
            name=name,
            connection_class=_BoundedConnection,
            kwargs={"options": " ".join(o for o in options if o), "connect_timeout": str(self._connect_timeout)},
            configure=configure,
            check=self._check,
            reset=_reset_session,
            open=False,
        )

    async def _check(self, conn: _BoundedConnection) -> None:
        """The pool's check before lending: an empty query, answered within ``connect_timeout``."""
        bound, conn.answer_within = conn.answer_within, float(self._connect_timeout)
        try:
            await AsyncConnectionPool.check_connection(conn)
        finally:
            conn.answer_within = bound

    async def open(self) -> None:
        """Open the pools and wait until each holds ``min_size`` connections (at most ``timeout`` seconds).

        Raises:
            ConnectionUnavailable: a pool could not open its connections in time; every pool is closed again.
        """
        for pool in self._pools():
            try:
                await pool.open(wait=True, timeout=self._timeout)
            except PoolTimeout as exc:
                await self.close()
                raise self._unavailable(pool, opening=True) from exc

    async def close(self) -> None:
        """Close the pools; connections lent out are closed when they come back."""
        for pool in self._pools():
            await pool.close(timeout=float(self._connect_timeout + 1))

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
            ConnectionLost: the connection broke: inside the block, ``committed`` is ``False`` (nothing of it
                was committed); during the ``COMMIT`` at its end, ``None`` (read back before doing it again).
        """
        async with self._lend(self._write) as conn, _unit_of_work(conn):
            yield conn

    @asynccontextmanager
    async def read_connection(self, after: str | None = None) -> AsyncIterator[AsyncConnection[Any]]:
        """A read-only connection of the read pool (the write pool when there is no replica).

        With a replica, the read goes to the primary instead when the replica lends no connection within
        ``replica_wait`` seconds, or (``after`` given) has not replayed that WAL position within ``replica_wait``;
        each such fallback is logged and counted in ``read_fallbacks``.

        Args:
            after: a read-your-writes token (``AsyncDatabaseSession.token``): the read sees at least that commit.

        Raises:
            ConnectionUnavailable: no connection became free within ``timeout``.
            ConnectionLost: the connection broke (nothing was written: ``committed`` is ``False``).
            QueryError: ``after`` is not a token the SDK gave.
        """
        async with self._read_on(after, replica=True) as conn:
            yield conn

    @asynccontextmanager
    async def _read_on(self, after: str | None, *, replica: bool) -> AsyncIterator[AsyncConnection[Any]]:
        if after is not None:
            wal_position(after)
        if self._read is not None and replica:
            async with self._replica(self._read, after) as standby:
                if standby is not None:
                    async with _unit_of_work(standby):
                        yield standby
                    return
        async with self._lend(self._write) as conn:
            await conn.set_read_only(True)
            try:
                async with _unit_of_work(conn):
                    # A read-only transaction has nothing to undo; committing keeps the driver's prepared
                    # statements, which a rollback would discard.
                    yield conn
            finally:
                if not conn.closed:
                    await conn.set_read_only(False)

    @asynccontextmanager
    async def _replica(
        self, pool: AsyncConnectionPool[_BoundedConnection], after: str | None
    ) -> AsyncIterator[AsyncConnection[Any] | None]:
        """A connection of the replica that has replayed ``after``, or ``None`` (logged) to read from the primary."""
        lent = False
        try:
            async with pool.connection(timeout=self._replica_wait) as conn:
                caught_up = after is None or await self._replayed(conn, after)
                lent = True
                if not caught_up:
                    self._fall_back(f"the replica had not replayed {after} within {self._replica_wait:g} s")
                yield conn if caught_up else None
        except (PoolTimeout, psycopg.Error) as exc:
            if lent:
                raise
            self._fall_back(f"the replica is unavailable ({type(exc).__name__}: {exc})")
            yield None

    async def _replayed(self, conn: AsyncConnection[Any], after: str) -> bool:
        """Wait, at most ``replica_wait`` seconds, until the replica has replayed ``after``."""
        deadline = time.monotonic() + self._replica_wait
        while True:
            cur = await conn.execute(_REPLAYED, (after,))
            row = await cur.fetchone()
            await conn.commit()  # each poll in a transaction of its own, so the next one sees newer replay
            if row is not None and row[0]:
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_REPLAY_POLL)

    def _fall_back(self, reason: str) -> None:
        self._fallbacks += 1
        _log.warning("read on the primary instead of the replica: %s", reason)

    async def transaction(
        self,
        fn: Callable[[AsyncConnection[Any]], Awaitable[T]],
        *,
        retries: int | None = None,
        policy: RetryPolicy | None = None,
    ) -> T:
        """Run ``fn`` in a transaction of a write connection, retried on serialization failures and deadlocks.

        A connection that breaks before ``COMMIT`` is replaced and ``fn`` run again (it cannot have committed);
        one that breaks during ``COMMIT`` raises ``ConnectionLost`` with ``committed`` ``None``, never retried.
        """
        return await self._transaction(fn, _policy(retries, policy), None)

    async def _transaction(
        self,
        fn: Callable[[AsyncConnection[Any]], Awaitable[T]],
        policy: RetryPolicy,
        on_commit: Callable[[AsyncConnection[Any]], Awaitable[None]] | None,
    ) -> T:
        def lend() -> AbstractAsyncContextManager[AsyncConnection[Any]]:
            return self._lend(self._write)

        return await _attempts(lend, fn, policy, renewable=True, on_commit=on_commit)

    @asynccontextmanager
    async def _lend(self, pool: AsyncConnectionPool[_BoundedConnection]) -> AsyncIterator[AsyncConnection[Any]]:
        lent = False
        try:
            async with pool.connection(timeout=self._timeout) as conn:
                lent = True
                yield conn
        except PoolTimeout as exc:
            if lent:
                raise
            raise self._unavailable(pool) from exc

    def _unavailable(
        self, pool: AsyncConnectionPool[_BoundedConnection], *, opening: bool = False
    ) -> ConnectionUnavailable:
        if opening:
            return ConnectionUnavailable(
                f"pool {pool.name} could not open its connections within {self._timeout:g} s (each attempt "
                f"given connect_timeout={self._connect_timeout} s): check that the database runs and answers"
            )
        return ConnectionUnavailable(
            f"no connection of pool {pool.name} became free within {self._timeout:g} s (max_size={self._max_size}): "
            "raise max_size or timeout, keep transactions shorter, or check that the database answers"
        )

    def _pools(self) -> builtins.list[AsyncConnectionPool[_BoundedConnection]]:
        return [self._write] if self._read is None else [self._write, self._read]


class AsyncDatabaseSession:
    """One caller's reads and writes, its reads seeing its own commits even when they go to a replica.

    After each commit of the session (``connection()``, ``transaction()``), the session keeps the primary's WAL
    position (one more round trip on the same connection); its reads (``read_connection()``) then wait, at most
    the database's ``replica_wait``, until the replica has replayed it, else read from the primary. ``token``
    is that position as a short string: keep it between requests (a cookie) and pass it to ``db.session(token)``
    so that the next request reads its writes too. SQLAlchemy and Django offer nothing of the kind: a read routed
    to a replica there may miss the caller's own write.

    Args:
        db: the database.
        token: the ``token`` of an earlier session, or ``None``.

    Raises:
        QueryError: the token is not one the SDK gave.
    """

    def __init__(self, db: AsyncDatabase, token: str | None = None) -> None:
        if token is not None:
            wal_position(token)
        self._db = db
        self._token = token
        self._position_lost = False

    @property
    def token(self) -> str | None:
        """The WAL position of the session's last commit (``16/B374D848``), or ``None`` before any."""
        return self._token

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        """``AsyncDatabase.connection()``, remembering the commit's position."""
        async with self._db._lend(self._db._write) as conn, _unit_of_work(conn, self._remember):
            yield conn

    @asynccontextmanager
    async def read_connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        """``AsyncDatabase.read_connection()`` that sees the session's commits."""
        async with self._db._read_on(self._token, replica=not self._position_lost) as conn:
            yield conn

    async def transaction(
        self,
        fn: Callable[[AsyncConnection[Any]], Awaitable[T]],
        *,
        retries: int | None = None,
        policy: RetryPolicy | None = None,
    ) -> T:
        """``AsyncDatabase.transaction()``, remembering the commit's position."""
        return await self._db._transaction(fn, _policy(retries, policy), self._remember)

    async def _remember(self, conn: AsyncConnection[Any]) -> None:
        # The commit is done: a failure here must not undo it in the caller's eyes. Without the position, the
        # session reads from the primary until its next commit tells it again.
        try:
            cur = await conn.execute(_WAL_POSITION)
            row = await cur.fetchone()
            await conn.commit()
        except psycopg.Error as exc:
            self._position_lost = True
            _log.warning("the WAL position of a commit could not be read (%s): reads go to the primary", exc)
            return
        self._position_lost = False
        position = str(row[0]) if row is not None else None
        if position is not None and (self._token is None or wal_position(position) > wal_position(self._token)):
            self._token = position


@asynccontextmanager
async def _unit_of_work(
    conn: AsyncConnection[Any], on_commit: Callable[[AsyncConnection[Any]], Awaitable[None]] | None = None
) -> AsyncIterator[None]:
    """Commit when the block ends; a connection lost inside it or during the commit says which it was."""
    try:
        yield
    except Exception as exc:
        lost = connection_lost(exc, None if conn.autocommit else False)
        if lost is None:
            raise
        if lost is exc:
            raise
        raise lost from exc
    try:
        await conn.commit()
    except psycopg.Error as exc:
        error = translate(exc)
        lost = connection_lost(error, None)
        raise (lost or error) from exc
    if on_commit is not None:
        await on_commit(conn)
