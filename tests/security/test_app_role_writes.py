"""Writes as the application role: what the docs promise holds on a fresh transaction, under load, with typed errors.

Every assertion runs on a LOGIN role that is a member of ``warp_app`` (row-level security applies); the superuser
only prepares rows and reads what is stored.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from tests.conftest import DatabaseFactory
from warp_models import (
    OrganizationCreate,
    OrganizationUpdate,
    PhoneNumberCreate,
    RoutingRuleCreate,
    SipTrunkCreate,
    SipTrunkUpdate,
    TrunkAclCreate,
    TrunkRegistrationCreate,
)
from warp_models._base import TABLES
from warp_models._columns import OrgScoped
from warp_repo import NumberInventory
from warp_repo.errors import PermissionDenied, RowSecurityViolation, TenantScopeError
from warp_repo.repos import (
    REPOSITORIES,
    OrganizationRepo,
    PhoneNumberRepo,
    RoutingRuleRepo,
    TrunkAclRepo,
    TrunkRegistrationRepo,
    TrunkRepo,
)
from warp_repo.testing import Factories

from .conftest import Logins, migrate_all

FACTORY = {
    "organizations": "organization",
    "users": "user",
    "api_keys": "api_key",
    "sip_trunks": "trunk",
    "phone_numbers": "phone_number",
    "cdrs": "cdr",
    "invoices": "invoice",
    "messages": "message",
}


@dataclass(frozen=True)
class Site:
    admin_url: str
    app_url: str


@pytest.fixture(scope="module")
def site(create_database: DatabaseFactory, logins: Logins) -> Site:
    url = create_database()
    migrate_all(url)
    return Site(url, logins.url(url, "warp_app"))


def _org(conn: psycopg.Connection[Any], name: str = "Org") -> UUID:
    return OrganizationRepo(conn).insert(OrganizationCreate(name=name)).id


def _trunk(conn: psycopg.Connection[Any], org: UUID, **values: Any) -> UUID:
    create = SipTrunkCreate(org_id=org, name=f"t-{uuid4().hex[:8]}", username=f"u-{uuid4().hex[:10]}", **values)
    return TrunkRepo(conn).for_org(org).insert(create).id


# --- organizations --------------------------------------------------------------------------------------------------


def test_the_application_creates_an_organization_and_works_in_it(site: Site) -> None:
    with psycopg.connect(site.app_url) as conn:
        made = OrganizationRepo(conn).insert(OrganizationCreate(name="Self-served"))
        conn.commit()
        # A new transaction: no context until a scoped call sets it, then the row is there.
        assert OrganizationRepo(conn).get(made.id) is None
        assert OrganizationRepo(conn).for_org(made.id).get_one(made.id).name == "Self-served"
        chosen = uuid4()
        two = OrganizationRepo(conn).insert_many(
            [OrganizationCreate(id=chosen, name="B"), OrganizationCreate(name="C")]
        )
        assert two[0].id == chosen and two[1].id not in (chosen, made.id)
        conn.rollback()


def test_a_tenant_cannot_set_a_parent_organization(site: Site) -> None:
    with psycopg.connect(site.app_url) as conn:
        other = _org(conn, "Other")
        mine = _org(conn, "Mine")
        with pytest.raises(PermissionDenied, match="parent_org_id"), conn.transaction():
            OrganizationRepo(conn).insert(OrganizationCreate(name="Child", parent_org_id=other))
        patch = OrganizationUpdate(parent_org_id=other)
        with pytest.raises(PermissionDenied, match="platform role"), conn.transaction():
            OrganizationRepo(conn).for_org(mine).update(mine, patch)
        conn.rollback()


def test_an_unscoped_write_as_the_application_is_a_typed_refusal(site: Site) -> None:
    with psycopg.connect(site.app_url) as conn:
        org = _org(conn)
        conn.commit()
        with pytest.raises(RowSecurityViolation, match="for_org") as caught:
            TrunkRepo(conn).insert(SipTrunkCreate(org_id=org, name="x", username=f"u-{uuid4().hex}"))
        assert isinstance(caught.value, TenantScopeError) and isinstance(caught.value, PermissionDenied)
        assert isinstance(caught.value.__cause__, psycopg.errors.InsufficientPrivilege)
        assert caught.value.sqlstate == "42501" and caught.value.table == "sip_trunks"
        conn.rollback()


@pytest.mark.parametrize("value", [None, "8b0f7a54-7f7d-4c55-9a6e-5b0c1f8f0d11", "x' OR '1'='1", 42])
def test_for_org_takes_a_uuid_and_nothing_else(value: Any) -> None:
    with pytest.raises(TenantScopeError, match="UUID"):
        TrunkRepo.__new__(TrunkRepo).for_org(value)


# --- a key held by another organization ---------------------------------------------------------------------------


def _tenant_unique_keys() -> list[tuple[str, tuple[str, ...]]]:
    """Every unique key of a tenant table that two organizations could both want (it does not hold org_id)."""
    out = []
    for name, row in TABLES.items():
        tenant = row.__table_spec__.tenant
        if not isinstance(tenant, OrgScoped) or name not in FACTORY:
            continue
        for key in row.unique_keys():
            if tenant.column not in key or name == "organizations":
                out.append((name, key))
    return out


UNIQUE_KEYS = _tenant_unique_keys()


def test_the_keys_two_organizations_can_collide_on_are_covered() -> None:
    assert sorted(f"{t}({','.join(k)})" for t, k in UNIQUE_KEYS) == [
        "api_keys(key_hash)",
        "cdrs(call_id,start_time)",
        "invoices(invoice_number)",
        "messages(message_id,created_at)",
        "organizations(fcc_filer_id)",
        "phone_numbers(number)",
        "sip_trunks(username)",
        "users(email)",
        "users(username)",
    ]


@pytest.mark.parametrize(("table", "key"), UNIQUE_KEYS, ids=lambda v: v if isinstance(v, str) else ",".join(v))
def test_an_upsert_on_a_key_another_organization_holds_is_a_tenant_scope_error(
    site: Site, table: str, key: tuple[str, ...]
) -> None:
    with psycopg.connect(site.admin_url) as admin:
        factories = Factories(seed=random.randrange(2**31), conn=admin)
        theirs, mine = factories.tenant(), factories.tenant()
        extra = {"fcc_filer_id": f"{uuid4().int % 10**6:06d}"} if table == "organizations" else {"org_id": theirs.id}
        if table == "organizations":
            held = admin.execute(
                "UPDATE organizations SET fcc_filer_id = %s WHERE id = %s RETURNING *",
                (extra["fcc_filer_id"], theirs.id),
            ).fetchone()
            assert held is not None
            stored = dict(zip([c.name for c in TABLES[table].__columns__], held, strict=False))
        else:
            row = getattr(factories, FACTORY[table]).create(**extra)
            stored = row.model_dump()
        admin.commit()
    with psycopg.connect(site.app_url) as conn:
        scope = uuid4() if table == "organizations" else mine.id
        overrides: dict[str, Any] = {name: stored[name] for name in key}
        if table == "organizations":
            overrides["id"] = scope
        else:
            overrides["org_id"] = mine.id
        create = getattr(Factories(seed=random.randrange(2**31)), FACTORY[table]).build(**overrides)
        create = _owned_by(create, mine)
        with pytest.raises(TenantScopeError, match="another organization|row-level security"):
            REPOSITORIES[table](conn).for_org(scope).upsert(create, on=list(key))  # type: ignore[attr-defined]
        conn.rollback()
    with psycopg.connect(site.admin_url) as admin:
        query = (
            f"SELECT org_id FROM {table} WHERE id = %s"
            if table != "organizations"
            else "SELECT id FROM organizations WHERE id = %s"
        )
        owner = admin.execute(query, (stored["id"],)).fetchone()
        assert owner == (theirs.id,), "the other organization's row is unchanged"


def _owned_by(create: Any, tenant: Any) -> Any:
    """The create with its references pointed at the tenant's own rows (a trunk, a user) or cleared."""
    updates: dict[str, Any] = {}
    for name in ("trunk_id", "user_id", "failover_trunk_id", "campaign_id"):
        if name in type(create).model_fields and getattr(create, name, None) is not None:
            updates[name] = (
                tenant.trunks[0].id if name == "trunk_id" else tenant.users[0].id if name == "user_id" else None
            )
    return create.model_copy(update=updates) if updates else create


# --- the first statement of a transaction -------------------------------------------------------------------------


def test_child_writes_succeed_as_the_first_statement_of_a_transaction(site: Site) -> None:
    """Parent checks read the parent under the tenant's context, so a fresh transaction is no different."""
    with psycopg.connect(site.app_url) as conn:
        org = _org(conn)
        trunk = _trunk(conn, org)
        number = (
            PhoneNumberRepo(conn)
            .for_org(org)
            .insert(PhoneNumberCreate(number=f"+1415{random.randrange(10**7):07d}", country_code="1"))
            .id
        )
        conn.commit()
        acl = TrunkAclCreate(trunk_id=trunk, ip_address=ip_address("192.0.2.10"), subnet_mask=32)
        calls: list[Callable[[], object]] = [
            lambda: TrunkAclRepo(conn).for_org(org).insert(acl),
            lambda: (
                TrunkAclRepo(conn)
                .for_org(org)
                .insert_many([acl.model_copy(update={"ip_address": ip_address("192.0.2.11")})])
            ),
            lambda: (
                TrunkAclRepo(conn)
                .for_org(org)
                .upsert_many(
                    [acl.model_copy(update={"ip_address": ip_address("192.0.2.12")})], on=["trunk_id", "ip_address"]
                )
            ),
            lambda: (
                TrunkRegistrationRepo(conn)
                .for_org(org)
                .insert(TrunkRegistrationCreate(trunk_id=trunk, contact="sip:a@192.0.2.1"))
            ),
            lambda: NumberInventory(conn).set_e911_address(org, _address(number)),
        ]
        for call in calls:
            call()
            conn.commit()  # each call is the first statement of its own transaction
        assert TrunkAclRepo(conn).for_org(org).count() == 3
        conn.rollback()


def _address(number: UUID) -> Any:
    from warp_models import E911AddressCreate

    return E911AddressCreate(
        phone_number_id=number,
        customer_name="Acme",
        street_number="1",
        street_name="Main",
        city="Springfield",
        state="IL",
        zip="62701",
    )


# --- under load -------------------------------------------------------------------------------------------------------


THREADS = 20
OPERATIONS = 500
ORGS = 10


def test_mixed_scoped_operations_under_load_never_fail_or_cross_tenants(site: Site) -> None:
    """20 threads x 500 mixed scoped operations over 10 organizations, each its own transaction."""
    with psycopg.connect(site.app_url) as conn:
        orgs = [_org(conn, f"Load {n}") for n in range(ORGS)]
        conn.commit()
        trunks = {org: [_trunk(conn, org) for _ in range(2)] for org in orgs}
        conn.commit()
    errors: list[BaseException] = []
    done: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        with psycopg.connect(site.app_url) as conn:
            for n in range(OPERATIONS):
                org = rng.choice(orgs)
                trunk = rng.choice(trunks[org])
                kind = rng.choice(("acl", "registration", "rule", "failover", "read", "number"))
                try:
                    with conn.transaction():
                        if kind == "acl":
                            TrunkAclRepo(conn).for_org(org).insert(
                                TrunkAclCreate(
                                    trunk_id=trunk,
                                    ip_address=ip_address(f"10.{seed}.{n // 250}.{n % 250}"),
                                    subnet_mask=32,
                                )
                            )
                        elif kind == "registration":
                            TrunkRegistrationRepo(conn).for_org(org).upsert(
                                TrunkRegistrationCreate(trunk_id=trunk, contact=f"sip:{seed}-{n}@192.0.2.1"),
                                on=["trunk_id"],
                            )
                        elif kind == "rule":
                            RoutingRuleRepo(conn).for_org(org).insert(
                                RoutingRuleCreate(
                                    org_id=org,
                                    name=f"r{seed}-{n}",
                                    match_type="prefix",
                                    match_pattern="1",
                                    action="route",
                                    trunk_id=trunk,
                                )
                            )
                        elif kind == "failover":
                            other = trunks[org][0] if trunk != trunks[org][0] else trunks[org][1]
                            TrunkRepo(conn).for_org(org).update(trunk, SipTrunkUpdate(failover_trunk_id=other))
                        elif kind == "number":
                            PhoneNumberRepo(conn).for_org(org).insert(
                                PhoneNumberCreate(number=f"+1{seed:02d}{n:08d}", country_code="1", trunk_id=trunk)
                            )
                        else:
                            seen = TrunkRepo(conn).for_org(org).list()
                            assert {t.org_id for t in seen} == {org}
                    with lock:
                        done[kind] += 1
                except BaseException as exc:
                    with lock:
                        errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], f"{len(errors)} of {THREADS * OPERATIONS} operations failed; first: {errors[0]!r}"
    assert sum(done.values()) == THREADS * OPERATIONS
    with psycopg.connect(site.admin_url) as admin:
        crossed = admin.execute(
            """
            SELECT (SELECT count(*) FROM routing_rules r JOIN sip_trunks t ON t.id = r.trunk_id
                     WHERE t.org_id <> r.org_id)
                 + (SELECT count(*) FROM phone_numbers p JOIN sip_trunks t ON t.id = p.trunk_id
                     WHERE t.org_id <> p.org_id)
                 + (SELECT count(*) FROM sip_trunks s JOIN sip_trunks f ON f.id = s.failover_trunk_id
                     WHERE f.org_id <> s.org_id)
            """,
            {"orgs": orgs},
        ).fetchone()
        assert crossed == (0,)
