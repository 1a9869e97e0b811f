"""Every one of the 18 tables through its named repository: insert, get, update, delete, sync and async, and the
tenant wall: a scoped repository never reads or changes another organization's row, whichever method is called.

Each table is written by the role that writes it in production: the application (a member of ``warp_app``), the
platform for the rate deck, and the owner for deleting what the audit trail keeps (services only append to
``audit_logs``, whose entries name organizations and users). What the application may not do is asserted too.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from ipaddress import IPv4Address
from typing import Any
from uuid import UUID

import psycopg
import pytest
from pydantic import SecretStr

from tests.conftest import APP_ROLE, PLATFORM_REACH, Server
from warp_models import (
    TABLES,
    ApiAuditLogCreate,
    ApiAuditLogUpdate,
    ApiKeyCreate,
    ApiKeyUpdate,
    AuditLog,
    AuditLogCreate,
    AuditLogUpdate,
    BillingAccountCreate,
    BillingAccountUpdate,
    CdrCreate,
    CdrUpdate,
    Create,
    DeviceConfigurationCreate,
    DeviceConfigurationUpdate,
    DeviceCreate,
    DeviceHealthMetricCreate,
    DeviceHealthMetricUpdate,
    DeviceUpdate,
    DialPlanCreate,
    DialPlanUpdate,
    E911AddressCreate,
    E911AddressUpdate,
    ExtensionCreate,
    ExtensionUpdate,
    FirmwareVersionCreate,
    FirmwareVersionUpdate,
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
    PermissionMatrixCreate,
    PermissionMatrixUpdate,
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
    VoicemailBoxCreate,
    VoicemailBoxUpdate,
    VoicemailMessageCreate,
    VoicemailMessageUpdate,
    VoicemailTranscriptionCreate,
    VoicemailTranscriptionUpdate,
    table_of,
)
from warp_models._columns import OrgScoped, ParentScoped
from warp_repo._core.repository_sync import Repo, TenantRepo
from warp_repo._core.statements import Eq
from warp_repo.errors import InvalidReference, NotFound, PermissionDenied, TenantScopeError
from warp_repo.repos import ASYNC_REPOSITORIES, REPOSITORIES
from warp_repo.secrets import hash_password

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PASSWORD_HASH = hash_password("correct horse battery staple")
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
                password_hash=PASSWORD_HASH,
            ),
        ),
        (
            "api_keys",
            lambda ids: ApiKeyCreate(
                org_id=ids["organizations"],
                user_id=ids["users"],
                key_hash=SecretStr(f"hs256:p1:{uuid.uuid4().hex * 2}"),
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
        (
            "extensions",
            lambda ids: ExtensionCreate(
                org_id=ids["organizations"], extension="1001", user_id=ids["users"], sip_username=f"ext-{tag}"
            ),
        ),
        (
            "dial_plans",
            lambda ids: DialPlanCreate.model_validate(
                {"org_id": ids["organizations"], "name": "internal", "match_pattern": "1", "actions": [{"type": "lcr"}]}
            ),
        ),
        ("device_configurations", lambda ids: DeviceConfigurationCreate(org_id=ids["organizations"], name="base")),
        (
            "firmware_versions",
            lambda ids: FirmwareVersionCreate(
                vendor="yealink",
                model=f"T54W-{tag}",
                version="96.86.0.70",
                file_url="https://firmware.example.com/T54W.rom",
                sha256="ab" * 32,
            ),
        ),
        (
            "devices",
            lambda ids: DeviceCreate(
                org_id=ids["organizations"],
                mac_address=f"02:{tag[0:2]}:{tag[2:4]}:{tag[4:6]}:{tag[6:8]}:{tag[8:10]}",
                user_id=ids["users"],
                primary_extension_id=ids["extensions"],
                configuration_id=ids["device_configurations"],
            ),
        ),
        (
            "device_health_metrics",
            lambda ids: DeviceHealthMetricCreate(org_id=ids["organizations"], device_id=ids["devices"]),
        ),
        (
            "voicemail_boxes",
            lambda ids: VoicemailBoxCreate(
                org_id=ids["organizations"], mailbox="1001", extension_id=ids["extensions"], user_id=ids["users"]
            ),
        ),
        (
            "voicemail_messages",
            lambda ids: VoicemailMessageCreate(
                org_id=ids["organizations"], box_id=ids["voicemail_boxes"], audio_url="s3://vm/1.wav"
            ),
        ),
        (
            "voicemail_transcriptions",
            lambda ids: VoicemailTranscriptionCreate(
                org_id=ids["organizations"], message_id=ids["voicemail_messages"], engine="whisper"
            ),
        ),
        (
            "permission_matrices",
            lambda ids: PermissionMatrixCreate(
                org_id=ids["organizations"], role="admin", resource="devices", action="manage"
            ),
        ),
        (
            # Like build's audit entry: it names the organization and the user only.
            "api_audit_logs",
            lambda ids: ApiAuditLogCreate(
                org_id=ids["organizations"], user_id=ids["users"], service="billing", action_type="invoice.create"
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
    "extensions": (ExtensionUpdate(call_timeout=45), "call_timeout", 45),
    "dial_plans": (DialPlanUpdate(priority=5), "priority", 5),
    "device_configurations": (DeviceConfigurationUpdate(description="desks"), "description", "desks"),
    "firmware_versions": (FirmwareVersionUpdate(status="recommended"), "status", "recommended"),
    "devices": (DeviceUpdate(label="Reception"), "label", "Reception"),
    "device_health_metrics": (DeviceHealthMetricUpdate(health_status="ok"), "health_status", "ok"),
    "voicemail_boxes": (VoicemailBoxUpdate(max_messages=50), "max_messages", 50),
    "voicemail_messages": (VoicemailMessageUpdate(folder="saved"), "folder", "saved"),
    "voicemail_transcriptions": (VoicemailTranscriptionUpdate(status="failed"), "status", "failed"),
    "permission_matrices": (PermissionMatrixUpdate(effect="deny"), "effect", "deny"),
    "api_audit_logs": (ApiAuditLogUpdate(response_code=500), "response_code", 500),
}


def key_of(row: Row) -> UUID:
    key: UUID = getattr(row, REPOSITORIES[row.__table_spec__.name].key_column)
    return key


SHARED = ("lcr_rates", "firmware_versions")
"""Shared reference data (the rate deck, the firmware catalog): the application reads it, the platform writes it."""

APPEND_ONLY = ("audit_logs", "api_audit_logs")
"""The change log and the API call log: services only append to them."""

KEPT_BY_THE_AUDIT_TRAIL = ("organizations", "users", *APPEND_ONLY)
"""Rows only the owner deletes: ``audit_logs`` is append-only for services, and ``build``'s entry names the
organization and the user (so do the repositories' own entries, for the organization)."""


def build(conn: psycopg.Connection[Any], *, rates: bool = False) -> tuple[dict[str, Row], Ids]:
    """One row in every table for a new organization, each inserted through its named repository.

    Tenant rows are written in the organization's scope (``for_org``), as a service writes them. The rate deck's
    row is written only with ``rates`` (a platform connection with its reach, or the owner's).
    """
    rows: dict[str, Row] = {}
    ids: Ids = {}
    for table, make in plan(uuid.uuid4().hex[:10]):
        if table in SHARED and not rates:
            continue
        repo = REPOSITORIES[table](conn) if table == "organizations" else repo_for(conn, table, ids["organizations"])
        rows[table] = repo.insert(make(ids))
        ids[table] = key_of(rows[table])
    return rows, ids


async def abuild(conn: psycopg.AsyncConnection[Any], *, rates: bool = False) -> tuple[dict[str, Row], Ids]:
    rows: dict[str, Row] = {}
    ids: Ids = {}
    for table, make in plan(uuid.uuid4().hex[:10]):
        if table in SHARED and not rates:
            continue
        repo = ASYNC_REPOSITORIES[table](conn)
        if table != "organizations" and TABLES[table].__table_spec__.tenant is not None:
            repo = repo.for_org(ids["organizations"])  # type: ignore[attr-defined]
        rows[table] = await repo.insert(make(ids))
        ids[table] = key_of(rows[table])
    return rows, ids


def repo_for(conn: psycopg.Connection[Any], table: str, org: UUID) -> Repo[Any, Any, Any]:
    """The table's repository, scoped to ``org`` when the table holds tenant data."""
    repo = REPOSITORIES[table](conn)
    return repo.for_org(org) if isinstance(repo, TenantRepo) else repo


def referencing(table: str) -> set[str]:
    """The tables whose rows may reference a row of ``table``, directly or through others."""
    found: set[str] = set()
    reached = {table}
    while reached:
        reached = {
            other
            for other, row in TABLES.items()
            if other not in found | {table}
            and any(fk.column.table.name in reached for fk in table_of(row).foreign_keys)
        }
        found |= reached
    return found


def children(table: str, role: str, ids: Ids) -> list[str]:
    """The rows to delete before the row of ``table``, children first: those that may reference it.

    The application leaves ``build``'s audit entry: services never delete one, and it names only the organization
    and the user, which the owner deletes.
    """
    kept = set() if role == "admin" else set(APPEND_ONLY)
    return [t for t in reversed(list(TABLES)) if t in ids and t in referencing(table) - kept]


def without_build_entries(rows: list[Any]) -> list[Any]:
    """``rows`` less the audit entries the repositories wrote while ``build`` ran: each names its table, the entry
    ``build`` made names none. (Services may not delete audit entries, so they stay in the transaction.)"""
    return [r for r in rows if not (isinstance(r, AuditLog) and r.resource_type is not None)]


@pytest.fixture
def urls(database_url: str, platform_url: str, admin_url: str) -> dict[str, str]:
    """The module's database as each role: ``app``, ``platform`` and ``admin`` (the owner, a superuser here)."""
    return {"app": database_url, "platform": platform_url, "admin": admin_url}


def writer(table: str, *, deleting: bool = False) -> str:
    """Who writes ``table`` here: the platform the rate deck, the owner when deleting what the audit trail keeps,
    else the application."""
    if table in SHARED:
        return "platform"
    return "admin" if deleting and table in KEPT_BY_THE_AUDIT_TRAIL else "app"


@contextmanager
def connected(urls: dict[str, str], role: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection as ``role`` in a transaction rolled back at the end (the platform's with its reach)."""
    with psycopg.connect(urls[role]) as conn:
        try:
            if role == "platform":
                conn.execute(PLATFORM_REACH)
            yield conn
        finally:
            conn.rollback()


@asynccontextmanager
async def aconnected(urls: dict[str, str], role: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    conn = await psycopg.AsyncConnection.connect(urls[role])
    try:
        if role == "platform":
            await conn.execute(PLATFORM_REACH)
        yield conn
    finally:
        await conn.close()


def test_there_is_one_named_repository_per_table_sync_and_async() -> None:
    assert set(REPOSITORIES) == set(TABLES) == set(ASYNC_REPOSITORIES)
    for table, row in TABLES.items():
        assert REPOSITORIES[table].model is row
        assert ASYNC_REPOSITORIES[table].model is row
        assert REPOSITORIES[table].__name__ == ASYNC_REPOSITORIES[table].__name__.removeprefix("Async")


def test_only_shared_tables_lack_the_tenant_methods() -> None:
    shared = {t for t, row in TABLES.items() if row.__table_spec__.tenant is None}
    assert shared == set(SHARED)
    for table, repo in REPOSITORIES.items():
        assert hasattr(repo, "by_org") == (table not in shared)


@pytest.mark.parametrize("table", list(TABLES))
def test_insert_returns_the_stored_row_with_server_defaults(urls: dict[str, str], table: str) -> None:
    role = writer(table)
    with connected(urls, role) as conn:
        rows, _ = build(conn, rates=role != "app")
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
def test_get_update_delete_through_the_named_repository(urls: dict[str, str], table: str) -> None:
    role = writer(table, deleting=True)
    with connected(urls, role) as conn:
        get_update_delete(conn, role, table)


def get_update_delete(conn: psycopg.Connection[Any], role: str, table: str) -> None:
    rows, ids = build(conn, rates=role != "app")
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

    for child in children(table, role, ids):
        assert repo_for(conn, child, ids["organizations"]).delete(ids[child]) is True
    if table == "organizations":  # the audit trail of the writes references the organization
        conn.execute("DELETE FROM audit_logs WHERE org_id = %s", [key])
        conn.execute("DELETE FROM api_audit_logs WHERE org_id = %s", [key])
    assert repo.delete(key) is True
    assert repo.get(key) is None
    assert repo.delete(key) is False
    with pytest.raises(NotFound, match=table):
        repo.get_one(key)
    with pytest.raises(NotFound):
        repo.update(key, patch)


def test_the_application_never_deletes_what_the_audit_trail_keeps(conn: psycopg.Connection[Any]) -> None:
    """Why the test above deletes those rows as the owner: services only append to the audit log."""
    rows, ids = build(conn)
    org = ids["organizations"]
    entries = repo_for(conn, "audit_logs", org)
    with pytest.raises(PermissionDenied), conn.transaction():
        entries.update(ids["audit_logs"], PATCHES["audit_logs"][0])
    with pytest.raises(PermissionDenied), conn.transaction():
        entries.delete(ids["audit_logs"])
    assert repo_for(conn, "api_keys", org).delete(ids["api_keys"]) is True  # the user's other reference
    with pytest.raises(InvalidReference, match="audit_logs_user_id_fkey"), conn.transaction():
        repo_for(conn, "users", org).delete(ids["users"])  # build's entry names the user
    alone = key_of(REPOSITORIES["organizations"](conn).insert(OrganizationCreate(name="Alone")))
    with pytest.raises(InvalidReference, match="audit_logs_org_id_fkey"), conn.transaction():
        repo_for(conn, "organizations", alone).delete(alone)  # its only reference: the entry of its creation
    assert entries.get(ids["audit_logs"]) == rows["audit_logs"]
    assert repo_for(conn, "users", org).get(ids["users"]) == rows["users"]
    assert repo_for(conn, "organizations", alone).get(alone) is not None


@pytest.mark.parametrize("table", [t for t, row in TABLES.items() if row.__table_spec__.tenant is not None])
def test_by_org_returns_the_organizations_rows_only(conn: psycopg.Connection[Any], table: str) -> None:
    mine, my_ids = build(conn)
    theirs, their_ids = build(conn)
    repo = REPOSITORIES[table](conn)
    assert isinstance(repo, TenantRepo)
    for rows, ids in ((mine, my_ids), (theirs, their_ids)):
        found = repo.by_org(ids["organizations"])
        assert without_build_entries(found) == [rows[table]]
        if table == "audit_logs":
            assert {e.org_id for e in found} == {ids["organizations"]}, "another organization's entries came"
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
    attributes = {
        "c",
        "model",
        "create_model",
        "update_model",
        "key_column",
        "connection",
        "org_id",
        "actor",
        "validate_reads",
    }
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
        with pytest.raises(error), conn.transaction():  # a refusal by the server leaves the transaction usable
            call()

    # Reads see nothing of the other organization.
    covered |= {"get", "get_one", "get_many", "list", "count", "exists", "page", "for_org"}
    assert repo.get(key) is None
    refused("get_one", lambda: repo.get_one(key), NotFound)
    assert repo.get_many([key, my_ids[table]]) == [mine[table]]
    assert repo.list(by_key) == []
    assert without_build_entries(repo.list()) == [mine[table]]
    if table == "audit_logs":
        assert {e.org_id for e in repo.list()} == {me}, "another organization's entries were listed"
    assert repo.count(by_key) == 0
    assert repo.exists(by_key) is False
    assert repo.page(by_key).items == []
    assert repo.for_org(me).get(key) is None
    refused("by_org", lambda: repo.by_org(them))
    assert without_build_entries(repo.by_org(me)) == [mine[table]]
    covered.add("by_org")
    refused("unscoped_platform_list", lambda: repo.unscoped_platform_list(by_key))
    refused("unscoped_platform_count", lambda: repo.unscoped_platform_count(by_key))
    refused("unscoped_platform_page", lambda: repo.unscoped_platform_page(by_key))

    # Writes addressed to the other organization's row change nothing. Services only append to the audit log:
    # changing or deleting any entry is refused by the grants before a row is looked at.
    append_only = table in APPEND_ONLY
    theirs_again = _create_from(target)
    refused("insert", lambda: repo.insert(theirs_again))
    refused("insert_many", lambda: repo.insert_many([theirs_again]))
    refused("upsert", lambda: repo.upsert(theirs_again))
    refused("upsert_many", lambda: repo.upsert_many([theirs_again]))
    refused("copy_in", lambda: repo.copy_in([theirs_again]))
    refused("update", lambda: repo.update(key, patch), PermissionDenied if append_only else NotFound)
    if append_only:
        refused("delete", lambda: repo.delete(key), PermissionDenied)
        refused("delete_where", lambda: repo.delete_where(by_key), PermissionDenied)
    else:
        assert repo.delete(key) is False
        assert repo.delete_where(by_key) == 0
        covered |= {"delete", "delete_where"}

    # Writes of this organization's rows cannot take the other organization's key or move a row there (an upsert,
    # which may update, of an audit entry is refused by the grants already).
    if tenant.column != plain.key_column:
        parent = me if isinstance(tenant, OrgScoped) else my_ids[parent_table(tenant)]
        with pytest.raises(PermissionDenied if append_only else TenantScopeError), conn.transaction():
            repo.upsert(_create_from(target, **{tenant.column: parent}))
    update_model = REPOSITORIES[table].update_model
    if tenant.column in update_model.model_fields:
        elsewhere = them if isinstance(tenant, OrgScoped) else their_ids[parent_table(tenant)]
        with pytest.raises(TenantScopeError), conn.transaction():
            repo.update(my_ids[table], update_model.model_validate({tenant.column: elsewhere}))

    assert covered == SCOPED_METHODS
    assert plain.for_org(them).get(key) == target, "the other organization's row changed"
    assert plain.for_org(me).get(my_ids[table]) == mine[table]
    assert plain.for_org(them).count(by_key) == 1


def parent_table(tenant: OrgScoped | ParentScoped) -> str:
    assert isinstance(tenant, ParentScoped)
    return tenant.parent


def test_an_unscoped_tenant_repository_refuses_reads_across_organizations(
    conn: psycopg.Connection[Any], platform_url: str
) -> None:
    with psycopg.connect(platform_url) as platform:  # committed: the application reads the rate deck below
        platform.execute(PLATFORM_REACH)
        rows, ids = build(platform, rates=True)
    trunks = REPOSITORIES["sip_trunks"](conn)
    assert isinstance(trunks, TenantRepo)
    for call in (trunks.list, trunks.count, trunks.exists, trunks.page):
        with pytest.raises(TenantScopeError, match="for_org"):
            call()
    with pytest.raises(TenantScopeError):
        trunks.delete_where(Eq("name", "primary"))
    # Reading across organizations is the platform's, through methods that say so; the application gains nothing.
    assert trunks.unscoped_platform_count(Eq("org_id", ids["organizations"])) == 0
    with psycopg.connect(platform_url) as platform:
        across = REPOSITORIES["sip_trunks"](platform)
        assert isinstance(across, TenantRepo)
        assert rows["sip_trunks"] in across.unscoped_platform_list(Eq("org_id", ids["organizations"]))
        assert across.unscoped_platform_count(Eq("org_id", ids["organizations"])) == 1
    rates = REPOSITORIES["lcr_rates"](conn)  # shared reference data: every role reads it
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
    create_migrated_database: Callable[[], str], pg_server: Server, autocommit: bool
) -> None:
    """A trigger (as a row-level security policy would) reads ``warp.org_id`` while the scoped insert runs."""
    url = create_migrated_database()
    with psycopg.connect(url, autocommit=True) as admin:  # a database of its own: its trigger stays there
        admin.execute(
            "CREATE FUNCTION stamp_context() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "NEW.metadata = jsonb_build_object('seen', current_setting('warp.org_id', true)); RETURN NEW; END $$"
        )
        admin.execute("CREATE TRIGGER stamp BEFORE INSERT ON sip_trunks FOR EACH ROW EXECUTE FUNCTION stamp_context()")
    with psycopg.connect(pg_server.login(APP_ROLE).url(url), autocommit=autocommit) as conn:
        org = REPOSITORIES["organizations"](conn).insert(OrganizationCreate(name="ctx"))
        org_id = key_of(org)
        trunks = REPOSITORIES["sip_trunks"](conn).for_org(org_id)  # type: ignore[attr-defined]
        one = trunks.insert(SipTrunkCreate(org_id=org_id, name="one", username=f"one-{org_id.hex[:8]}"))
        many = trunks.insert_many([SipTrunkCreate(org_id=org_id, name="two", username=f"two-{org_id.hex[:8]}")])
        assert one.metadata == {"seen": str(org_id)}
        assert many[0].metadata == {"seen": str(org_id)}


@pytest.mark.parametrize("table", list(TABLES))
def test_async_repositories_match_the_sync_ones(urls: dict[str, str], table: str) -> None:
    role = writer(table, deleting=True)

    async def scenario() -> tuple[Row, Row, Row | None]:
        async with aconnected(urls, role) as conn:
            rows, ids = await abuild(conn, rates=role != "app")

            def scoped(name: str) -> Any:
                repo: Any = ASYNC_REPOSITORIES[name](conn)
                return repo.for_org(ids["organizations"]) if TABLES[name].__table_spec__.tenant is not None else repo

            repo = scoped(table)
            fetched = await repo.get_one(ids[table])
            updated = await repo.update(ids[table], PATCHES[table][0])
            for child in children(table, role, ids):
                await scoped(child).delete(ids[child])
            if table == "organizations":  # the audit trail of the writes references the organization
                await conn.execute("DELETE FROM audit_logs WHERE org_id = %s", [ids[table]])
                await conn.execute("DELETE FROM api_audit_logs WHERE org_id = %s", [ids[table]])
            assert await repo.delete(ids[table]) is True
            return rows[table], fetched, (updated if await repo.get(ids[table]) is None else None)

    inserted, fetched, updated = asyncio.run(scenario())
    assert fetched == inserted
    assert type(fetched) is TABLES[table]
    _, field, expected = PATCHES[table]
    assert updated is not None
    assert getattr(updated, field) == expected
