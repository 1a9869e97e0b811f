"""A populated WARP database for the isolation tests: several organizations with rows in every tenant table.

Rows are built with the models' create shapes and inserted as the superuser, so what the tests read back as the
application role can be compared with what is really there. Every partitioned table gets rows in the current
month's partition, the previous month's and the DEFAULT partition; some rows belong to no organization
(platform inventory, platform audit events) and must stay invisible to every tenant.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import psycopg
from psycopg import sql

from warp_models import (
    ApiAuditLogCreate,
    ApiKeyCreate,
    AuditLogCreate,
    BillingAccountCreate,
    CdrCreate,
    DeviceConfigurationCreate,
    DeviceCreate,
    DeviceHealthMetricCreate,
    DialPlanCreate,
    E911AddressCreate,
    ExtensionCreate,
    FirmwareVersionCreate,
    InvoiceCreate,
    LcrRateCreate,
    MessageCreate,
    MessagingCampaignCreate,
    OrganizationCreate,
    OrganizationSettingsCreate,
    PermissionMatrixCreate,
    PhoneNumberCreate,
    RoutingRuleCreate,
    SipTrunkCreate,
    TrunkAclCreate,
    TrunkRegistrationCreate,
    UsageRecordCreate,
    UserCreate,
    VoicemailBoxCreate,
    VoicemailMessageCreate,
    VoicemailTranscriptionCreate,
)
from warp_models._base import TABLES, Create
from warp_models._columns import OrgScoped, ParentScoped
from warp_repo._core.statements import driver_values
from warp_repo.secrets import hash_password
from warp_repo.security import tenant_tables

PASSWORD_HASH = hash_password("dataset password")  # one real hash for every user of the data set

_serial = itertools.count(1000)


def _n() -> int:
    return next(_serial)


def insert(conn: psycopg.Connection[tuple[object, ...]], row: Create) -> None:
    """Insert one create shape as is (its columns, no defaults filled in here)."""
    values = driver_values(row)
    table = row.__row__.__table_spec__.name
    query = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(name) for name in values),
        sql.SQL(", ").join(sql.Placeholder() for _ in values),
    )
    conn.execute(query, list(values.values()))


def months() -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """A time in this month's partition, one in last month's, and one only the DEFAULT partition takes."""
    now = dt.datetime.now(dt.UTC).replace(day=2, hour=12, minute=0, second=0, microsecond=0)
    previous = (now - dt.timedelta(days=3)).replace(day=2)
    return now, previous, dt.datetime(2035, 6, 15, 12, 0, tzinfo=dt.UTC)


def add_organization(conn: psycopg.Connection[tuple[object, ...]], org: UUID) -> None:
    """One organization with rows in every tenant table (two where a table has several per organization)."""
    n = _n()
    insert(conn, OrganizationCreate(id=org, name=f"Org {n}"))
    insert(conn, OrganizationSettingsCreate(org_id=org))
    for i in range(2):
        insert(
            conn,
            UserCreate(
                org_id=org,
                email=f"user{n}-{i}@example.com",
                username=f"user{n}-{i}",
                password_hash=PASSWORD_HASH,
            ),
        )
        insert(conn, AuditLogCreate(org_id=org, action="login"))
    insert(conn, ApiKeyCreate(org_id=org, key_hash=f"hs256:p1:{uuid.uuid4().hex * 2}", name="ci"))  # type: ignore[arg-type]
    for i in range(2):
        trunk = uuid.uuid4()
        insert(conn, SipTrunkCreate(id=trunk, org_id=org, name=f"trunk-{i}", username=f"trunk{n}-{i}"))
        insert(conn, TrunkRegistrationCreate(trunk_id=trunk, status="online"))
        insert(conn, TrunkAclCreate(trunk_id=trunk, ip_address=f"203.0.113.{i + 1}"))  # type: ignore[arg-type]
        number = uuid.uuid4()
        insert(
            conn,
            PhoneNumberCreate(id=number, number=f"+1415{n:04d}{i:03d}", country_code="1", org_id=org, trunk_id=trunk),
        )
        insert(conn, _e911(number))
    insert(conn, RoutingRuleCreate(org_id=org, name="default", match_pattern="1", action="lcr"))
    insert(conn, BillingAccountCreate(org_id=org))
    insert(
        conn,
        InvoiceCreate(
            org_id=org,
            invoice_number=f"INV-{n}",
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 1, 31),
            subtotal=Decimal("10.00"),
            total=Decimal("10.00"),
        ),
    )
    insert(
        conn,
        MessagingCampaignCreate(
            org_id=org,
            name=f"campaign {n}",
            from_number="+14155550100",
            recipient_list=["+14155550101"],
            message_template="Hello",
        ),
    )
    add_seed_000_rows(conn, org, n)
    for when in months():
        add_partitioned_rows(conn, org, when)


_DEVICES: dict[UUID, UUID] = {}
"""Each organization's device, for its health samples."""


def add_seed_000_rows(conn: psycopg.Connection[tuple[object, ...]], org: UUID, n: int) -> None:
    """Rows of the seed-000 tenant tables: an extension with its box, a message and its transcription, a device."""
    extension, config, device, box, message = (uuid.uuid4() for _ in range(5))
    insert(conn, ExtensionCreate(id=extension, org_id=org, extension="1001", sip_username=f"ext{n}"))
    insert(
        conn,
        DialPlanCreate.model_validate(
            {"org_id": org, "name": "default", "match_pattern": "1", "actions": [{"type": "lcr"}]}
        ),
    )
    insert(conn, DeviceConfigurationCreate(id=config, org_id=org, name="base"))
    mac = f"02:00:{(n >> 24) & 0xFF:02x}:{(n >> 16) & 0xFF:02x}:{(n >> 8) & 0xFF:02x}:{n & 0xFF:02x}"
    insert(conn, DeviceCreate(id=device, org_id=org, mac_address=mac, primary_extension_id=extension))
    _DEVICES[org] = device
    insert(conn, VoicemailBoxCreate(id=box, org_id=org, mailbox="1001", extension_id=extension))
    insert(conn, VoicemailMessageCreate(id=message, org_id=org, box_id=box, audio_url="s3://vm/1.wav"))
    insert(conn, VoicemailTranscriptionCreate(org_id=org, message_id=message, engine="whisper"))
    insert(conn, PermissionMatrixCreate(org_id=org, role="admin", resource="devices", action="manage"))


def add_partitioned_rows(conn: psycopg.Connection[tuple[object, ...]], org: UUID, when: dt.datetime) -> None:
    """One row of each partitioned table for ``org`` at ``when`` (which picks the partition)."""
    n = _n()
    insert(conn, CdrCreate(call_id=f"call-{n}@example.com", org_id=org, start_time=when))
    insert(
        conn,
        UsageRecordCreate(
            org_id=org,
            usage_type="voice_outbound",
            quantity=Decimal("1.5"),
            unit="minute",
            period_start=when,
            period_end=when,
        ),
    )
    insert(
        conn,
        MessageCreate(
            message_id=f"SM{n}",
            org_id=org,
            from_number="+14155550100",
            to_number="+14155550101",
            direction="outbound",
            created_at=when,
        ),
    )
    insert(conn, DeviceHealthMetricCreate(org_id=org, device_id=_DEVICES[org], recorded_at=when))
    insert(conn, ApiAuditLogCreate(org_id=org, service="billing", action_type="invoice.read", created_at=when))


def _e911(number: UUID) -> E911AddressCreate:
    return E911AddressCreate(
        phone_number_id=number,
        customer_name="Customer",
        street_number="100",
        street_name="Main",
        city="Springfield",
        state="IL",
        zip="62701",
    )


def add_platform_rows(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Rows of no organization: an unassigned number with its E911 address, a platform audit event, rates."""
    number = uuid.uuid4()
    insert(conn, PhoneNumberCreate(id=number, number=f"+1212{_n():07d}", country_code="1"))
    insert(conn, _e911(number))
    insert(conn, AuditLogCreate(action="partition-maintenance"))
    insert(conn, ApiAuditLogCreate(service="auth", action_type="token.issue"))
    insert(
        conn,
        FirmwareVersionCreate(
            vendor="yealink",
            model=f"T54W-{_n()}",
            version="96.86.0.70",
            file_url="https://firmware.example.com/T54W.rom",
            sha256="0" * 64,
        ),
    )
    for prefix in ("1212", "1415", "44"):
        insert(conn, LcrRateCreate(prefix=prefix, rate=Decimal("0.0042"), effective_date=dt.date(2026, 1, 1)))


def populate(url: str, count: int = 3) -> tuple[UUID, ...]:
    """Add ``count`` organizations and the platform rows, as the connection's (superuser) role."""
    orgs = tuple(uuid.uuid4() for _ in range(count))
    with psycopg.connect(url) as conn:
        for org in orgs:
            add_organization(conn, org)
        add_platform_rows(conn)
    return orgs


@dataclass(frozen=True)
class Relation:
    """A table holding tenant data, or one of its partitions, as the tests address it.

    Attributes:
        name: the table or partition queried.
        root: the table whose model declares it.
        key: the first primary key column, which identifies a row in the tests.
        owners: each row's key (as text) and its organization (None for platform rows), read as the superuser.
    """

    name: str
    root: str
    key: str
    owners: dict[str, UUID | None]

    def rows_of(self, org: UUID | None) -> set[str]:
        """The keys of the rows belonging to ``org``."""
        return {key for key, owner in self.owners.items() if owner == org}

    def counts(self) -> Counter[UUID | None]:
        """How many rows each organization has here."""
        return Counter(self.owners.values())


def owner_expression(root: str, alias: str) -> sql.Composable:
    """SQL for the organization owning a row of ``root`` (aliased ``alias``), through its parent if need be."""
    tenant = TABLES[root].__table_spec__.tenant
    if isinstance(tenant, OrgScoped):
        return sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(tenant.column))
    assert isinstance(tenant, ParentScoped)
    return sql.SQL("(SELECT p.org_id FROM {} p WHERE p.id = {}.{})").format(
        sql.Identifier(tenant.parent), sql.Identifier(alias), sql.Identifier(tenant.column)
    )


def relations(url: str) -> list[Relation]:
    """Every tenant table and every partition of one, with the owner of each row (read as the superuser)."""
    found: list[Relation] = []
    with psycopg.connect(url) as conn:
        for root in tenant_tables():
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT relid::text FROM pg_partition_tree(%s::regclass) ORDER BY level, relid::text", [root]
                )
            ] or [root]
            key = TABLES[root].primary_key()[0]
            for name in names:
                query = sql.SQL("SELECT t.{}::text, {} FROM {} AS t").format(
                    sql.Identifier(key), owner_expression(root, "t"), sql.Identifier(name)
                )
                owners = {str(k): o for k, o in conn.execute(query)}
                found.append(Relation(name, root, key, owners))
    return found
