"""The dashboard's queries against a real WARP schema, with rows from the warp-models factories."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
import redis
from downstream_service import TrunkLoad, answer_seizure_ratio, busiest_trunks, cached_trunk_count, create_tenant

from warp_repo import OrganizationRepo, TrunkRepo
from warp_repo.testing import Factories, Tenant
from warp_repo.testing.pytest_plugin import AsOrg

Connection = psycopg.Connection[Any]


def test_the_service_runs_as_a_login_of_the_application_role(warp_db: Connection) -> None:
    """A LOGIN role that is a member of warp_app, neither superuser nor BYPASSRLS: what production uses."""
    found = warp_db.execute(
        "SELECT rolcanlogin, rolsuper, rolbypassrls, pg_has_role(current_user, 'warp_app', 'member') "
        "FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert found == (True, False, False, True)


def test_onboarding_creates_a_tenant_with_its_first_trunk(warp_db: Connection) -> None:
    """As the application role: the new organization becomes the transaction's tenant, its trunk is its own."""
    org = create_tenant(warp_db, "Initech Voice", trunk_channels=12)

    assert OrganizationRepo(warp_db).for_org(org.id).get_one(org.id).name == "Initech Voice"
    trunks = TrunkRepo(warp_db).for_org(org.id).list()
    assert [(t.name, t.max_channels, t.org_id) for t in trunks] == [("primary", 12, org.id)]
    assert busiest_trunks(warp_db, org.id) == [TrunkLoad("primary", 0, 12)]


def test_a_second_tenant_does_not_see_the_first(warp_db: Connection) -> None:
    """Two tenants created in one transaction: each scoped repository sees its own trunk only."""
    first = create_tenant(warp_db, "First Telecom")
    second = create_tenant(warp_db, "Second Telecom")
    assert [t.org_id for t in TrunkRepo(warp_db).for_org(second.id).list()] == [second.id]
    assert TrunkRepo(warp_db).for_org(second.id).count() == 1
    assert TrunkRepo(warp_db).for_org(first.id).count() == 1


def test_busiest_trunks_come_first_and_stay_within_the_organization(
    warp_db: Connection, warp_factory: Factories
) -> None:
    """Trunks are ranked by the share of their channels in use, and another organization's never appear."""
    org = warp_factory.organization.create()
    other = warp_factory.organization.create()
    warp_factory.trunk.create(org_id=org.id, name="quiet", status="active", max_channels=100, channels_in_use=5)
    warp_factory.trunk.create(org_id=org.id, name="busy", status="active", max_channels=10, channels_in_use=9)
    warp_factory.trunk.create(org_id=other.id, name="elsewhere", status="active", max_channels=10, channels_in_use=10)

    loads = busiest_trunks(warp_db, org.id)

    assert [load.name for load in loads] == ["busy", "quiet"]
    assert loads[0].share == Decimal("0.90")


def test_answer_seizure_ratio_counts_the_organizations_calls(
    warp_db: Connection, warp_factory: Factories, warp_tenant: Tenant
) -> None:
    """The ratio is answered over attempted calls of the organization in the window."""
    calls = warp_factory.cdr.batch(200, org_id=warp_tenant.id)
    start = min(c.start_time for c in calls)
    end = max(c.start_time for c in calls) + timedelta(seconds=1)
    answered = sum(c.sip_response_code == 200 for c in calls)

    ratio = answer_seizure_ratio(warp_db, warp_tenant.id, start, end)

    assert ratio == (Decimal(answered) / Decimal(200)).quantize(Decimal("0.0001"))
    assert ratio is not None
    assert Decimal("0.4") < ratio < Decimal("0.75"), "the factories answer about 58 % of attempts"
    assert answer_seizure_ratio(warp_db, warp_factory.organization.create().id, start, end) is None


def test_the_tests_run_as_the_application_role_under_row_level_security(
    warp_db: Connection, warp_factory: Factories, warp_as_org: AsOrg
) -> None:
    """No superuser: another tenant's rows stay invisible and TRUNCATE is refused, as in production."""
    superuser = warp_db.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    assert superuser == (False,)
    mine, theirs = warp_factory.tenant(), warp_factory.tenant()
    with warp_as_org(mine.id):
        seen = warp_db.execute("SELECT count(*) FROM phone_numbers WHERE org_id = %s", (theirs.id,)).fetchone()
    assert seen == (0,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        warp_db.execute("TRUNCATE cdrs")


def test_trunk_counts_are_cached_in_redis(
    warp_db: Connection, warp_factory: Factories, warp_redis: redis.Redis
) -> None:
    """The count is read once from the database, then from Redis until it expires."""
    tenant = warp_factory.tenant(trunks=2)
    assert cached_trunk_count(warp_redis, warp_db, tenant.id) == 2
    warp_factory.trunk.create(org_id=tenant.id)
    assert cached_trunk_count(warp_redis, warp_db, tenant.id) == 2, "served from the cache"
    assert warp_redis.ttl(f"dashboard:trunks:{tenant.id}") > 0
