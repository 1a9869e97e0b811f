"""``warp-db seed``: fill a database with a realistic platform, the same rows for the same seed.

Scale ``N`` is ``N`` tenant organizations (plus one wholesale carrier per twenty, at least one) with what
tenants have: settings, a billing account, users, API keys, trunks with registrations and access lists, numbers
with E911 addresses, routing rules, three months of invoices, usage records, audit entries, campaigns,
about 300 messages and 1 000 calls each over the 90 days before ``now`` (busier tenants get more), and a rate
deck from the carriers. Everything goes in one transaction: a run that fails leaves nothing, and a run with a
seed whose rows are already there does nothing.

Secret columns hold what they hold in production, never plaintext: Argon2id password hashes (of the factories'
public ``TEST_PASSWORD``, with the cheapest Argon2 parameters so that thousands of users take milliseconds),
peppered API key hashes, and AES-256-GCM ciphertexts of MFA secrets and tax ids. They are made under the
deployment's ``WARP_ENCRYPTION_KEYS`` and ``WARP_API_KEY_PEPPERS`` when those are set (so the service reads the
seeded secrets back), else under the public test keys of ``warp_repo.testing``.

Rows go in with ``COPY`` where the session may use it (row-level security does not apply to it), else as
pipelined inserts, each organization's rows in its own tenant context.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from warp_models import TABLES, ExtensionCreate
from warp_repo.repos import OrganizationRepo
from warp_repo.secrets import (
    API_KEY_PEPPERS_VARIABLE,
    ENCRYPTION_KEYS_VARIABLE,
    Keyring,
    load_api_key_peppers,
    load_encryption_keys,
)
from warp_repo.testing import TEST_API_KEY_PEPPERS, TEST_ENCRYPTION_KEYS, Factories, Factory, Plan
from warp_repo.testing._factory import require_id

__all__ = ["SeedReport", "first_organization", "run_seed", "seed_loaded", "table_digest"]

CDRS_PER_TENANT = 1_000
MESSAGES_PER_TENANT = 300


@dataclass(frozen=True)
class SeedReport:
    """What a seed run inserted.

    Attributes:
        seed: the seed.
        scale: how many tenant organizations.
        rows: rows inserted per table, in foreign-key order (empty when the seed was already loaded).
        seconds: seconds per table, as ``rows``.
        elapsed: seconds for the whole run, commit included.
        already_loaded: the seed's rows were in the database already, so nothing was inserted.
    """

    seed: int
    scale: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    already_loaded: bool = False

    @property
    def total(self) -> int:
        """Rows inserted in all tables."""
        return sum(self.rows.values())

    def rate(self, table: str) -> float:
        """Rows per second inserted into ``table`` (generation, validation and sending included)."""
        seconds = self.seconds.get(table, 0.0)
        return self.rows.get(table, 0) / seconds if seconds else 0.0


class _Progress:
    """A bar per table on a terminal; plain lines (every tenth and at the end) anywhere else."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._bars: Progress | None = None
        self._tasks: dict[str, Any] = {}
        self._plain: dict[str, tuple[int, int, int]] = {}

    @contextmanager
    def running(self) -> Iterator[_Progress]:
        if self._console.is_terminal:
            columns = (TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=self._console) as bars:
                self._bars = bars
                yield self
            self._bars = None
        else:
            yield self

    def start(self, table: str, total: int) -> None:
        if self._bars is not None:
            self._tasks[table] = self._bars.add_task(table, total=total)
        else:
            self._plain[table] = (0, total, 0)

    def advance(self, table: str, count: int) -> None:
        if self._bars is not None:
            self._bars.advance(self._tasks[table], count)
            return
        done, total, shown = self._plain[table]
        done += count
        tenth = 10 * done // total if total else 10
        if tenth > shown:
            self._console.print(f"  {table}: {done}/{total} ({10 * tenth} %)", highlight=False)
        self._plain[table] = (done, total, max(tenth, shown))


def first_organization(seed: int) -> UUID:
    """The id of the first organization a seed makes (a carrier): its presence says the seed is loaded."""
    return require_id(Factories(seed).organization.add(Plan(), tier="wholesale", status="active"))


def seed_loaded(conn: psycopg.Connection[Any], seed: int) -> bool:
    """Whether the rows of ``seed`` are in the database ``conn`` is connected to."""
    first = first_organization(seed)
    return OrganizationRepo(conn).for_org(first).get(first) is not None


def run_seed(
    url: str,
    console: Console,
    *,
    scale: int,
    seed: int,
    now: datetime | None = None,
    keyring: Keyring | None = None,
    peppers: Keyring | None = None,
) -> SeedReport:
    """Fill the (migrated) database at ``url`` with a platform of ``scale`` tenants; the same seed, the same rows.

    Args:
        url: the database; a role that may write every table (the seed writes the shared rate deck too).
        console: where progress goes: bars on a terminal, plain lines otherwise.
        scale: how many tenant organizations (1 000 calls and 300 messages each, on average).
        seed: the seed; the same seed (and ``now``, and keys) gives the same rows, ids included.
        now: the end of the seeded history; midnight UTC today when ``None``.
        keyring: the keys MFA secrets and tax ids are encrypted under; when ``None``, ``WARP_ENCRYPTION_KEYS``
            if it (or its ``_FILE`` variant) is set, else the public ``TEST_ENCRYPTION_KEYS``.
        peppers: the API key peppers; when ``None``, ``WARP_API_KEY_PEPPERS`` if set, else the public
            ``TEST_API_KEY_PEPPERS``.

    Returns:
        What was inserted, table by table, with timings.

    Raises:
        KeyringError: a key variable is set but malformed (never silently replaced by the test keys).
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, not {scale}")
    started = time.perf_counter()
    if keyring is None:
        keyring = _configured(ENCRYPTION_KEYS_VARIABLE, load_encryption_keys, TEST_ENCRYPTION_KEYS, console)
    if peppers is None:
        peppers = _configured(API_KEY_PEPPERS_VARIABLE, load_api_key_peppers, TEST_API_KEY_PEPPERS, console)
    with psycopg.connect(url, options="-c TimeZone=UTC") as conn:
        if seed_loaded(conn, seed):
            console.print(f"seed {seed} is already loaded (organization {first_organization(seed)}): nothing to do")
            return SeedReport(seed, scale, elapsed=time.perf_counter() - started, already_loaded=True)
        factories = Factories(seed, conn=conn, now=now, keyring=keyring, peppers=peppers)
        seeder = _Seeder(factories, _Progress(console))
        organizations = seeder.plan_organizations(scale)
        # Rates are shared data: writing them takes the platform reach for members of the platform or owner role.
        conn.execute("SELECT set_config('warp.platform', 'on', true)")
        console.print(
            f"seeding {scale} tenant(s) and {len(seeder.carriers)} carrier(s) with seed {seed}: about "
            f"{scale * CDRS_PER_TENANT:,} calls and {scale * MESSAGES_PER_TENANT:,} messages"
        )
        with seeder.progress.running():
            seeder.insert("organizations", organizations)
            seeder.run(scale)
        conn.commit()
    elapsed = time.perf_counter() - started
    ordered = {name: seeder.rows[name] for name in TABLES if name in seeder.rows}
    report = SeedReport(seed, scale, ordered, {name: seeder.seconds[name] for name in ordered}, elapsed)
    console.print(f"seeded {report.total:,} rows in {elapsed:.1f} s ({report.rate('cdrs'):,.0f} calls/s)")
    return report


def _configured(variable: str, load: Callable[[], Keyring], public: Keyring, console: Console) -> Keyring:
    """The deployment's keys when ``variable`` (or ``variable_FILE``) is set, else the public test keys."""
    if os.environ.get(variable) or os.environ.get(f"{variable}_FILE"):
        return load()
    console.print(f"{variable} is not set: secrets are made under the public test keys (test data only)")
    return public


@dataclass
class _Seeder:
    """The seed's steps, table by table, parents first."""

    factories: Factories
    progress: _Progress
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    carriers: list[UUID] = field(default_factory=list)
    tenants: list[UUID] = field(default_factory=list)

    def plan_organizations(self, scale: int) -> Plan:
        """The carriers (one per twenty tenants, at least one) and the tenants; a tenth resell a carrier."""
        f, rng, plan = self.factories, self.factories.random, Plan()
        for _ in range(max(1, scale // 20)):
            self.carriers.append(require_id(f.organization.add(plan, tier="wholesale", status="active")))
        for _ in range(scale):
            parent = rng.choice(self.carriers) if rng.random() < 0.1 else None
            tier = rng.choices(("standard", "premium", "enterprise"), weights=(60, 28, 12))[0]
            self.tenants.append(require_id(f.organization.add(plan, tier=tier, parent_org_id=parent)))
        return plan

    def insert(self, table: str, plan: Plan, began: float | None = None) -> None:
        """Insert a plan of ``table`` rows, counting and timing them."""
        began = time.perf_counter() if began is None else began
        count = sum(p.item for p in plan.entries)
        self.progress.start(table, count)
        written = self.factories.copy_plan(plan)
        self.progress.advance(table, written)
        self.rows[table] = self.rows.get(table, 0) + written
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - began

    def run(self, scale: int) -> None:
        """Every table after ``organizations``."""
        f, rng = self.factories, self.factories.random
        everyone = self.carriers + self.tenants
        self._each("organization_settings", everyone, lambda plan, org: f.organization_settings.add(plan, org_id=org))
        self._each("billing_accounts", everyone, lambda plan, org: f.billing_account.add(plan, org_id=org))
        self._each("users", self.tenants, self._users)
        self._each("api_keys", self.tenants, lambda plan, org: self._repeat(f.api_key, plan, org, 0, 3))
        self._each("sip_trunks", self.tenants, lambda plan, org: self._repeat(f.trunk, plan, org, 1, 4))
        self._each("trunk_registrations", self.tenants, self._registrations)
        self._each("trunk_acl", self.tenants, self._acl)
        self._each("phone_numbers", self.tenants, lambda plan, org: self._repeat(f.phone_number, plan, org, 5, 40))
        self._each("e911_addresses", self.tenants, self._e911)
        self._each("routing_rules", self.tenants, lambda plan, org: self._repeat(f.routing_rule, plan, org, 2, 6))
        deck = min(3_000, 200 + 20 * scale)
        self._each(
            "lcr_rates", self.carriers, lambda plan, org: [f.lcr_rate.add(plan, carrier_id=org) for _ in range(deck)]
        )
        self._each("invoices", self.tenants, self._invoices)
        self._each("usage_records", self.tenants, self._usage)
        self._each("audit_logs", self.tenants, lambda plan, org: self._repeat(f.audit_log, plan, org, 10, 30))
        self._each(
            "messaging_campaigns", self.tenants, lambda plan, org: self._repeat(f.messaging_campaign, plan, org, 0, 2)
        )
        self._seed_000_domains()
        weights = [rng.lognormvariate(0, 1) for _ in self.tenants]
        self._stream("messages", _shares(MESSAGES_PER_TENANT * len(self.tenants), weights))
        self._stream("cdrs", _shares(CDRS_PER_TENANT * len(self.tenants), weights))

    def _seed_000_domains(self) -> None:
        """Extensions and dial plans, devices and their health, voicemail, permissions and API calls."""
        f, tenants = self.factories, self.tenants
        self._each("extensions", tenants, lambda plan, org: self._repeat(f.extension, plan, org, 3, 12))
        self._each("dial_plans", tenants, lambda plan, org: self._repeat(f.dial_plan, plan, org, 3, 8))
        self._each(
            "device_configurations", tenants, lambda plan, org: self._repeat(f.device_configuration, plan, org, 1, 3)
        )
        self._each(
            "firmware_versions", self.carriers[:1], lambda plan, _org: [f.firmware_version.add(plan) for _ in range(8)]
        )
        self._each("devices", tenants, lambda plan, org: self._repeat(f.device, plan, org, 2, 10))
        self._each("device_health_metrics", tenants, self._health)
        self._each("voicemail_boxes", tenants, self._boxes)
        self._each("voicemail_messages", tenants, self._voicemails)
        self._each("voicemail_transcriptions", tenants, self._transcriptions)
        self._each(
            "permission_matrices", tenants, lambda plan, org: self._repeat(f.permission_matrix, plan, org, 20, 40)
        )
        self._each("api_audit_logs", tenants, lambda plan, org: self._repeat(f.api_audit_log, plan, org, 20, 60))

    def _health(self, plan: Plan, org: UUID) -> None:
        f = self.factories
        for device in f.known_ids("devices", org):
            for _ in range(f.random.randint(1, 4)):
                f.device_health_metric.add(plan, org_id=org, device_id=device)

    def _boxes(self, plan: Plan, org: UUID) -> None:
        f = self.factories
        for extension in f._known.of("extensions", org):
            if (
                isinstance(extension, ExtensionCreate)
                and extension.extension_type == "user"
                and f.random.random() < 0.7
            ):
                f.voicemail_box.add(plan, org_id=org, extension_id=extension.id, mailbox=extension.extension)

    def _voicemails(self, plan: Plan, org: UUID) -> None:
        f = self.factories
        for box in f.known_ids("voicemail_boxes", org):
            self._repeat_in(f.voicemail_message, plan, org, 0, 8, box_id=box)

    def _transcriptions(self, plan: Plan, org: UUID) -> None:
        f = self.factories
        for message in f.known_ids("voicemail_messages", org):
            if f.random.random() < 0.5:
                f.voicemail_transcription.add(plan, org_id=org, message_id=message)

    def _repeat_in(self, factory: Factory[Any, Any], plan: Plan, org: UUID, low: int, high: int, **given: Any) -> None:
        for _ in range(self.factories.random.randint(low, high)):
            factory.add(plan, org_id=org, **given)

    def _each(self, table: str, orgs: list[UUID], fill: Callable[[Plan, UUID], object]) -> None:
        """Plan ``table`` rows for each organization with ``fill``, then insert them all."""
        began = time.perf_counter()
        plan = Plan()
        for org in orgs:
            fill(plan, org)
        self.insert(table, plan, began)

    def _repeat(self, factory: Factory[Any, Any], plan: Plan, org: UUID, low: int, high: int) -> None:
        for _ in range(self.factories.random.randint(low, high)):
            factory.add(plan, org_id=org)

    def _stream(self, table: str, counts: list[int]) -> None:
        """Stream each tenant's share of ``table`` (messages, calls), chunk by chunk."""
        factory = self.factories.for_table(table)
        self.progress.start(table, sum(counts))
        began = time.perf_counter()
        written = 0
        for org, count in zip(self.tenants, counts, strict=True):
            if count:
                done = factory.copy(count, org_id=org)
                written += done
                self.progress.advance(table, done)
        self.rows[table] = written
        self.seconds[table] = time.perf_counter() - began

    def _users(self, plan: Plan, org: UUID) -> None:
        f = self.factories
        f.user.add(plan, org_id=org, role="owner", status="active")
        self._repeat(f.user, plan, org, 1, 7)

    def _registrations(self, plan: Plan, org: UUID) -> None:
        f = self.factories
        for trunk in f.known_ids("sip_trunks", org):
            if f.random.random() < 0.8:
                f.trunk_registration.add(plan, trunk_id=trunk, org_id=org)

    def _acl(self, plan: Plan, org: UUID) -> None:
        f = self.factories
        for trunk in f.known_ids("sip_trunks", org):
            for _ in range(f.random.randint(1, 3)):
                f.trunk_acl.add(plan, trunk_id=trunk, org_id=org)

    def _e911(self, plan: Plan, org: UUID) -> None:
        f = self.factories
        for number in f.known_numbers(org):
            if number.number_type == "local" and f.random.random() < 0.3:
                f.e911_address.add(plan, phone_number_id=number.id, org_id=org)

    def _invoices(self, plan: Plan, org: UUID) -> None:
        f = self.factories
        month = f.now.date().replace(day=1)
        for age in range(3):
            month = (month - timedelta(days=1)).replace(day=1)
            # Invoice numbers are unique across the platform: the seed in the number keeps two seeds' apart.
            number = f"INV-{month:%Y%m}-S{f.seed}-{f.invoice.sequence:06d}"
            status = "issued" if age == 0 else "paid"
            f.invoice.add(plan, org_id=org, period_start=month, status=status, invoice_number=number)

    def _usage(self, plan: Plan, org: UUID) -> None:
        f = self.factories
        f.usage_record.add(plan, org_id=org, usage_type="did_rental")
        for _ in range(f.random.randint(20, 60)):
            f.usage_record.add(plan, org_id=org, usage_type=f.random.choice(("voice_outbound", "voice_inbound", "sms")))


def _shares(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` into whole numbers that add up to ``total`` exactly."""
    whole = sum(weights)
    shares = [math.floor(total * w / whole) for w in weights]
    for i in range(total - sum(shares)):
        shares[i % len(shares)] += 1
    return shares


def table_digest(url: str) -> dict[str, str]:
    """An MD5 digest of every table's rows (in a fixed order): equal digests mean equal contents."""
    digests: dict[str, str] = {}
    with psycopg.connect(url, options="-c TimeZone=UTC") as conn:
        conn.execute("SELECT set_config('warp.platform', 'on', true)")
        for name in TABLES:
            query = sql.SQL("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {} AS t")
            found = conn.execute(query.format(sql.Identifier(name))).fetchone()
            digests[name] = str(found[0]) if found else ""
    return digests


def fingerprint(digests: dict[str, str]) -> str:
    """One digest of a whole database's table digests."""
    return hashlib.md5(
        "".join(f"{k}={v};" for k, v in sorted(digests.items())).encode(), usedforsecurity=False
    ).hexdigest()
