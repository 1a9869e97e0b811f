"""Every one of the 18 tables through its named repository: insert, get, update, delete, sync and async, and the
tenant wall: a scoped repository never reads or changes another organization's row, whichever method is called."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from ipaddress import IPv4Address
from typing import Any
from uuid import UUID

import psycopg
import pytest
from pydantic import SecretStr

from warp_models import (
    TABLES,
    ApiKeyCreate,
    ApiKeyUpdate,
    AuditLogCreate,
    AuditLogUpdate,
    BillingAccountCreate,
    BillingAccountUpdate,
    CdrCreate,
    CdrUpdate,
    Create,
    E911AddressCreate,
    E911AddressUpdate,
    InvoiceCreate,
    InvoiceUpdate,
    LcrRateCreate,
    LcrRateUpdate,
    MessageCreate,
    MessageUpdate,
    MessagingCampaignCreate,
    MessagingCampaignUpdate,
    OrganizationCreate,
    OrganizationSettingsCreate,
    OrganizationSettingsUpdate,
    OrganizationUpdate,
    PhoneNumberCreate,
    PhoneNumberUpdate,
    RoutingRuleCreate,
    RoutingRuleUpdate,
    Row,
    SipTrunkCreate,
    SipTrunkUpdate,
    TrunkAclCreate,
    TrunkAclUpdate,
    TrunkRegistrationCreate,
    TrunkRegistrationUpdate,
    Update,
    UsageRecordCreate,
    UsageRecordUpdate,
    UserCreate,
    UserUpdate,
)
from warp_models._columns import OrgScoped, ParentScoped
from warp_models.migrations import migrate
from warp_repo._repo_sync import Repo, TenantRepo
from warp_repo._sql import Eq
from warp_repo.errors import NotFound, TenantScopeError
from warp_repo.repos import ASYNC_REPOSITORIES, REPOSITORIES

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_numbers = itertools.count(1)

Ids = dict[str, UUID]
Plan = list[tuple[str, Callable[[Ids], Create]]]


def number() -> str:
    return f"+1415{next(_numbers):07d}"


def plan(tag: str) -> Plan:
    """How to create one row of every table for a new organization, parents first."""
    return [
        ("organizations", lambda ids: OrganizationCreate(name=f"Org {tag}")),
        ("organization_settings", lambda ids: OrganizationSettingsCreate(org_id=ids["organizations"])),
        (
            "users",
            lambda ids: UserCreate(
                org_id=ids["organizations"],
                email=f"ops-{tag}@example.com",
                username=f"ops-{tag}",
                password_hash=SecretStr("$argon2id$x"),
            ),
        ),
        (
            "api_keys",
            lambda ids: ApiKeyCreate(
                org_id=ids["organizations"],
                user_id=ids["users"],
                key_hash=SecretStr(uuid.uuid4().hex * 2),
                name="billing sync",
            ),
        ),
        (
            "audit_logs",
            lambda ids: AuditLogCreate(org_id=ids["organizations"], user_id=ids["users"], action="login"),
        ),
        (
            "sip_trunks",
            lambda ids: SipTrunkCreate(org_id=ids["organizations"], name="primary", username=f"trunk-{tag}"),
        ),
        ("trunk_registrations", lambda ids: TrunkRegistrationCreate(trunk_id=ids["sip_trunks"])),
        (
            "trunk_acl",
            lambda ids: TrunkAclCreate(trunk_id=ids["sip_trunks"], ip_address=IPv4Address("203.0.113.10")),
        ),
        (
            "phone_numbers",
            lambda ids: PhoneNumberCreate(
                number=number(), country_code="1", org_id=ids["organizations"], trunk_id=ids["sip_trunks"]
            ),
        ),
        (
            "e911_addresses",
            lambda ids: E911AddressCreate(
                phone_number_id=ids["phone_numbers"],
                customer_name="Acme",
                street_number="100",
                street_name="Main",
                city="Springfield",
                state="IL",
                zip="62701",
            ),
        ),
        (
            "routing_rules",
            lambda ids: RoutingRuleCreate(org_id=ids["organizations"], name="us", match_pattern="1", action="lcr"),
        ),
        (
            "lcr_rates",
            lambda ids: LcrRateCreate(
                carrier_id=ids["organizations"], prefix="1415", rate=Decimal("0.0042"), effective_date=date(2026, 1, 1)
            ),
        ),
        (
            "cdrs",
            lambda ids: CdrCreate(call_id=f"{tag}@pc33.example.com", org_id=ids["organizations"], start_time=WHEN),
        ),
        ("billing_accounts", lambda ids: BillingAccountCreate(org_id=ids["organizations"])),
        (
            "usage_records",
            lambda ids: UsageRecordCreate(
                org_id=ids["organizations"],
                usage_type="voice_outbound",
                quantity=Decimal("12.5"),
                unit="minute",
                period_start=WHEN,
                period_end=WHEN,
            ),
        ),
        (
            "invoices",
            lambda ids: InvoiceCreate(
                org_id=ids["organizations"],
                invoice_number=f"INV-{tag}",
                period_start=date(2026, 2, 1),
                period_end=date(2026, 2, 28),
                subtotal=Decimal("10.00"),
                total=Decimal("10.00"),
            ),
        ),
        (
            "messages",
            lambda ids: MessageCreate(
                message_id=f"SM{tag}",
                org_id=ids["organizations"],
                from_number="+14155550123",
                to_number="+14155550124",
                direction="outbound",
            ),
        ),
        (
            "messaging_campaigns",
            lambda ids: MessagingCampaignCreate(
                org_id=ids["organizations"],
                name="spring",
                from_number="+14155550123",
                recipient_list=["+14155550124"],
                message_template="Hello",
            ),
        ),
    ]


PATCHES: dict[str, tuple[Update, str, Any]] = {
    "organizations": (OrganizationUpdate(name="Renamed"), "name", "Renamed"),
    "organization_settings": (OrganizationSettingsUpdate(max_trunks=20), "max_trunks", 20),
    "users": (UserUpdate(role="admin"), "role", "admin"),
    "api_keys": (ApiKeyUpdate(name="renamed"), "name", "renamed"),
    "audit_logs": (AuditLogUpdate(action="logout"), "action", "logout"),
    "sip_trunks": (SipTrunkUpdate(max_channels=200), "max_channels", 200),
    "trunk_registrations": (TrunkRegistrationUpdate(status="online"), "status", "online"),
    "trunk_acl": (TrunkAclUpdate(description="office"), "description", "office"),
    "phone_numbers": (PhoneNumberUpdate(cnam_display="ACME"), "cnam_display", "ACME"),
    "e911_addresses": (E911AddressUpdate(city="Chicago"), "city", "Chicago"),
    "routing_rules": (RoutingRuleUpdate(priority=5), "priority", 5),
    "lcr_rates": (LcrRateUpdate(description="San Francisco"), "description", "San Francisco"),
    "cdrs": (CdrUpdate(billed=True), "billed", True),
    "billing_accounts": (BillingAccountUpdate(payment_method="ach"), "payment_method", "ach"),
    "usage_records": (UsageRecordUpdate(amount=Decimal("1.5")), "amount", Decimal("1.5")),
    "invoices": (InvoiceUpdate(status="issued"), "status", "issued"),
    "messages": (MessageUpdate(status="sent"), "status", "sent"),
    "messaging_campaigns": (MessagingCampaignUpdate(status="scheduled"), "status", "scheduled"),
}


def key_of(row: Row) -> UUID:
    key: UUID = getattr(row, REPOSITORIES[row.__table_spec__.name].key_column)
    return key


def build(conn: psycopg.Connection[Any]) -> tuple[dict[str, Row], Ids]:
    """One row in every table for a new organization, each inserted through its named repository."""
    rows: dict[str, Row] = {}
    ids: Ids = {}
    for table, make in plan(uuid.uuid4().hex[:10]):
        rows[table] = REPOSITORIES[table](conn).insert(make(ids))
        ids[table] = key_of(rows[table])
    # Keep the one audit row built here: the repositories' own audit entries of these inserts go.
    conn.execute("DELETE FROM audit_logs WHERE org_id = %s AND id <> %s", [ids["organizations"], ids["audit_logs"]])
    return rows, ids


async def abuild(conn: psycopg.AsyncConnection[Any]) -> tuple[dict[str, Row], Ids]:
    rows: dict[str, Row] = {}
    ids: Ids = {}
    for table, make in plan(uuid.uuid4().hex[:10]):
        rows[table] = await ASYNC_REPOSITORIES[table](conn).insert(make(ids))
        ids[table] = key_of(rows[table])
    return rows, ids


def repo_for(conn: psycopg.Connection[Any], table: str, org: UUID) -> Repo[Any, Any, Any]:
    """The table's repository, scoped to ``org`` when the table holds tenant data."""
    repo = REPOSITORIES[table](conn)
    return repo.for_org(org) if isinstance(repo, TenantRepo) else repo


def test_there_is_one_named_repository_per_table_sync_and_async() -> None:
    assert set(REPOSITORIES) == set(TABLES) == set(ASYNC_REPOSITORIES)
    for table, row in TABLES.items():
        assert REPOSITORIES[table].model is row
        assert ASYNC_REPOSITORIES[table].model is row
        assert REPOSITORIES[table].__name__ == ASYNC_REPOSITORIES[table].__name__.removeprefix("Async")


def test_only_shared_tables_lack_the_tenant_methods() -> None:
    shared = {t for t, row in TABLES.items() if row.__table_spec__.tenant is None}
    assert shared == {"lcr_rates"}
    for table, repo in REPOSITORIES.items():
        assert hasattr(repo, "by_org") == (table not in shared)


@pytest.mark.parametrize("table", list(TABLES))
def test_insert_returns_the_stored_row_with_server_defaults(conn: psycopg.Connection[Any], table: str) -> None:
    rows, _ = build(conn)
    row = rows[table]
    assert type(row) is TABLES[table]
    for column in type(row).__columns__:
        if column.has_server_default:
            assert getattr(row, column.name) is not None, f"{table}.{column.name} default not returned"
    for name in ("created_at", "updated_at"):
        value = getattr(row, name, None)
        if value is not None:
            assert value.tzinfo is UTC


@pytest.mark.parametrize("table", list(TABLES))
def test_get_update_delete_through_the_named_repository(conn: psycopg.Connection[Any], table: str) -> None:
    rows, ids = build(conn)
    row, key = rows[table], ids[table]
    repo = repo_for(conn, table, ids["organizations"])

    assert repo.get(key) == row
    assert repo.get_one(key) == row
    assert repo.get_many([uuid.uuid4(), key]) == [row]

    patch, field, expected = PATCHES[table]
    updated = repo.update(key, patch)
    assert getattr(updated, field) == expected
    unchanged = {field, "updated_at"}
    assert updated.model_dump(exclude=unchanged) == row.model_dump(exclude=unchanged)
    assert repo.get_one(key) == updated

    # Children first: every table after this one in foreign-key order may reference it.
    later = list(TABLES)[list(TABLES).index(table) + 1 :]
    for child in reversed(later):
        assert REPOSITORIES[child](conn).delete(ids[child]) is True
    if table == "organizations":  # the audit trail of the writes references the organization
        conn.execute("DELETE FROM audit_logs WHERE org_id = %s", [key])
    assert repo.delete(key) is True
    assert repo.get(key) is None
    assert repo.delete(key) is False
    with pytest.raises(NotFound, match=table):
        repo.get_one(key)
    with pytest.raises(NotFound):
        repo.update(key, patch)


@pytest.mark.parametrize("table", [t for t, row in TABLES.items() if row.__table_spec__.tenant is not None])
def test_by_org_returns_the_organizations_rows_only(conn: psycopg.Connection[Any], table: str) -> None:
    mine, my_ids = build(conn)
    theirs, their_ids = build(conn)
    repo = REPOSITORIES[table](conn)
    assert isinstance(repo, TenantRepo)
    assert repo.by_org(my_ids["organizations"]) == [mine[table]]
    assert repo.by_org(their_ids["organizations"]) == [theirs[table]]
    assert repo.by_org(uuid.uuid4()) == []


def _create_from(row: Row, **changes: Any) -> Create:
    """The create payload that would store ``row`` again (its key included), with some values changed."""
    model = REPOSITORIES[row.__table_spec__.name].create_model
    values = {name: getattr(row, name) for name in model.model_fields}
    return model.model_validate(values | changes)


SCOPED_METHODS = {
    "by_org",
    "copy_in",
    "count",
    "delete",
    "delete_where",
    "exists",
    "for_org",
    "get",
    "get_many",
    "get_one",
    "insert",
    "insert_many",
    "list",
    "page",
    "unscoped_platform_count",
    "unscoped_platform_list",
    "unscoped_platform_page",
    "update",
    "upsert",
    "upsert_many",
}
"""Every method of a tenant repository; the wall test below exercises each one."""


def test_the_wall_test_covers_every_public_method() -> None:
    attributes = {"c", "model", "create_model", "update_model", "key_column", "connection", "org_id", "actor"}
    public = {name for name in dir(TenantRepo) if not name.startswith("_")} - attributes
    assert public == SCOPED_METHODS


@pytest.mark.parametrize("table", [t for t, row in TABLES.items() if row.__table_spec__.tenant is not None])
def test_a_scoped_repository_never_reads_or_changes_another_organizations_row(
    conn: psycopg.Connection[Any], table: str
) -> None:
    mine, my_ids = build(conn)
    theirs, their_ids = build(conn)
    me, them = my_ids["organizations"], their_ids["organizations"]
    plain = REPOSITORIES[table](conn)
    assert isinstance(plain, TenantRepo)
    repo = plain.for_org(me)
    target, key = theirs[table], their_ids[table]
    by_key = Eq(plain.key_column, key)
    tenant = TABLES[table].__table_spec__.tenant
    assert tenant is not None
    patch, _, _ = PATCHES[table]
    covered: set[str] = set()

    def refused(method: str, call: Callable[[], object], error: type[Exception] = TenantScopeError) -> None:
        covered.add(method)
        with pytest.raises(error):
            call()

    # Reads see nothing of the other organization.
    covered |= {"get", "get_one", "get_many", "list", "count", "exists", "page", "for_org"}
    assert repo.get(key) is None
    refused("get_one", lambda: repo.get_one(key), NotFound)
    assert repo.get_many([key, my_ids[table]]) == [mine[table]]
    assert repo.list(by_key) == []
    assert repo.list() == [mine[table]]
    assert repo.count(by_key) == 0
    assert repo.exists(by_key) is False
    assert repo.page(by_key).items == []
    assert repo.for_org(me).get(key) is None
    refused("by_org", lambda: repo.by_org(them))
    assert repo.by_org(me) == [mine[table]]
    covered.add("by_org")
    refused("unscoped_platform_list", lambda: repo.unscoped_platform_list(by_key))
    refused("unscoped_platform_count", lambda: repo.unscoped_platform_count(by_key))
    refused("unscoped_platform_page", lambda: repo.unscoped_platform_page(by_key))

    # Writes addressed to the other organization's row change nothing.
    theirs_again = _create_from(target)
    refused("insert", lambda: repo.insert(theirs_again))
    refused("insert_many", lambda: repo.insert_many([theirs_again]))
    refused("upsert", lambda: repo.upsert(theirs_again))
    refused("upsert_many", lambda: repo.upsert_many([theirs_again]))
    refused("copy_in", lambda: repo.copy_in([theirs_again]))
    refused("update", lambda: repo.update(key, patch), NotFound)
    assert repo.delete(key) is False
    assert repo.delete_where(by_key) == 0
    covered |= {"delete", "delete_where"}

    # Writes of this organization's rows cannot take the other organization's key or move a row there.
    if tenant.column != plain.key_column:
        parent = me if isinstance(tenant, OrgScoped) else my_ids[parent_table(tenant)]
        with pytest.raises(TenantScopeError):
            repo.upsert(_create_from(target, **{tenant.column: parent}))
    update_model = REPOSITORIES[table].update_model
    if tenant.column in update_model.model_fields:
        elsewhere = them if isinstance(tenant, OrgScoped) else their_ids[parent_table(tenant)]
        with pytest.raises(TenantScopeError):
            repo.update(my_ids[table], update_model.model_validate({tenant.column: elsewhere}))

    assert covered == SCOPED_METHODS
    assert plain.get(key) == target, "the other organization's row changed"
    assert plain.get(my_ids[table]) == mine[table]
    assert plain.unscoped_platform_count(by_key) == 1


def parent_table(tenant: OrgScoped | ParentScoped) -> str:
    assert isinstance(tenant, ParentScoped)
    return tenant.parent


def test_an_unscoped_tenant_repository_refuses_reads_across_organizations(conn: psycopg.Connection[Any]) -> None:
    rows, ids = build(conn)
    trunks = REPOSITORIES["sip_trunks"](conn)
    assert isinstance(trunks, TenantRepo)
    for call in (trunks.list, trunks.count, trunks.exists, trunks.page):
        with pytest.raises(TenantScopeError, match="for_org"):
            call()
    with pytest.raises(TenantScopeError):
        trunks.delete_where(Eq("name", "primary"))
    assert rows["sip_trunks"] in trunks.unscoped_platform_list(Eq("org_id", ids["organizations"]))
    assert trunks.unscoped_platform_count(Eq("org_id", ids["organizations"])) == 1
    rates = REPOSITORIES["lcr_rates"](conn)
    assert rows["lcr_rates"] in rates.list(Eq("carrier_id", ids["organizations"]))


def test_scoped_statements_set_the_transaction_tenant_context(conn: psycopg.Connection[Any]) -> None:
    _, ids = build(conn)
    org = ids["organizations"]
    REPOSITORIES["sip_trunks"](conn).for_org(org).list()  # type: ignore[attr-defined]
    cur = conn.execute("SELECT current_setting('warp.org_id', true)")
    assert cur.fetchone() == (str(org),)
    conn.commit()
    cur = conn.execute("SELECT current_setting('warp.org_id', true)")
    assert cur.fetchone() in ((None,), ("",)), "the tenant context outlived its transaction"


@pytest.mark.parametrize("autocommit", [False, True])
def test_the_tenant_context_is_what_the_statement_itself_sees(
    create_database: Callable[[], str], autocommit: bool
) -> None:
    """A trigger (as a row-level security policy would) reads ``warp.org_id`` while the scoped insert runs."""
    url = create_database()
    migrate(url)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "CREATE FUNCTION stamp_context() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "NEW.metadata = jsonb_build_object('seen', current_setting('warp.org_id', true)); RETURN NEW; END $$"
        )
        admin.execute("CREATE TRIGGER stamp BEFORE INSERT ON sip_trunks FOR EACH ROW EXECUTE FUNCTION stamp_context()")
    with psycopg.connect(url, autocommit=autocommit) as conn:
        org = REPOSITORIES["organizations"](conn).insert(OrganizationCreate(name="ctx"))
        org_id = key_of(org)
        trunks = REPOSITORIES["sip_trunks"](conn).for_org(org_id)  # type: ignore[attr-defined]
        one = trunks.insert(SipTrunkCreate(org_id=org_id, name="one", username=f"one-{org_id.hex[:8]}"))
        many = trunks.insert_many([SipTrunkCreate(org_id=org_id, name="two", username=f"two-{org_id.hex[:8]}")])
        assert one.metadata == {"seen": str(org_id)}
        assert many[0].metadata == {"seen": str(org_id)}


@pytest.mark.parametrize("table", list(TABLES))
def test_async_repositories_match_the_sync_ones(database_url: str, table: str) -> None:
    async def scenario() -> tuple[Row, Row, Row | None]:
        conn = await psycopg.AsyncConnection.connect(database_url)
        try:
            rows, ids = await abuild(conn)
            repo = ASYNC_REPOSITORIES[table](conn)
            if TABLES[table].__table_spec__.tenant is not None:
                repo = repo.for_org(ids["organizations"])  # type: ignore[attr-defined]
            fetched = await repo.get_one(ids[table])
            updated = await repo.update(ids[table], PATCHES[table][0])
            later = list(TABLES)[list(TABLES).index(table) + 1 :]
            for child in reversed(later):
                await ASYNC_REPOSITORIES[child](conn).delete(ids[child])
            if table == "organizations":  # the audit trail of the writes references the organization
                await conn.execute("DELETE FROM audit_logs WHERE org_id = %s", [ids[table]])
            assert await repo.delete(ids[table]) is True
            return rows[table], fetched, (updated if await repo.get(ids[table]) is None else None)
        finally:
            await conn.close()

    inserted, fetched, updated = asyncio.run(scenario())
    assert fetched == inserted
    assert type(fetched) is TABLES[table]
    _, field, expected = PATCHES[table]
    assert updated is not None
    assert getattr(updated, field) == expected
