"""``warp-db demo``: migrate a database, check it against the models, seed a small platform and use the SDK on it.

Safe to run again on the same database: migrations already applied are skipped, the demo's seed is loaded once,
and the walk-through only reads (the rate-limit check counts in Redis, which expires by itself).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from warp_models import TABLES
from warp_models._columns import OrgScoped, ParentScoped
from warp_repo._core.statements import Eq, Range
from warp_repo._seed import run_seed, seed_loaded
from warp_repo.errors import TenantScopeError
from warp_repo.migrations import check_drift, format_drift, migrate
from warp_repo.repos import CdrRepo, OrganizationRepo, PhoneNumberRepo, TrunkRepo, UserRepo

DEMO_SEED = 2026
DEMO_SCALE = 3

_PARTITIONS = """
SELECT count(*) FILTER (WHERE pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'),
       min(c.relname) FILTER (WHERE pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'),
       max(c.relname) FILTER (WHERE pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'),
       bool_or(pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT')
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = %s::regclass
"""


def _scope(name: str) -> str:
    tenant = TABLES[name].__table_spec__.tenant
    if isinstance(tenant, OrgScoped):
        return f"org ({tenant.column})"
    if isinstance(tenant, ParentScoped):
        return f"via {tenant.parent} ({tenant.column})"
    return "shared"


def describe(conn: psycopg.Connection[tuple[object, ...]]) -> Table:
    """A table of the schema: each table's domain, columns, rows, partitions and tenant scope."""
    table = Table(title="WARP schema")
    for heading in ("table", "domain", "columns", "rows", "partitions", "tenant scope"):
        table.add_column(heading, justify="right" if heading in ("columns", "rows") else "left")
    for name, row in TABLES.items():
        count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()
        partitions = ""
        if row.__table_spec__.partition_by:
            monthly, first, last, default = conn.execute(_PARTITIONS, (name,)).fetchone() or (0, None, None, False)
            partitions = f"{monthly} monthly ({first} .. {last})" + (" + default" if default else "")
        domain = row.__module__.rsplit(".", 1)[-1]
        table.add_row(name, domain, str(len(row.__columns__)), str(count[0] if count else 0), partitions, _scope(name))
    return table


def run_demo(url: str, console: Console, *, migrations_dir: Path | None = None, redis_url: str | None = None) -> int:
    """Migrate ``url``, check drift, describe the schema, seed and walk through the SDK; 0 when the schema matches.

    The rate-limit step counts in the Redis at ``redis_url`` (``warp-db demo`` passes the configured or embedded
    one); without it, ``WARP_REDIS_URL`` / ``REDIS_URL``, else the step is skipped.
    """
    console.rule("1. migrate")
    report = migrate(url, migrations_dir=migrations_dir)
    if report.applied:
        for step in report.applied:
            console.print(f"applied {step.version} {step.name} ({step.execution_ms} ms)")
    else:
        console.print("nothing to apply: the database is up to date")
    console.rule("2. drift check")
    with psycopg.connect(url) as conn:
        drifts = check_drift(conn)
        console.print(format_drift(drifts), markup=False)
        console.rule("3. schema")
        console.print(describe(conn))
    if not drifts:
        console.rule("4. a small platform")
        _seed(url, console)
        console.rule("5. the SDK, as a tenant's request uses it")
        with psycopg.connect(url, options="-c TimeZone=UTC") as conn:
            org = _walk_through(conn, console)
            if org is not None:
                console.rule("6. call statistics")
                _call_statistics(conn, console, org)
                console.rule("7. rate limit")
                _rate_limit(conn, console, org, redis_url)
                console.rule("8. devices and voicemail")
                _devices_and_voicemail(conn, console, org)
    console.print(f"{len(TABLES)} tables; drift check {'passed' if not drifts else 'FAILED'}")
    return 1 if drifts else 0


def _seed(url: str, console: Console) -> None:
    """Load the demo's seed once; leave a database that holds other organizations as it is."""
    with psycopg.connect(url) as conn:
        if seed_loaded(conn, DEMO_SEED):
            console.print(f"the demo platform (seed {DEMO_SEED}) is already loaded")
            return
        found = conn.execute("SELECT count(*) FROM organizations").fetchone()
    existing = int(found[0]) if found else 0
    if existing:
        console.print(f"the database already holds {existing} organization(s): the walk-through uses them")
        return
    seeded = run_seed(url, Console(file=io.StringIO(), width=120), scale=DEMO_SCALE, seed=DEMO_SEED)
    if not seeded.already_loaded:
        console.print(
            f"seeded {DEMO_SCALE} tenants with seed {DEMO_SEED}: {seeded.total:,} rows in {seeded.elapsed:.1f} s "
            f"({seeded.rows.get('cdrs', 0):,} calls, {seeded.rows.get('messages', 0):,} messages)"
        )


def _show(console: Console, code: str, result: object) -> None:
    console.print(f"[bold]>>>[/bold] {code}", highlight=False)
    console.print(result)


def _walk_through(conn: psycopg.Connection[Any], console: Console) -> UUID | None:
    """Tenant-scoped repository calls on the busiest tenant; the organization's id, or None when none is visible."""
    orgs = OrganizationRepo(conn).unscoped_platform_list(Eq("status", "active"), order_by=("name",))
    tenants = [o for o in orgs if o.tier != "wholesale"] or orgs
    if not tenants:
        console.print("no organization is visible to this connection (row-level security applies to its role)")
        return None
    org = max(tenants, key=lambda o: CdrRepo(conn).for_org(o.id).count())
    console.print(f"organization: {org.name} ({org.tier}), id {org.id}")
    trunks = TrunkRepo(conn).for_org(org.id).list(order_by=("name",))
    trunk_rows = [
        (t.name, t.username, t.transport, t.auth_type, t.status, f"{t.channels_in_use}/{t.max_channels}")
        for t in trunks
    ]
    _show(
        console,
        "TrunkRepo(conn).for_org(org.id).list(order_by=('name',))",
        _rows("trunks", ("name", "username", "transport", "auth", "status", "channels"), trunk_rows),
    )
    numbers = PhoneNumberRepo(conn).for_org(org.id)
    number_rows = [
        (n.number, n.number_type, n.rate_center, n.state, n.lata, "yes" if n.sms_enabled else "")
        for n in numbers.list(order_by=("number",), limit=5)
    ]
    _show(
        console,
        "PhoneNumberRepo(conn).for_org(org.id).list(order_by=('number',), limit=5)",
        _rows(
            f"numbers ({numbers.count()} in all)",
            ("number", "type", "rate center", "state", "LATA", "SMS"),
            number_rows,
        ),
    )
    _show(console, "UserRepo(conn).for_org(org.id).count()", UserRepo(conn).for_org(org.id).count())
    page = CdrRepo(conn).for_org(org.id).page(limit=5, order_by=("-start_time",))
    call_rows = [
        (
            f"{c.start_time:%Y-%m-%d %H:%M}",
            c.from_number,
            c.to_number,
            c.sip_response_code,
            c.billable_duration,
            c.mos_score,
            c.cost,
        )
        for c in page.items
    ]
    _show(
        console,
        "CdrRepo(conn).for_org(org.id).page(limit=5, order_by=('-start_time',))",
        _rows("latest calls", ("start (UTC)", "from", "to", "SIP", "seconds", "MOS", "cost"), call_rows),
    )
    other = next((o for o in orgs if o.id != org.id), None)
    if other is not None:
        theirs = TrunkRepo(conn).for_org(other.id).list(limit=1)
        if theirs:
            seen = TrunkRepo(conn).for_org(org.id).get(theirs[0].id)
            _show(console, "TrunkRepo(conn).for_org(org.id).get(<a trunk of another organization>)", seen)
    try:
        TrunkRepo(conn).list()
    except TenantScopeError as exc:
        _show(console, "TrunkRepo(conn).list()  # no organization", f"TenantScopeError: {exc}")
    return org.id


def _rows(title: str, headings: tuple[str, ...], rows: Iterable[Sequence[object]]) -> Table:
    table = Table(title=title)
    for heading in headings:
        table.add_column(heading)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


def _call_statistics(conn: psycopg.Connection[Any], console: Console, org: UUID) -> None:
    """Calls per day over the last week: the statistics service when there is one, else counts by repository."""
    latest = CdrRepo(conn).for_org(org).page(limit=1, order_by=("-start_time",)).items
    if not latest:
        console.print("no calls yet")
        return
    end = latest[0].start_time.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    start = end - timedelta(days=7)
    stats = _stats_by_day(conn)
    table = Table(title=f"calls per day, {start:%Y-%m-%d} to {end - timedelta(days=1):%Y-%m-%d} (UTC)")
    if stats is not None:
        code = "CallRecords(conn).stats_by_day(org.id, start, end)"
        for heading in ("day", "calls", "answered", "ASR", "ACD (s)", "minutes", "cost", "MOS"):
            table.add_column(heading, justify="left" if heading == "day" else "right")
        for day, s in sorted(stats(org, start, end).items()):
            table.add_row(
                f"{day}",
                str(s.calls),
                str(s.answered),
                f"{s.asr or 0:.0%}",
                str(s.acd_seconds or ""),
                str(s.billable_minutes),
                str(s.cost),
                str(s.average_mos or ""),
            )
    else:
        code = "CdrRepo(conn).for_org(org.id).count(Range('start_time', day, day + 1 day), ...)"
        cdrs = CdrRepo(conn).for_org(org)
        for heading in ("day", "calls", "answered"):
            table.add_column(heading, justify="left" if heading == "day" else "right")
        for offset in range(7):
            day = start + timedelta(days=offset)
            window = Range("start_time", day, day + timedelta(days=1))
            table.add_row(
                f"{day:%Y-%m-%d}", str(cdrs.count(window)), str(cdrs.count(window, Eq("sip_response_code", 200)))
            )
    _show(console, code, table)


def _stats_by_day(conn: psycopg.Connection[Any]) -> Callable[[UUID, datetime, datetime], dict[Any, Any]] | None:
    try:
        from warp_repo.cdrs import CallRecords
    except ImportError:
        return None
    records = CallRecords(conn)
    return lambda org, start, end: dict(records.stats_by_day(org, start, end))


def _rate_limit(conn: psycopg.Connection[Any], console: Console, org: UUID, redis_url: str | None) -> None:
    """A trunk's call rate through the Redis limiter, when the cache layer and a Redis server are there."""
    try:
        from warp_repo.cache import CallRateLimiter, connect
    except ImportError:
        console.print("rate-limit check skipped: warp_repo.cache is not available")
        return
    if redis_url is None and not (os.environ.get("WARP_REDIS_URL") or os.environ.get("REDIS_URL")):
        console.print("rate-limit check skipped: set WARP_REDIS_URL (or REDIS_URL) to a Redis server to see it")
        return
    trunks = TrunkRepo(conn).for_org(org).list(limit=1)
    if not trunks:
        return
    trunk = trunks[0]
    try:
        client = connect(redis_url)
        try:
            limiter = CallRateLimiter(client)
            limit = 5
            decisions = [limiter.hit(trunk.id, fallback_limit=limit) for _ in range(limit + 2)]
        finally:
            client.close()
    except Exception as exc:  # any cache failure only skips this optional step
        console.print(f"rate-limit check skipped: {type(exc).__name__}: {exc}")
        return
    admitted = sum(d.allowed for d in decisions)
    _show(
        console,
        f"CallRateLimiter(connect()).hit(trunk.id, fallback_limit={limit})  # x{len(decisions)} within one second",
        f"{admitted} admitted, {len(decisions) - admitted} refused; limit {decisions[-1].limit} per "
        f"{limiter.window.total_seconds():g} s for trunk {trunk.name}",
    )


def _devices_and_voicemail(conn: psycopg.Connection[Any], console: Console, org: UUID) -> None:
    """A phone's provisioning lookup by MAC (as it spells it) and the organization's message-waiting lamps."""
    from warp_repo.devices import DeviceRepo, Devices
    from warp_repo.voicemail import Voicemail, VoicemailBoxRepo

    devices = DeviceRepo(conn).for_org(org).list(order_by=("mac_address",), limit=1)
    if devices:
        spelled = devices[0].mac_address.upper().replace(":", "-")
        with conn.transaction():  # the lookup takes the platform reach until the end of its transaction
            found = Devices(conn).provisioning(spelled)
        shown = (
            "no such device"
            if found is None
            else f"{found.device.vendor} {found.device.model}: {len(found.chain)} configuration(s), "
            f"{len(found.settings)} setting(s), {len(found.keys)} key(s), version {found.version}"
        )
        _show(console, f"Devices(conn).provisioning({spelled!r})", shown)
    boxes = [b.id for b in VoicemailBoxRepo(conn).for_org(org).list(limit=5)]
    if boxes:
        lamps = Voicemail(conn, org).message_waiting(boxes)
        rows = [(m.mailbox, m.summary(), "on" if m.waiting else "") for m in lamps]
        _show(
            console,
            "Voicemail(conn, org.id).message_waiting(box_ids)",
            _rows("message waiting", ("mailbox", "new/old (urgent)", "lamp"), rows),
        )
