"""Rows stored through the repositories: parents made on demand and reused, batches, COPY, async, tenant context."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest

from warp_models import Cdr, E911Address, SipTrunk, TrunkRegistration
from warp_repo.repos import CdrRepo, PhoneNumberRepo, TrunkRepo
from warp_repo.testing import Factories

NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def factories(admin: psycopg.Connection[Any]) -> Factories:
    return Factories(seed=21, conn=admin, now=NOW)


def tenant_setting(conn: psycopg.Connection[Any]) -> str | None:
    found = conn.execute("SELECT current_setting('warp.org_id', true)").fetchone()
    return found[0] if found else None


def test_a_call_is_made_with_an_organization_a_trunk_and_a_number_of_its_own(
    factories: Factories, admin: psycopg.Connection[Any]
) -> None:
    cdr = factories.cdr.create()
    assert isinstance(cdr, Cdr)
    trunk = TrunkRepo(admin).for_org(cdr.org_id).get_one(cdr.trunk_id)  # type: ignore[arg-type]
    assert trunk.org_id == cdr.org_id
    numbers = {n.number for n in PhoneNumberRepo(admin).for_org(cdr.org_id).list()}
    assert (cdr.to_number if cdr.inbound else cdr.from_number) in numbers


def test_later_rows_of_an_organization_reuse_its_trunks_and_numbers(
    factories: Factories, admin: psycopg.Connection[Any]
) -> None:
    tenant = factories.tenant(trunks=2, numbers=4)
    assert {n.trunk_id for n in tenant.numbers} <= {t.id for t in tenant.trunks}
    assert tenant.users[0].role == "owner"
    assert all(u.email.endswith(".example.com") for u in tenant.users)
    cdrs = factories.cdr.batch(300, org_id=tenant.id)
    assert {c.org_id for c in cdrs} == {tenant.id}
    assert {c.trunk_id for c in cdrs} == {t.id for t in tenant.trunks}, "both trunks carry calls, no new one"
    own = {n.number for n in tenant.numbers}
    assert {c.to_number if c.inbound else c.from_number for c in cdrs} <= own
    assert TrunkRepo(admin).for_org(tenant.id).count() == 2


def test_a_batch_shares_one_new_organization(factories: Factories) -> None:
    trunks = factories.trunk.batch(25)
    assert len(trunks) == 25 and all(isinstance(t, SipTrunk) for t in trunks)
    assert len({t.org_id for t in trunks}) == 1
    assert len({t.name for t in trunks}) == 25


def test_one_to_one_children_get_a_parent_each_within_one_organization(factories: Factories) -> None:
    registrations = factories.trunk_registration.batch(5)
    assert len({r.trunk_id for r in registrations}) == 5
    assert all(isinstance(r, TrunkRegistration) for r in registrations)
    tenant = factories.tenant(numbers=1)
    address = factories.e911_address.create(org_id=tenant.id)
    assert isinstance(address, E911Address)
    number = factories.known_numbers(tenant.id)[-1]
    assert address.phone_number_id == number.id and address.state == number.state


def test_copy_streams_rows_and_returns_how_many(factories: Factories, admin: psycopg.Connection[Any]) -> None:
    tenant = factories.tenant()
    assert factories.cdr.copy(25_000, org_id=tenant.id, chunk=10_000) == 25_000
    assert CdrRepo(admin).for_org(tenant.id).count() == 25_000


def test_inserting_puts_the_tenant_context_back(factories: Factories, admin: psycopg.Connection[Any]) -> None:
    mine = factories.organization.create()
    admin.execute("SELECT set_config('warp.org_id', %s, true)", (str(mine.id),))
    factories.trunk.batch(3)  # scoped inserts of another organization set warp.org_id on the way
    assert tenant_setting(admin) == str(mine.id)


def test_the_same_seed_stores_the_same_rows(admin: psycopg.Connection[Any]) -> None:
    def rows(seed: int) -> list[dict[str, Any]]:
        with admin.transaction(force_rollback=True):
            f = Factories(seed=seed, conn=admin, now=NOW)
            tenant = f.tenant()
            return [r.model_dump(exclude={"created_at", "updated_at"}) for r in f.cdr.batch(20, org_id=tenant.id)]

    assert rows(4) == rows(4)
    assert rows(4) != rows(5)


def test_async_factories_store_through_the_async_repositories(migrated_url: str) -> None:
    async def scenario() -> tuple[UUID, int, int]:
        conn = await psycopg.AsyncConnection.connect(migrated_url)
        try:
            async with conn.transaction(force_rollback=True):
                f = Factories(seed=8, aconn=conn, now=NOW)
                tenant = await f.atenant()
                cdr = await f.cdr.acreate(org_id=tenant.id)
                batch = await f.message.abatch(10, org_id=tenant.id)
                copied = await f.cdr.acopy(500, org_id=tenant.id)
                found = await (
                    await conn.execute("SELECT count(*) FROM cdrs WHERE org_id = %s", (tenant.id,))
                ).fetchone()
                assert cdr.org_id == tenant.id and {m.org_id for m in batch} == {tenant.id}
                return tenant.id, copied, found[0] if found else 0
        finally:
            await conn.close()

    org, copied, stored = asyncio.run(scenario())
    assert isinstance(org, UUID)
    assert (copied, stored) == (500, 501)
