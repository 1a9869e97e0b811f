"""The repository core under row-level security, as LOGIN members of the application and platform roles.

``copy_in`` stages rows in a temporary table where the policies apply (``COPY FROM`` refuses such a table) and
moves them in with ``INSERT ... SELECT``, so the policies still check every row; ``unscoped_platform_*`` ask for
the platform reach, which only the platform role is granted. Assertions run as those logins, never as the
superuser (row-level security never applies to one); the superuser only prepares and reads what is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from warp_models import CdrCreate, OrganizationCreate
from warp_repo.errors import TenantScopeError
from warp_repo.repos import AsyncCdrRepo, CdrRepo, OrganizationRepo

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Db:
    admin_url: str
    """As the superuser: only to prepare rows and read what is stored."""
    app_url: str
    platform_url: str
    mine: uuid.UUID
    other: uuid.UUID


@pytest.fixture(scope="module")
def db(admin_url: str, database_url: str, platform_url: str) -> Db:
    with psycopg.connect(admin_url) as conn:
        mine = OrganizationRepo(conn).insert(OrganizationCreate(name="Mine")).id
        other = OrganizationRepo(conn).insert(OrganizationCreate(name="Other")).id
        CdrRepo(conn).insert(CdrCreate(call_id="other-seed", org_id=other, start_time=WHEN))
        CdrRepo(conn).insert(CdrCreate(call_id="mine-seed", org_id=mine, start_time=WHEN))
    return Db(admin_url, database_url, platform_url, mine, other)


def cdrs(org: uuid.UUID, prefix: str, count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield {"call_id": f"{prefix}-{i}", "org_id": org, "start_time": WHEN + timedelta(seconds=i), "duration": i}


def stored(db: Db, prefix: str) -> int:
    with psycopg.connect(db.admin_url) as conn:
        row = conn.execute("SELECT count(*) FROM cdrs WHERE call_id LIKE %s", [f"{prefix}-%"]).fetchone()
    assert row is not None
    return int(row[0])


def test_the_application_role_copies_10k_cdrs_through_a_staging_table(db: Db) -> None:
    with psycopg.connect(db.app_url) as conn:
        assert conn.execute("SELECT row_security_active('cdrs')").fetchone() == (True,)
        assert CdrRepo(conn).for_org(db.mine).copy_in(cdrs(db.mine, "bulk", 10_000)) == 10_000
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'warp_copy_%'").fetchone() == (0,)
        conn.commit()
    assert stored(db, "bulk") == 10_000
    with psycopg.connect(db.admin_url) as conn:
        owners = conn.execute("SELECT DISTINCT org_id FROM cdrs WHERE call_id LIKE 'bulk-%'").fetchall()
    assert owners == [(db.mine,)]


def test_a_row_of_another_organization_is_refused_by_the_policy_and_leaves_no_row(db: Db) -> None:
    rows = [*cdrs(db.mine, "mixed", 500), {"call_id": "mixed-x", "org_id": db.other, "start_time": WHEN}]
    with psycopg.connect(db.app_url) as conn:
        # Unscoped, nothing in Python stops the foreign row: the tenant context set here is what the policy checks.
        conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(db.mine)])
        with pytest.raises(TenantScopeError, match="row-level security") as raised:
            CdrRepo(conn).copy_in(rows)
        assert isinstance(raised.value.__cause__, psycopg.errors.InsufficientPrivilege)
        assert raised.value.__cause__.sqlstate == "42501"
        # The savepoint kept the caller's transaction usable.
        assert CdrRepo(conn).for_org(db.mine).count(CdrRepo.c.call_id == "mine-seed") == 1
        conn.commit()
    assert stored(db, "mixed") == 0


def test_a_scoped_repository_refuses_the_foreign_row_before_sending_anything(db: Db) -> None:
    rows = [*cdrs(db.mine, "scoped", 10), {"call_id": "scoped-x", "org_id": db.other, "start_time": WHEN}]
    with psycopg.connect(db.app_url) as conn:
        with pytest.raises(TenantScopeError):
            CdrRepo(conn).for_org(db.mine).copy_in(rows)
        conn.commit()
    assert stored(db, "scoped") == 0


def test_async_copy_in_under_row_level_security(db: Db) -> None:
    import asyncio

    async def run() -> int:
        async with await psycopg.AsyncConnection.connect(db.app_url) as conn:
            written = await AsyncCdrRepo(conn).for_org(db.mine).copy_in(cdrs(db.mine, "async", 300))
            await conn.commit()
            return written

    assert asyncio.run(run()) == 300
    assert stored(db, "async") == 300


def test_the_superuser_still_copies_straight_into_the_table(db: Db) -> None:
    with psycopg.connect(db.admin_url) as conn:
        assert conn.execute("SELECT row_security_active('cdrs')").fetchone() == (False,)
        assert CdrRepo(conn).for_org(db.other).copy_in(cdrs(db.other, "direct", 100)) == 100
        conn.commit()
    assert stored(db, "direct") == 100


def test_the_platform_role_reads_every_organization_through_unscoped_platform_methods(db: Db) -> None:
    with psycopg.connect(db.platform_url) as conn:
        repo = CdrRepo(conn)
        seeds = repo.unscoped_platform_list(CdrRepo.c.call_id.in_(["mine-seed", "other-seed"]))
        assert {r.org_id for r in seeds} == {db.mine, db.other}
        assert repo.unscoped_platform_count(CdrRepo.c.call_id.in_(["mine-seed", "other-seed"])) == 2
        page = repo.unscoped_platform_page(CdrRepo.c.call_id.in_(["mine-seed", "other-seed"]), limit=1)
        assert len(page.items) == 1
        assert page.next_cursor is not None
        rest = repo.unscoped_platform_page(
            CdrRepo.c.call_id.in_(["mine-seed", "other-seed"]), after=page.next_cursor, limit=1
        )
        assert {page.items[0].org_id, rest.items[0].org_id} == {db.mine, db.other}
        orgs = OrganizationRepo(conn).unscoped_platform_list()
        assert {o.id for o in orgs} >= {db.mine, db.other}


def test_the_platform_reach_works_on_an_autocommit_connection(db: Db) -> None:
    with psycopg.connect(db.platform_url, autocommit=True) as conn:
        assert CdrRepo(conn).unscoped_platform_count(CdrRepo.c.call_id.in_(["mine-seed", "other-seed"])) == 2


def test_the_application_role_gains_nothing_from_unscoped_platform_methods(db: Db) -> None:
    with psycopg.connect(db.app_url) as conn:
        repo = CdrRepo(conn)
        assert repo.unscoped_platform_list() == []
        assert repo.unscoped_platform_count() == 0
        assert repo.unscoped_platform_page().items == []
        assert OrganizationRepo(conn).unscoped_platform_count() == 0
    with psycopg.connect(db.app_url) as conn:
        # Even inside one organization's tenant context, the platform methods add no other organization's rows.
        conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(db.mine)])
        seen = CdrRepo(conn).unscoped_platform_list(CdrRepo.c.call_id.in_(["mine-seed", "other-seed"]))
        assert [r.call_id for r in seen] == ["mine-seed"]
