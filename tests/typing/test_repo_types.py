"""What a consumer's type checker sees on the repositories: the models, never ``Any``.

``mypy --strict`` checks every ``assert_type`` below; pytest runs the same code against a real database, so the
types asserted are also the values returned.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, assert_type
from uuid import UUID, uuid4

import psycopg

from warp_models import (
    Cdr,
    CdrCreate,
    LcrRate,
    OrganizationCreate,
    SipTrunk,
    SipTrunkCreate,
    SipTrunkUpdate,
    TrunkAcl,
)
from warp_repo._core.cursor import Page
from warp_repo._core.database_async import async_transaction
from warp_repo._core.database_sync import transaction
from warp_repo.repos import (
    AsyncTrunkRepo,
    CdrRepo,
    LcrRateRepo,
    OrganizationRepo,
    TrunkAclRepo,
    TrunkRepo,
)

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_sync_repositories_return_models(conn: psycopg.Connection[Any]) -> None:
    org = OrganizationRepo(conn).insert(OrganizationCreate(name="Typed")).id
    repo = TrunkRepo(conn)
    assert_type(repo.by_org(org), list[SipTrunk])
    scoped = repo.for_org(org)
    assert_type(scoped, TrunkRepo)

    trunk = scoped.insert(SipTrunkCreate(org_id=org, name="primary", username=f"typed-{org.hex[:8]}"))
    assert_type(trunk, SipTrunk)
    assert_type(trunk.max_channels, int | None)
    assert_type(scoped.get(trunk.id), SipTrunk | None)
    assert_type(scoped.get_one(trunk.id), SipTrunk)
    assert_type(scoped.get_many([trunk.id]), list[SipTrunk])
    assert_type(scoped.list(TrunkRepo.c.status == "active", order_by=["-created_at"], limit=10), list[SipTrunk])
    assert_type(scoped.count(), int)
    assert_type(scoped.exists(), bool)
    assert_type(scoped.update(trunk.id, SipTrunkUpdate(max_channels=5)), SipTrunk)
    assert_type(scoped.upsert(SipTrunkCreate(org_id=org, name="b", username=f"b-{org.hex[:8]}")), SipTrunk)
    assert_type(scoped.insert_many([]), list[SipTrunk])
    assert_type(scoped.upsert_many([]), list[SipTrunk])
    page = scoped.page(limit=1)
    assert_type(page, Page[SipTrunk])
    assert_type(page.items, list[SipTrunk])
    assert_type(page.next_cursor, str | None)
    assert_type(scoped.copy_in([]), int)
    assert_type(scoped.delete_where(TrunkRepo.c.name == "b"), int)
    assert_type(scoped.delete(trunk.id), bool)
    assert_type(repo.unscoped_platform_list(), list[SipTrunk])
    assert_type(scoped.org_id, UUID | None)

    assert scoped.get(trunk.id) is None
    assert isinstance(repo.by_org(org), list)
    assert scoped.org_id == org

    assert_type(TrunkAclRepo(conn).by_org(org), list[TrunkAcl])
    assert_type(LcrRateRepo(conn).list(), list[LcrRate])
    cdr = CdrRepo(conn).for_org(org).insert(CdrCreate(call_id="typed", org_id=org, start_time=WHEN))
    assert_type(cdr, Cdr)
    assert isinstance(cdr, Cdr)


def test_async_repositories_return_models(database_url: str) -> None:
    async def scenario() -> list[SipTrunk]:
        conn = await psycopg.AsyncConnection.connect(database_url)
        try:
            org = uuid4()
            repo = AsyncTrunkRepo(conn)
            rows = await repo.by_org(org)
            assert_type(rows, list[SipTrunk])
            assert_type(await repo.for_org(org).get(org), SipTrunk | None)
            assert_type(await repo.for_org(org).page(), Page[SipTrunk])
            return rows
        finally:
            await conn.close()

    assert asyncio.run(scenario()) == []


def test_transactions_return_what_the_unit_of_work_returns(database_url: str) -> None:
    def unit(conn: psycopg.Connection[Any]) -> list[SipTrunk]:
        return TrunkRepo(conn).by_org(uuid4())

    with psycopg.connect(database_url) as conn:
        assert_type(transaction(conn, unit), list[SipTrunk])
        assert transaction(conn, unit) == []

    async def aunit(conn: psycopg.AsyncConnection[Any]) -> int:
        return len(await AsyncTrunkRepo(conn).by_org(uuid4()))

    async def scenario() -> int:
        conn = await psycopg.AsyncConnection.connect(database_url)
        try:
            return assert_type(await async_transaction(conn, aunit), int)
        finally:
            await conn.close()

    assert asyncio.run(scenario()) == 0
