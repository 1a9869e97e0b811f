"""A set of factories sharing one seeded random generator, one clock and one memory of what they made."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any, cast
from uuid import UUID

import psycopg
from faker import Faker
from psycopg.pq import TransactionStatus

from warp_models import (
    BillingAccount,
    Organization,
    OrganizationSettings,
    PhoneNumber,
    PhoneNumberCreate,
    Row,
    SipTrunk,
    User,
)
from warp_repo._core.repository_async import AsyncTenantRepo
from warp_repo._core.repository_sync import TenantRepo
from warp_repo.repos import ASYNC_REPOSITORIES, REPOSITORIES
from warp_repo.secrets import EncryptedColumn, Keyring
from warp_repo.testing._access import ApiAuditLogFactory, PermissionMatrixFactory
from warp_repo.testing._billing import BillingAccountFactory, InvoiceFactory, UsageRecordFactory
from warp_repo.testing._cdrs import CdrFactory
from warp_repo.testing._devices import (
    DeviceConfigurationFactory,
    DeviceFactory,
    DeviceHealthMetricFactory,
    FirmwareVersionFactory,
)
from warp_repo.testing._extensions import DialPlanFactory, ExtensionFactory
from warp_repo.testing._factory import Factory, FactoryError, Known, Plan, Planned, require_id
from warp_repo.testing._messaging import MessageFactory, MessagingCampaignFactory
from warp_repo.testing._numbers import E911AddressFactory, PhoneNumberFactory
from warp_repo.testing._organizations import (
    ApiKeyFactory,
    AuditLogFactory,
    OrganizationFactory,
    OrganizationSettingsFactory,
    UserFactory,
)
from warp_repo.testing._provider import TelecomProvider
from warp_repo.testing._routing import LcrRateFactory, RoutingRuleFactory
from warp_repo.testing._secrets import TEST_API_KEY_PEPPERS, TEST_ENCRYPTION_KEYS, cheap_password_hash
from warp_repo.testing._trunks import SipTrunkFactory, TrunkAclFactory, TrunkRegistrationFactory
from warp_repo.testing._voicemail import VoicemailBoxFactory, VoicemailMessageFactory, VoicemailTranscriptionFactory

_POOL = 500
_CURRENT_TENANT = "SELECT current_setting('warp.org_id', true)"
_SET_TENANT = "SELECT set_config('warp.org_id', %s, true)"

# The share of a weekday's calls that start in each UTC hour: US business hours, Eastern to Pacific.
_HOURLY = (3, 2, 2, 1, 1, 1, 1, 1, 2, 3, 4, 6, 9, 12, 14, 15, 15, 14, 13, 12, 10, 8, 6, 4)
_HOURS = tuple(range(24))
_HOURLY_CUMULATIVE = tuple(itertools.accumulate(_HOURLY))


@dataclass(frozen=True)
class Tenant:
    """An organization with what a working tenant has: settings, a billing account, users, trunks, numbers."""

    organization: Organization
    settings: OrganizationSettings
    billing_account: BillingAccount
    users: list[User]
    trunks: list[SipTrunk]
    numbers: list[PhoneNumber]

    @property
    def id(self) -> UUID:
        """The organization's id."""
        return self.organization.id


class Factories:
    """One factory per table, all drawing from one seeded ``random.Random`` (Faker's own).

    The same seed and the same calls give the same rows again.

    Args:
        seed: the seed; the same seed and calls give the same values (with the same Faker version).
        conn: the connection ``create``/``batch``/``copy`` insert through; rows go into its current
            transaction, which is never committed here.
        aconn: the async connection ``acreate``/``abatch``/``acopy`` insert through.
        now: the instant "now" for generated times (UTC). Defaults to midnight UTC today, so a seed gives the
            same rows all day; pass a fixed one for rows that never change.
        locale: Faker's locale for names and addresses.
        keyring: the keys ``users.mfa_secret`` and ``billing_accounts.tax_id`` are encrypted under; the public
            test keys (``warp_repo.testing.TEST_ENCRYPTION_KEYS``) by default.
        peppers: the peppers ``api_keys.key_hash`` is made with; the public ``TEST_API_KEY_PEPPERS`` by default.

    Attributes:
        faker: the seeded Faker, with :class:`TelecomProvider` added (``factories.faker.e164()``).
        telecom: the telecom provider.
        random: the one random generator every factory draws from.
        keyring: the encryption keys of the secret columns.
        peppers: the API key peppers.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        conn: psycopg.Connection[Any] | None = None,
        aconn: psycopg.AsyncConnection[Any] | None = None,
        now: datetime | None = None,
        locale: str = "en_US",
        keyring: Keyring | None = None,
        peppers: Keyring | None = None,
    ) -> None:
        self.seed = seed
        self.conn = conn
        self.aconn = aconn
        self.keyring = keyring or TEST_ENCRYPTION_KEYS
        self.peppers = peppers or TEST_API_KEY_PEPPERS
        if now is None:
            now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        elif now.tzinfo is None:
            raise FactoryError("now must be timezone-aware (the database stores UTC)")
        self.now = now.astimezone(UTC)
        self.faker = Faker(locale)
        self.faker.seed_instance(seed)
        self.random: Random = self.faker.random
        # Given the Generator rather than the proxy: the provider reads its random generator on every value.
        self.telecom = TelecomProvider(self.faker.factories[0])
        self.faker.add_provider(self.telecom)
        self._known = Known()
        self._names: dict[UUID, str] = {}
        self._pools: dict[str, dict[int, str]] = {}
        self._pool_faker = _pool_faker(locale)

        self.organization = OrganizationFactory(self)
        self.organization_settings = OrganizationSettingsFactory(self)
        self.user = UserFactory(self)
        self.api_key = ApiKeyFactory(self)
        self.audit_log = AuditLogFactory(self)
        self.trunk = SipTrunkFactory(self)
        self.trunk_registration = TrunkRegistrationFactory(self)
        self.trunk_acl = TrunkAclFactory(self)
        self.phone_number = PhoneNumberFactory(self)
        self.e911_address = E911AddressFactory(self)
        self.routing_rule = RoutingRuleFactory(self)
        self.lcr_rate = LcrRateFactory(self)
        self.cdr = CdrFactory(self)
        self.billing_account = BillingAccountFactory(self)
        self.usage_record = UsageRecordFactory(self)
        self.invoice = InvoiceFactory(self)
        self.message = MessageFactory(self)
        self.messaging_campaign = MessagingCampaignFactory(self)
        self.extension = ExtensionFactory(self)
        self.dial_plan = DialPlanFactory(self)
        self.device_configuration = DeviceConfigurationFactory(self)
        self.firmware_version = FirmwareVersionFactory(self)
        self.device = DeviceFactory(self)
        self.device_health_metric = DeviceHealthMetricFactory(self)
        self.voicemail_box = VoicemailBoxFactory(self)
        self.voicemail_message = VoicemailMessageFactory(self)
        self.voicemail_transcription = VoicemailTranscriptionFactory(self)
        self.permission_matrix = PermissionMatrixFactory(self)
        self.api_audit_log = ApiAuditLogFactory(self)

    def __repr__(self) -> str:
        return f"<Factories seed={self.seed} now={self.now.isoformat()}>"

    @property
    def factories(self) -> dict[str, Factory[Any, Any]]:
        """Every factory by table name, in foreign-key order."""
        found = [v for v in vars(self).values() if isinstance(v, Factory)]
        order = {name: i for i, name in enumerate(REPOSITORIES)}
        return {f.table: f for f in sorted(found, key=lambda f: order[f.table])}

    def for_table(self, table: str) -> Factory[Any, Any]:
        """The factory of ``table``."""
        try:
            return self.factories[table]
        except KeyError:
            raise FactoryError(f"no factory for table {table!r}; tables: {', '.join(self.factories)}") from None

    # --- values shared by the factories ----------------------------------------------------------------------

    def uuid(self) -> UUID:
        """A random version-4 UUID from the set's generator."""
        return UUID(int=self.random.getrandbits(128), version=4)

    def past(self, days: float, *, after: float = 0) -> datetime:
        """An instant between ``days`` and ``after`` days before ``now``, to the second."""
        seconds = self.random.uniform(after * 86_400, days * 86_400)
        return (self.now - timedelta(seconds=seconds)).replace(microsecond=0)

    def after(self, start: datetime) -> datetime:
        """An instant between ``start`` and ``now``, to the second (an ``updated_at`` for ``created_at``)."""
        span = max((self.now - start).total_seconds(), 0)
        return (start + timedelta(seconds=self.random.uniform(0, span))).replace(microsecond=0)

    def password_hash(self) -> str:
        """A real Argon2id hash of ``TEST_PASSWORD`` with the cheapest parameters and a salt from the generator.

        ``verify_password(hash, TEST_PASSWORD)`` accepts it (and offers a rehash, as for any older hash).
        """
        return cheap_password_hash(self.random.randbytes(16))

    def encrypt(self, column: EncryptedColumn, value: str, *, row_id: UUID, org_id: UUID) -> str:
        """``value`` encrypted for ``column`` of row ``row_id`` under :attr:`keyring`, its nonce from the generator.

        The same seed gives the same ciphertext, which only test data may do: under a real key, a nonce must
        never come from a seeded generator.
        """
        sealed = column.encrypt(self.keyring, value, row_id=row_id, org_id=org_id, nonce_source=self.random.randbytes)
        return sealed.get_secret_value()

    def busy_instant(self, days: int) -> datetime:
        """A call start within ``days`` days before ``now``: weekdays and US working hours more likely."""
        draw = self.random.random
        midnight = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        while True:
            day = midnight - timedelta(days=1 + int(draw() * days))
            if day.weekday() < 5 or draw() < 0.35:
                break
        hour = self.random.choices(_HOURS, cum_weights=_HOURLY_CUMULATIVE)[0]
        return day + timedelta(hours=hour, seconds=int(draw() * 3600))

    def word(self, kind: str) -> str:
        """A Faker value of ``kind`` (``company``, ``first_name``, ``last_name``, ``user_agent`` ...).

        Drawn from a pool of a few hundred: Faker takes tens of microseconds per value, most of a row's cost when
        a test builds hundreds of thousands of rows. Entry ``i`` is made when first drawn, by a Faker seeded with
        the set's seed, ``kind`` and ``i``, so a set that builds three rows pays for three values, not the pool.
        """
        pool = self._pools.setdefault(kind, {})
        index = self.random.randrange(_POOL)
        value = pool.get(index)
        if value is None:
            self._pool_faker.seed_instance(f"{self.seed}:{kind}:{index}")
            value = pool[index] = str(getattr(self._pool_faker, kind)())
        return value

    def org_name(self, org: UUID | None) -> str:
        """The name of an organization the set made; a company name otherwise (the same for the same id)."""
        if org is None:
            return self.word("company")
        made = self._known.organization(org)
        if made is not None:
            return made.name
        if org not in self._names:
            self._names[org] = self.word("company")
        return self._names[org]

    def org_slug(self, org: UUID | None) -> str:
        """A DNS-label form of the organization's name (``watkins-and-sons``)."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.org_name(org).lower()).strip("-")
        return slug[:40].strip("-") or "org"

    def org_domain(self, org: UUID | None) -> str:
        """The organization's e-mail domain, under ``example.com``."""
        return f"{self.org_slug(org)}.example.com"

    def zip_code(self, state: str) -> str:
        """A five-digit ZIP code of ``state`` (any ZIP code where Faker knows none for it)."""
        pool = self._pools.setdefault(f"zip:{state}", {})
        index = self.random.randrange(20)
        code = pool.get(index)
        if code is None:
            self._pool_faker.seed_instance(f"{self.seed}:zip:{state}:{index}")
            try:
                code = str(self._pool_faker.zipcode_in_state(state))
            except (AttributeError, KeyError, ValueError):
                code = str(self._pool_faker.zipcode())
            code = pool[index] = code[:5].rjust(5, "0")
        return code

    def known_ids(self, table: str, org: UUID) -> list[UUID]:
        """Ids of the rows of ``table`` this set planned for ``org``, oldest first.

        Only parents are remembered: organizations, users, API keys, trunks and phone numbers.
        """
        return self._known.ids(table, org)

    def known_numbers(self, org: UUID) -> list[PhoneNumberCreate]:
        """The phone numbers this set planned for ``org``, oldest first."""
        return self._known.numbers(org)

    # --- a whole tenant --------------------------------------------------------------------------------------

    def _tenant_plan(self, users: int, trunks: int, numbers: int, **org: Any) -> Plan:
        plan = Plan()
        organization = self.organization._make_item({"status": "active"} | org, plan)
        org_id = require_id(organization)
        self.organization_settings._make_item({"org_id": org_id}, plan)
        self.billing_account._make_item({"org_id": org_id}, plan)
        for role in ["owner", *["user"] * (users - 1)][:users]:
            self.user._make_item({"org_id": org_id, "role": role, "status": "active"}, plan)
        for _ in range(trunks):
            self.trunk._make_item({"org_id": org_id, "status": "active"}, plan)
        for _ in range(numbers):
            self.phone_number._make_item({"org_id": org_id, "number_type": "local", "status": "assigned"}, plan)
        return plan

    def tenant(self, *, users: int = 2, trunks: int = 1, numbers: int = 3, **organization: Any) -> Tenant:
        """Insert a working tenant and return it.

        An active organization (``organization`` keywords are its columns), its settings and billing account,
        ``users`` users (the first an owner), ``trunks`` trunks and ``numbers`` local numbers routed to them.
        """
        return _tenant(self._run(self._tenant_plan(users, trunks, numbers, **organization)))

    async def atenant(self, *, users: int = 2, trunks: int = 1, numbers: int = 3, **organization: Any) -> Tenant:
        """``tenant`` through the async connection."""
        return _tenant(await self._arun(self._tenant_plan(users, trunks, numbers, **organization)))

    # --- running plans ---------------------------------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[Any]:
        if self.conn is None:
            raise FactoryError("these factories have no connection: Factories(seed, conn=conn), or use build()")
        return self.conn

    def _aconnection(self) -> psycopg.AsyncConnection[Any]:
        if self.aconn is None:
            raise FactoryError("these factories have no async connection: Factories(seed, aconn=aconn)")
        return self.aconn

    def insert_plan(self, plan: Plan) -> list[Row]:
        """Insert the rows of ``plan`` (``Factory.add``); the stored rows added with ``add``, in order."""
        return self._run(plan)

    def copy_plan(self, plan: Plan) -> int:
        """Insert the rows of ``plan`` with ``COPY`` where the session may; how many were added with ``add``."""
        return self._copy(plan)

    def _run(self, plan: Plan) -> list[Row]:
        """Insert a plan; the rows of its items, in plan order."""
        conn = self._connection()
        out: list[Row] = []
        with _tenant_kept(conn):
            for group in plan.groups():
                repo = _repo(group[0], conn)
                creates = [p.create for p in group]
                rows = repo.insert_many(creates) if len(creates) > 1 else [repo.insert(creates[0])]
                out.extend(row for row, planned in zip(rows, group, strict=True) if planned.item)
        return out

    def _copy(self, plan: Plan) -> int:
        """Insert a plan, its items with ``COPY``; how many items were written.

        Where row-level security applies to the session (the application role's), each organization's rows are
        copied through its scoped repository (``copy_in`` stages them and the policies check the move); otherwise
        one COPY takes every organization's rows.
        """
        conn = self._connection()
        written = 0
        with _tenant_kept(conn):
            for table, groups in itertools.groupby(plan.groups(), key=lambda g: g[0].table):
                if _row_security(conn, table):
                    for group in groups:
                        _repo(group[0], conn).copy_in(p.create for p in group)
                        written += sum(p.item for p in group)
                    continue
                # No row-level security applies to this session: one COPY for every organization's rows.
                rows = [p for group in groups for p in group]
                REPOSITORIES[table](conn).copy_in(p.create for p in rows)
                written += sum(p.item for p in rows)
        return written

    async def _arun(self, plan: Plan) -> list[Row]:
        conn = self._aconnection()
        out: list[Row] = []
        async with _atenant_kept(conn):
            for group in plan.groups():
                repo = _arepo(group[0], conn)
                creates = [p.create for p in group]
                rows = await repo.insert_many(creates) if len(creates) > 1 else [await repo.insert(creates[0])]
                out.extend(row for row, planned in zip(rows, group, strict=True) if planned.item)
        return out

    async def _acopy(self, plan: Plan) -> int:
        conn = self._aconnection()
        written = 0
        async with _atenant_kept(conn):
            for table, groups in itertools.groupby(plan.groups(), key=lambda g: g[0].table):
                if await _arow_security(conn, table):
                    for group in groups:
                        await _arepo(group[0], conn).copy_in(p.create for p in group)
                        written += sum(p.item for p in group)
                    continue
                rows = [p for group in groups for p in group]
                await ASYNC_REPOSITORIES[table](conn).copy_in(p.create for p in rows)
                written += sum(p.item for p in rows)
        return written


_POOL_FAKERS: dict[str, Faker] = {}


def _pool_faker(locale: str) -> Faker:
    """One Faker per locale for every set's pools: each value is made right after seeding it, so sharing is safe."""
    if locale not in _POOL_FAKERS:
        _POOL_FAKERS[locale] = Faker(locale)
    return _POOL_FAKERS[locale]


def _tenant(rows: list[Row]) -> Tenant:
    def of(kind: type[Row]) -> list[Any]:
        return [row for row in rows if isinstance(row, kind)]

    return Tenant(
        organization=of(Organization)[0],
        settings=of(OrganizationSettings)[0],
        billing_account=of(BillingAccount)[0],
        users=of(User),
        trunks=of(SipTrunk),
        numbers=of(PhoneNumber),
    )


def _repo(planned: Planned, conn: psycopg.Connection[Any]) -> Any:
    repo = REPOSITORIES[planned.table](conn)
    if planned.scope is not None and isinstance(repo, TenantRepo):
        return repo.for_org(planned.scope)
    return repo


def _arepo(planned: Planned, conn: psycopg.AsyncConnection[Any]) -> Any:
    repo = ASYNC_REPOSITORIES[planned.table](conn)
    if planned.scope is not None and isinstance(repo, AsyncTenantRepo):
        return repo.for_org(planned.scope)
    return repo


_ROW_SECURITY = "SELECT row_security_active(%s::regclass)"


def _row_security(conn: psycopg.Connection[Any], table: str) -> bool:
    found = conn.execute(_ROW_SECURITY, (table,)).fetchone()
    return bool(found and found[0])


async def _arow_security(conn: psycopg.AsyncConnection[Any], table: str) -> bool:
    found = await (await conn.execute(_ROW_SECURITY, (table,))).fetchone()
    return bool(found and found[0])


@contextmanager
def _tenant_kept(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Put back the transaction's tenant context (``warp.org_id``) that scoped inserts change."""
    if conn.autocommit:
        yield
        return
    found = conn.execute(_CURRENT_TENANT).fetchone()
    before = cast(str | None, found[0] if found else None)
    try:
        yield
    finally:
        if conn.info.transaction_status == TransactionStatus.INTRANS:
            conn.execute(_SET_TENANT, (before or "",))


@asynccontextmanager
async def _atenant_kept(conn: psycopg.AsyncConnection[Any]) -> AsyncIterator[None]:
    if conn.autocommit:
        yield
        return
    found = await (await conn.execute(_CURRENT_TENANT)).fetchone()
    before = cast(str | None, found[0] if found else None)
    try:
        yield
    finally:
        if conn.info.transaction_status == TransactionStatus.INTRANS:
            await conn.execute(_SET_TENANT, (before or "",))
