"""What every domain service shares: a connection, statements run with their reach, all-or-nothing blocks.

Written once, as async code, in ``service_async.py``; ``service_sync.py`` is generated from it by
``tools/async_to_sync.py``. Like the repositories, a service never commits: the caller's transaction is the unit
of work, and work of several statements runs under a savepoint of it (on an autocommit connection, in a
transaction of its own).

Every statement says what it reaches, which is what row-level security (migration 20261122_008) checks:

* one organization (its id): the transaction's tenant context ``warp.org_id`` is set first;
* ``PLATFORM``: rows of every organization (the SIP edge finding a trunk by user name, the inventory of unassigned
  numbers); the transaction asks for the platform reach (``warp.platform``), which only a member of the platform
  (or owner) role is granted, so an application login gets nothing from it;
* nothing (``None``): shared reference data every role may read (the rate deck).

The setting goes in the same round trip as the statement and, like the repositories' tenant context, lasts until
the transaction ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from enum import Enum
from typing import Any, LiteralString, TypeVar
from uuid import UUID

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import BaseRowFactory
from pydantic import ValidationError

from warp_models import Row
from warp_repo._core.repository_async import atomic, execute_within, own_transaction, refused, runs_own_transaction
from warp_repo._core.statements import PLATFORM_REACH, SET_TENANT, for_write, written_by
from warp_repo.errors import translating

T = TypeVar("T")

_SAVEPOINT = "warp_domain_atomic"


class Reach(Enum):
    """What a statement reaches beyond one organization."""

    PLATFORM = "platform"
    """Rows of every organization: platform work (needs a member of the platform role under row-level security)."""


PLATFORM = Reach.PLATFORM

Scope = UUID | Reach | None
"""An organization's id, ``PLATFORM``, or ``None`` for shared reference data."""


class AsyncService:
    """The base of the domain services: statements over an ``AsyncConnection``, each with its reach."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    @property
    def connection(self) -> AsyncConnection[Any]:
        """The connection statements run on."""
        return self._conn

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _all(
        self,
        sql: LiteralString,
        params: Mapping[str, Any],
        factory: BaseRowFactory[T],
        org: Scope = None,
        table: type[Row] | None = None,
        write: bool | None = None,
    ) -> list[T]:
        """Every row of a statement, made by ``factory``; driver errors raised as ``warp_repo.errors``.

        A statement that writes (``write``; when ``None``, read from the statement: ``INSERT``, ``UPDATE`` or
        ``DELETE`` outside a row lock) has its returned rows validated in full within the unit's transaction;
        one the model refuses raises ``RowNotWritten`` (see ``_written``).
        """
        if write or (write is None and written_by(sql) is not None):
            return await self._written(sql, params, factory, org, table)
        with translating(table):
            async with self._conn.cursor(row_factory=factory) as cur:
                await self._execute(cur, sql, params, org)
                return await cur.fetchall()

    async def _first(
        self,
        sql: LiteralString,
        params: Mapping[str, Any],
        factory: BaseRowFactory[T],
        org: Scope = None,
        table: type[Row] | None = None,
        write: bool | None = None,
    ) -> T | None:
        """The first row of a statement, or ``None`` (a write's rows are all validated, as in ``_all``)."""
        if write or (write is None and written_by(sql) is not None):
            rows = await self._written(sql, params, factory, org, table)
            return rows[0] if rows else None
        with translating(table):
            async with self._conn.cursor(row_factory=factory) as cur:
                await self._execute(cur, sql, params, org)
                return await cur.fetchone()

    async def _written(
        self,
        sql: LiteralString,
        params: Mapping[str, Any],
        factory: BaseRowFactory[T],
        org: Scope,
        table: type[Row] | None,
    ) -> list[T]:
        """The rows a write returned, validated in full before the write can stay.

        On an autocommit connection the rows are fetched inside the call's own transaction, committed only once
        they are, and which a refused row rolls back; inside a caller's transaction a refused row aborts that
        transaction (see ``refused``).
        """
        own = runs_own_transaction(self._conn)
        # The own transaction's BEGIN rides with the statement; its COMMIT follows the rows (two round trips).
        async with self._conn.pipeline() if own else nullcontext(), own_transaction(self._conn):
            return await self._validated_rows(sql, params, factory, org, table, own)

    async def _validated_rows(
        self,
        sql: LiteralString,
        params: Mapping[str, Any],
        factory: BaseRowFactory[T],
        org: Scope,
        table: type[Row] | None,
        own: bool,
    ) -> list[T]:
        with translating(table):
            async with self._conn.cursor(row_factory=for_write(factory)) as cur:
                await self._execute(cur, sql, params, org)
                try:
                    return await cur.fetchall()
                except ValidationError as exc:
                    verb, name = written_by(sql) or ("a write to", table.__table_spec__.name if table else "a table")
                    model = exc.title or (table.__name__ if table else "the model")
                    raise await refused(self._conn, own, verb, name, model, exc) from exc

    async def _run(
        self, sql: LiteralString, params: Mapping[str, Any], org: Scope = None, table: type[Row] | None = None
    ) -> int:
        """Run a statement that returns no rows; how many rows it changed."""
        with translating(table):
            async with self._conn.cursor() as cur:
                await self._execute(cur, sql, params, org)
                return cur.rowcount

    async def _execute(self, cur: AsyncCursor[Any], sql: LiteralString, params: Mapping[str, Any], org: Scope) -> None:
        if isinstance(org, Reach):
            await execute_within(cur, sql, params, None, True)
        else:
            await execute_within(cur, sql, params, org, False)

    async def _reach(self, org: UUID | Reach) -> None:
        if isinstance(org, Reach):
            await self._conn.execute(PLATFORM_REACH)
        else:
            await self._conn.execute(SET_TENANT, (str(org),))

    @asynccontextmanager
    async def _platform(self) -> AsyncIterator[None]:
        """A block whose statements (a repository's included) have the platform reach."""
        async with self._own_transaction():
            await self._reach(PLATFORM)
            yield

    def _own_transaction(self) -> AbstractAsyncContextManager[object]:
        """On an autocommit connection, a transaction for work of several statements; else nothing to add."""
        return own_transaction(self._conn)

    def _atomic(self) -> AbstractAsyncContextManager[None]:
        """All or nothing, the caller's transaction surviving a failure (savepoint, or a transaction of its own)."""
        return atomic(self._conn, _SAVEPOINT)
