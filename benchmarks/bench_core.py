"""Benchmarks of the repository core against raw psycopg, the SQLAlchemy ORM and SQLModel.

Every contender works on the same PostgreSQL server, the same ``cdrs`` table (as migrated by warp-models) and the
same rows. Six scenarios:

* ingest: 100 000 CDRs written and committed (``CdrRepo.copy_in`` against a binary ``COPY`` of the same tuples
  and the ORMs' bulk ``INSERT``);
* read: 20 000 CDRs of one organization and time range, as ``Cdr`` models, plain tuples, tuples made into
  dataclasses, mapped objects and SQLModel objects;
* trunks: 20 000 ``sip_trunks`` rows of one organization (three JSONB documents each) as ``SipTrunk`` models,
  tuples, dataclasses and mapped objects;
* get: 2 000 point reads by ``id``;
* page: a keyset page of 50 rows at the top of 1 000 000+ rows and one positioned after row 1 000 000;
* write: 500 single-row inserts in one transaction, each returned row validated in full (the write guard), against
  raw psycopg and raw psycopg with a savepoint around each insert (what the guard no longer opens); and the
  transaction ids 70 inserts take, in one transaction and on an autocommit connection.

Runs are interleaved (every contender once per round, in the same order, for several rounds) and the median of
the rounds is reported, with its ratio to raw psycopg (the floor) and to the ORMs. The script creates its own
database (``warp_bench`` unless told otherwise), migrates it and loads the 1 001 000 base rows once; a later run
reuses them. It is not part of the test suite::

    python benchmarks/bench_core.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
"""

import argparse
import cProfile
import dataclasses
import gc
import io
import os
import platform
import pstats
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import metadata as importlib_metadata
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlmodel import Field as SmField
from sqlmodel import Session as SmSession
from sqlmodel import SQLModel
from sqlmodel import select as sm_select

from warp_models import Cdr, CdrCreate, OrganizationCreate, SipTrunk, SipTrunkCreate
from warp_repo import CdrRepo, OrganizationRepo, TrunkRepo
from warp_repo.migrations import ensure_partitions, migrate

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_DBNAME = "warp_bench"

INGEST_ROWS = 100_000
READ_ROWS = 20_000
POINT_GETS = 2_000
BASE_ROWS = 1_001_000  # the deep page starts after row 1 000 000, so 1 000 more rows follow it
DEEP_ROW = 1_000_000
PAGE_SIZE = 50
PAGES_PER_RUN = 50
BASE_STEP = timedelta(seconds=25)  # base rows are 25 s apart: 1 001 000 rows span about 290 days

TRUNK_ROWS = 20_000
SINGLE_WRITES = 500
XID_WRITES = 70  # more than the 64 subtransactions PostgreSQL caches per transaction

BENCH_ORG = uuid.UUID("6c3f3d2e-0b1a-4c55-9b8e-5e2a0c0b7e01")
TRUNK_ORG = uuid.UUID("6c3f3d2e-0b1a-4c55-9b8e-5e2a0c0b7e03")
INGEST_ORG = uuid.UUID("6c3f3d2e-0b1a-4c55-9b8e-5e2a0c0b7e02")
BENCH_TRUNK = uuid.UUID("6c3f3d2e-0b1a-4c55-9b8e-5e2a0c0b7e11")
INGEST_TRUNK = uuid.UUID("6c3f3d2e-0b1a-4c55-9b8e-5e2a0c0b7e12")

COLUMNS: tuple[str, ...] = tuple(c.name for c in Cdr.__columns__)
SELECT_LIST = ", ".join(COLUMNS)
INGEST_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c != "created_at")
COPY_TYPES = {
    "id": "uuid",
    "call_id": "varchar",
    "org_id": "uuid",
    "trunk_id": "uuid",
    "from_number": "varchar",
    "to_number": "varchar",
    "start_time": "timestamp",
    "answer_time": "timestamp",
    "end_time": "timestamp",
    "duration": "int4",
    "billable_duration": "int4",
    "inbound": "bool",
    "source_ip": "inet",
    "destination_ip": "inet",
    "sip_response_code": "int4",
    "termination_cause": "varchar",
    "mos_score": "numeric",
    "packet_loss": "numeric",
    "jitter_avg": "int4",
    "rtt_avg": "int4",
    "rate": "numeric",
    "cost": "numeric",
    "billed": "bool",
    "codecs_used": "jsonb",
    "recording_url": "varchar",
    "metadata": "jsonb",
}
JSONB_COLUMNS = frozenset({"codecs_used", "metadata"})
TRUNK_COLUMNS: tuple[str, ...] = tuple(c.name for c in SipTrunk.__columns__)

# The floor's floor: tuples made into plain dataclasses, no conversion and no check.
CdrRecord = dataclasses.make_dataclass("CdrRecord", COLUMNS, slots=True)
TrunkRecord = dataclasses.make_dataclass("TrunkRecord", TRUNK_COLUMNS, slots=True)


# --- The same table, mapped by the SQLAlchemy ORM and by SQLModel -------------------------------------------------
#
# Both map all 27 columns of the existing, migrated ``cdrs`` table; nothing here creates or alters it. The table's
# stored primary key is (id, start_time) because it is partitioned; the mappings declare ``id`` alone as the
# identity, which is what lets ``session.get(model, id)`` address a row by its id, as ``CdrRepo.get`` does.
# ``metadata`` is a reserved attribute name in both libraries, so the attribute is ``meta`` on that column.


class OrmBase(DeclarativeBase):
    """Declarative base of the benchmark's ORM mapping (its own metadata, never used to create anything)."""


class OrmCdr(OrmBase):
    """``cdrs`` as a typical SQLAlchemy 2.0 ORM user maps it."""

    __tablename__ = "cdrs"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    call_id: Mapped[str] = mapped_column(sa.String(255))
    org_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    trunk_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    from_number: Mapped[str | None] = mapped_column(sa.String(50))
    to_number: Mapped[str | None] = mapped_column(sa.String(50))
    start_time: Mapped[datetime] = mapped_column(sa.DateTime)
    answer_time: Mapped[datetime | None] = mapped_column(sa.DateTime)
    end_time: Mapped[datetime | None] = mapped_column(sa.DateTime)
    duration: Mapped[int | None] = mapped_column(sa.Integer)
    billable_duration: Mapped[int | None] = mapped_column(sa.Integer)
    inbound: Mapped[bool | None] = mapped_column(sa.Boolean)
    source_ip: Mapped[IPv4Address | IPv6Address | None] = mapped_column(INET)
    destination_ip: Mapped[IPv4Address | IPv6Address | None] = mapped_column(INET)
    sip_response_code: Mapped[int | None] = mapped_column(sa.Integer)
    termination_cause: Mapped[str | None] = mapped_column(sa.String(100))
    mos_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    packet_loss: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    jitter_avg: Mapped[int | None] = mapped_column(sa.Integer)
    rtt_avg: Mapped[int | None] = mapped_column(sa.Integer)
    rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 6))
    cost: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 4))
    billed: Mapped[bool | None] = mapped_column(sa.Boolean)
    codecs_used: Mapped[list[str] | None] = mapped_column(JSONB)
    recording_url: Mapped[str | None] = mapped_column(sa.String(500))
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONB)
    created_at: Mapped[datetime | None] = mapped_column(sa.DateTime, server_default=sa.FetchedValue())


class OrmTrunk(OrmBase):
    """``sip_trunks`` as a typical SQLAlchemy 2.0 ORM user maps it (JSONB documents left as JSON values)."""

    __tablename__ = "sip_trunks"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    name: Mapped[str] = mapped_column(sa.String(255))
    username: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    auth_type: Mapped[str | None] = mapped_column(sa.String(50))
    status: Mapped[str | None] = mapped_column(sa.String(50))
    max_channels: Mapped[int | None] = mapped_column(sa.Integer)
    channels_in_use: Mapped[int | None] = mapped_column(sa.Integer)
    allowed_ips: Mapped[list[str] | None] = mapped_column(JSONB)
    transport: Mapped[str | None] = mapped_column(sa.String(20))
    nat_enabled: Mapped[bool | None] = mapped_column(sa.Boolean)
    codecs: Mapped[list[str] | None] = mapped_column(JSONB)
    dtmf_mode: Mapped[str | None] = mapped_column(sa.String(20))
    fax_enabled: Mapped[bool | None] = mapped_column(sa.Boolean)
    srtp_mode: Mapped[str | None] = mapped_column(sa.String(20))
    inbound_context: Mapped[str | None] = mapped_column(sa.String(100))
    outbound_proxy: Mapped[str | None] = mapped_column(sa.String(255))
    failover_trunk_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    meta: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONB)
    created_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime)


class SmCdr(SQLModel, table=True):
    """``cdrs`` as a typical SQLModel user declares it."""

    __tablename__ = "cdrs"

    id: uuid.UUID = SmField(primary_key=True)
    call_id: str = SmField(max_length=255)
    org_id: uuid.UUID
    trunk_id: uuid.UUID | None = None
    from_number: str | None = SmField(default=None, max_length=50)
    to_number: str | None = SmField(default=None, max_length=50)
    start_time: datetime
    answer_time: datetime | None = None
    end_time: datetime | None = None
    duration: int | None = None
    billable_duration: int | None = None
    inbound: bool | None = None
    source_ip: IPv4Address | IPv6Address | None = SmField(default=None, sa_type=INET)
    destination_ip: IPv4Address | IPv6Address | None = SmField(default=None, sa_type=INET)
    sip_response_code: int | None = None
    termination_cause: str | None = SmField(default=None, max_length=100)
    mos_score: Decimal | None = SmField(default=None, max_digits=3, decimal_places=2)
    packet_loss: Decimal | None = SmField(default=None, max_digits=5, decimal_places=2)
    jitter_avg: int | None = None
    rtt_avg: int | None = None
    rate: Decimal | None = SmField(default=None, max_digits=10, decimal_places=6)
    cost: Decimal | None = SmField(default=None, max_digits=10, decimal_places=4)
    billed: bool | None = None
    codecs_used: list[str] | None = SmField(default=None, sa_type=JSONB)
    recording_url: str | None = SmField(default=None, max_length=500)
    meta: dict[str, Any] | None = SmField(default=None, sa_column=sa.Column("metadata", JSONB))
    created_at: datetime | None = SmField(default=None, sa_column_kwargs={"server_default": sa.FetchedValue()})


# --- The data ------------------------------------------------------------------------------------------------------

MOS_SCORES = [Decimal(35 + k).scaleb(-1) for k in range(15)]  # 3.5 ... 4.9
RATE = Decimal("0.009500")
BASE_INSERT = sql.SQL(
    """
    INSERT INTO cdrs (call_id, org_id, trunk_id, from_number, to_number, start_time, answer_time, end_time,
                      duration, billable_duration, inbound, source_ip, destination_ip, sip_response_code,
                      termination_cause, mos_score, packet_loss, jitter_avg, rtt_avg, rate, cost, billed,
                      codecs_used, recording_url, metadata, created_at)
    SELECT 'base-' || i || '@sbc.example.net', {org}, {trunk},
           '+1415' || lpad((i % 10000000)::text, 7, '0'), '+1212' || lpad(((i * 7) % 10000000)::text, 7, '0'),
           {base} + i * interval '25 seconds',
           {base} + i * interval '25 seconds' + interval '3 seconds',
           {base} + i * interval '25 seconds' + interval '3 seconds' + (i % 600) * interval '1 second',
           i % 600 + 3, i % 600, i % 2 = 0,
           ('10.' || (i / 65536) % 256 || '.' || (i / 256) % 256 || '.' || i % 256)::inet, '198.51.100.7'::inet,
           CASE WHEN i % 10 = 0 THEN 486 ELSE 200 END,
           CASE WHEN i % 10 = 0 THEN 'USER_BUSY' ELSE 'NORMAL_CLEARING' END,
           3.5 + (i % 15) / 10.0, (i % 300) / 100.0, i % 40, 20 + i % 80,
           0.0095, round(0.0095 * (i % 600) / 60, 4), i % 3 = 0,
           '["PCMU", "G722"]'::jsonb,
           CASE WHEN i % 10 = 0 THEN 'https://rec.example.net/' || i || '.wav' END,
           jsonb_build_object('carrier', 'bench', 'leg', i % 2),
           {base} + i * interval '25 seconds' + interval '1 minute'
    FROM generate_series({first}, {last}) AS i
    """
)


TRUNK_INSERT = sql.SQL(
    """
    INSERT INTO sip_trunks (org_id, name, username, password_hash, max_channels, allowed_ips, codecs, metadata)
    SELECT {org}, 'bench-trunk-' || i, 'benchtrunk' || i, md5(i::text), 10 + i % 500,
           jsonb_build_array('10.' || i % 256 || '.0.0/16', '192.0.2.' || i % 256 || '/32'),
           '["PCMU", "PCMA", "G722"]'::jsonb,
           jsonb_build_object('region', 'us-east-' || i % 4, 'slot', i, 'tags', jsonb_build_array('bench', i % 7))
    FROM generate_series(1, {count}) AS i
    """
)


@dataclass(frozen=True)
class Dataset:
    """Where the base rows lie, and the inputs every contender is given."""

    base: datetime  # naive UTC: start_time of base row 0
    ingest_month: datetime  # aware UTC: first instant of the month the ingest rows go to
    ingest_partition: str

    def base_time(self, i: int) -> datetime:
        """start_time of base row ``i`` (naive UTC, as stored)."""
        return self.base + i * BASE_STEP

    @property
    def read_range(self) -> tuple[datetime, datetime]:
        """A half-open start_time range holding exactly ``READ_ROWS`` base rows, in the middle of the table."""
        first = BASE_ROWS // 2
        return self.base_time(first), self.base_time(first + READ_ROWS)

    @property
    def deep_time(self) -> datetime:
        """start_time of the row at position ``DEEP_ROW`` (1-based) in the page order, newest first."""
        return self.base_time(BASE_ROWS - DEEP_ROW)


def month_start(day: datetime, shift: int) -> datetime:
    """The first instant of the month ``shift`` months from ``day``'s month."""
    index = day.year * 12 + day.month - 1 + shift
    return day.replace(year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)


def ingest_feed(ds: Dataset) -> list[dict[str, Any]]:
    """100 000 CDRs as an ingest feed hands them over: Python values, aware UTC times, ids made by the client."""
    rng = random.Random(20261122)
    rows: list[dict[str, Any]] = []
    for i in range(INGEST_ROWS):
        start = ds.ingest_month + i * timedelta(seconds=20)
        answer = start + timedelta(seconds=3)
        seconds = i % 600
        rows.append(
            {
                "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                "call_id": f"ingest-{i}@sbc.example.net",
                "org_id": INGEST_ORG,
                "trunk_id": INGEST_TRUNK,
                "from_number": f"+1415{i % 10_000_000:07d}",
                "to_number": f"+1212{(i * 7) % 10_000_000:07d}",
                "start_time": start,
                "answer_time": answer,
                "end_time": answer + timedelta(seconds=seconds),
                "duration": seconds + 3,
                "billable_duration": seconds,
                "inbound": i % 2 == 0,
                "source_ip": IPv4Address(0x0A000000 + i),
                "destination_ip": IPv4Address("198.51.100.7"),
                "sip_response_code": 486 if i % 10 == 0 else 200,
                "termination_cause": "USER_BUSY" if i % 10 == 0 else "NORMAL_CLEARING",
                "mos_score": MOS_SCORES[i % 15],
                "packet_loss": Decimal(i % 300).scaleb(-2),
                "jitter_avg": i % 40,
                "rtt_avg": 20 + i % 80,
                "rate": RATE,
                "cost": (RATE * seconds / 60).quantize(Decimal("0.0001")),
                "billed": i % 3 == 0,
                "codecs_used": ["PCMU", "G722"],
                "recording_url": f"https://rec.example.net/{i}.wav" if i % 10 == 0 else None,
                "metadata": {"carrier": "bench", "leg": i % 2},
            }
        )
    return rows


def naive_utc(value: Any) -> Any:
    """A datetime as a ``TIMESTAMP`` column stores it (naive UTC); anything else unchanged."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def raw_tuples(feed: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """The feed as the tuples a hand-written ``COPY`` sends: naive UTC times, JSON wrapped for ``jsonb``."""
    return [tuple(Jsonb(row[c]) if c in JSONB_COLUMNS else naive_utc(row[c]) for c in INGEST_COLUMNS) for row in feed]


def orm_mappings(feed: Sequence[Mapping[str, Any]], naive: bool) -> list[dict[str, Any]]:
    """The feed keyed by the mappings' attribute names; with ``naive``, times as naive UTC (``sa.DateTime``).

    SQLModel (0.0.50) maps ``datetime`` fields to aware UTC values and refuses naive ones, as warp_repo does;
    a plain SQLAlchemy ``DateTime`` column takes the naive UTC values a ``TIMESTAMP`` holds.
    """
    convert = naive_utc if naive else (lambda v: v)
    return [{("meta" if k == "metadata" else k): convert(v) for k, v in row.items()} for row in feed]


# --- Set-up --------------------------------------------------------------------------------------------------------


def database_url(server_url: str, dbname: str) -> str:
    """The URL of database ``dbname`` on the server ``server_url`` points at."""
    params = conninfo_to_dict(server_url)
    params["dbname"] = dbname
    return make_conninfo("", **params)


def prepare_database(server_url: str, dbname: str, fresh: bool) -> str:
    """Create (or recreate with ``fresh``) the benchmark database, migrate it; its URL."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    url = database_url(server_url, dbname)
    report = migrate(url)
    if report.applied:
        say(f"migrated {dbname}: {len(report.applied)} migration(s) applied")
    ensure_partitions(url, months_ahead=3, months_behind=12, tables=["cdrs"])
    return url


def prepare_data(url: str) -> Dataset:
    """The two organizations and trunks, and the 1 001 000 base rows, loaded once and reused afterwards."""
    with psycopg.connect(url) as conn:
        orgs = OrganizationRepo(conn)
        trunks = TrunkRepo(conn)
        for org, trunk, name in ((BENCH_ORG, BENCH_TRUNK, "bench"), (INGEST_ORG, INGEST_TRUNK, "ingest")):
            if orgs.get(org) is None:
                orgs.insert(OrganizationCreate(id=org, name=f"warp-bench-{name}"))
                trunks.insert(SipTrunkCreate(id=trunk, org_id=org, name=f"{name}-trunk", username=f"bench{name}"))
        conn.commit()
        row = conn.execute(
            "SELECT count(*), min(start_time), max(start_time) FROM cdrs WHERE org_id = %s", (BENCH_ORG,)
        ).fetchone()
        assert row is not None
        count, first, last = row
        today = datetime.now(UTC)
        expected_span = (BASE_ROWS - 1) * BASE_STEP
        if count != BASE_ROWS or first is None or last - first != expected_span:
            if count:
                say(f"base rows are not as expected ({count}); reloading them")
                conn.execute("DELETE FROM cdrs WHERE org_id = %s", (BENCH_ORG,))
            first = month_start(today, -10).replace(tzinfo=None)
            load_base_rows(conn, first)
        if orgs.get(TRUNK_ORG) is None:
            orgs.insert(OrganizationCreate(id=TRUNK_ORG, name="warp-bench-trunks"))
        found = conn.execute("SELECT count(*) FROM sip_trunks WHERE org_id = %s", (TRUNK_ORG,)).fetchone()
        if found is None or found[0] != TRUNK_ROWS:
            conn.execute("DELETE FROM sip_trunks WHERE org_id = %s", (TRUNK_ORG,))
            conn.execute(TRUNK_INSERT.format(org=sql.Literal(TRUNK_ORG), count=sql.Literal(TRUNK_ROWS)))
            conn.commit()
            say(f"  loaded {TRUNK_ROWS:,} trunks")
        ingest_month = month_start(today, 2)
        partition = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'cdrs'::regclass AND pg_get_expr(c.relpartbound, c.oid) LIKE %s",
            (f"FOR VALUES FROM ('{ingest_month.replace(tzinfo=None):%Y-%m-%d %H:%M:%S}')%",),
        ).fetchone()
        if partition is None:
            raise SystemExit(f"no partition of cdrs for {ingest_month:%Y-%m}: run warp-db partitions ensure")
        conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(partition[0])))
        conn.commit()
    return Dataset(base=first, ingest_month=ingest_month, ingest_partition=partition[0])


def load_base_rows(conn: psycopg.Connection[Any], base: datetime) -> None:
    """Insert the base rows server-side (``generate_series``), in chunks, then analyze the table."""
    started = time.perf_counter()
    chunk = 200_000
    for first in range(0, BASE_ROWS, chunk):
        last = min(first + chunk, BASE_ROWS) - 1
        conn.execute(
            BASE_INSERT.format(
                org=sql.Literal(BENCH_ORG),
                trunk=sql.Literal(BENCH_TRUNK),
                base=sql.Literal(base),
                first=sql.Literal(first),
                last=sql.Literal(last),
            )
        )
        conn.commit()
        say(f"  loaded {last + 1:>9,} base rows ({time.perf_counter() - started:.0f} s)")
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE cdrs")
    conn.autocommit = False
    say(f"base rows ready in {time.perf_counter() - started:.0f} s")


# --- Measuring -----------------------------------------------------------------------------------------------------


@dataclass
class Samples:
    """The timings of one contender in one scenario, in seconds."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median wall-clock time."""
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        """Median CPU time of this process (the client side alone)."""
        return statistics.median(self.cpu)


Contender = tuple[str, Callable[[], int]]


def interleaved(
    title: str,
    contenders: Sequence[Contender],
    rounds: int,
    expected: int,
    after_each: Callable[[], None] | None = None,
    warmup: int = 1,
) -> dict[str, Samples]:
    """Run each contender once per round, in order (A, B, C, A, B, C, ...); the first ``warmup`` rounds are not kept.

    Each run returns how many rows it handled, which must be ``expected``.
    """
    out = {name: Samples() for name, _ in contenders}
    last: dict[str, float] = {}
    # The inputs built for the contenders (100 000 rows in several shapes) stay alive for the whole scenario; frozen,
    # they are not walked by every collection during a run, which only the contender's own objects should cost.
    gc.collect()
    gc.freeze()
    try:
        _rounds(title, contenders, rounds, expected, after_each, warmup, out, last)
    finally:
        gc.unfreeze()
    return out


def _rounds(
    title: str,
    contenders: Sequence[Contender],
    rounds: int,
    expected: int,
    after_each: Callable[[], None] | None,
    warmup: int,
    out: dict[str, Samples],
    last: dict[str, float],
) -> None:
    for r in range(warmup + rounds):
        for name, run in contenders:
            gc.collect()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            handled = run()
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            if handled != expected:
                raise RuntimeError(f"{title} / {name}: handled {handled} rows, expected {expected}")
            if after_each is not None:
                after_each()
            if r >= warmup:
                out[name].wall.append(wall)
                out[name].cpu.append(cpu)
            last[name] = wall
        kept = "warm-up" if r < warmup else f"round {r - warmup + 1}/{rounds}"
        say(f"  {title} {kept}: " + ", ".join(f"{n} {t * 1e3:.0f} ms" for n, t in last.items()))


@dataclass(frozen=True)
class Result:
    """One scenario's figures."""

    scenario: str
    samples: dict[str, Samples]
    floor: str
    scale: float = 1.0  # the measured time divided by this is the reported one (pages: per page)


# --- The contenders ------------------------------------------------------------------------------------------------


class Bench:
    """The connections and sessions of every contender, and the runs of every scenario."""

    def __init__(self, url: str, ds: Dataset) -> None:
        self.url = url
        self.ds = ds
        self.ours = psycopg.connect(url)
        self.raw = psycopg.connect(url)
        self.orm_engine = sa.create_engine(
            "postgresql+psycopg://", creator=lambda: psycopg.connect(url), pool_size=1, max_overflow=0
        )
        self.sm_engine = sa.create_engine(
            "postgresql+psycopg://", creator=lambda: psycopg.connect(url), pool_size=1, max_overflow=0
        )
        # Each unit of work commits, and objects are not expired on commit: the ORMs' fastest settings (expiring
        # 20 000 objects at commit, or the rollback a session does when closed without committing, which makes
        # psycopg drop every prepared statement, would cost them more).
        self.orm_session = sessionmaker(self.orm_engine, expire_on_commit=False)
        self.sm_session = sessionmaker(self.sm_engine, class_=SmSession, expire_on_commit=False)
        self.admin = psycopg.connect(url, autocommit=True)

    def close(self) -> None:
        """Close every connection."""
        for conn in (self.ours, self.raw, self.admin):
            conn.close()
        self.orm_engine.dispose()
        self.sm_engine.dispose()

    def server_version(self) -> str:
        """PostgreSQL's version string."""
        row = self.admin.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    # ingest ---------------------------------------------------------------------------------------------------------

    def clear_ingest(self) -> None:
        """Empty the ingest month's partition (the base rows live in other months)."""
        self.admin.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(self.ds.ingest_partition)))

    def ingest(self, rounds: int) -> Result:
        feed = ingest_feed(self.ds)
        tuples = raw_tuples(feed)
        mappings = orm_mappings(feed, naive=True)
        sm_mappings = orm_mappings(feed, naive=False)
        copy_sql = sql.SQL("COPY cdrs ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.SQL(", ").join(map(sql.Identifier, INGEST_COLUMNS))
        )
        types = [COPY_TYPES[c] for c in INGEST_COLUMNS]
        # Models a caller built beforehand (its own parsing step, not timed): copy_in takes them as validated, so
        # this run measures the conversion to driver values and the COPY alone.
        models = [CdrCreate.model_validate(row) for row in feed]

        def raw() -> int:
            with self.raw.cursor() as cur, cur.copy(copy_sql) as copy:
                copy.set_types(types)
                for row in tuples:
                    copy.write_row(row)
            self.raw.commit()
            return len(tuples)

        def ours() -> int:
            written = CdrRepo(self.ours).copy_in(feed)
            self.ours.commit()
            return written

        def ours_models() -> int:
            written = CdrRepo(self.ours).copy_in(models)
            self.ours.commit()
            return written

        def orm() -> int:
            with self.orm_session() as session, session.begin():
                session.execute(sa.insert(OrmCdr), mappings)
            return len(mappings)

        def sqlmodel() -> int:
            with self.sm_session() as session:
                session.exec(sa.insert(SmCdr), params=sm_mappings)
                session.commit()
            return len(sm_mappings)

        self.clear_ingest()
        samples = interleaved(
            "ingest",
            [
                ("raw psycopg", raw),
                ("warp_repo", ours),
                ("warp_repo, CdrCreate models", ours_models),
                ("SQLAlchemy ORM", orm),
                ("SQLModel", sqlmodel),
            ],
            rounds,
            INGEST_ROWS,
            after_each=self.clear_ingest,
            warmup=0,
        )
        return Result("ingest 100 000 CDRs, committed", samples, "raw psycopg")

    def ingest_alternatives(self) -> dict[str, float]:
        """One timing of each ORM's unit-of-work path (``add_all``), slower than the bulk ``INSERT`` in the table."""
        feed = ingest_feed(self.ds)
        mappings = orm_mappings(feed, naive=True)
        sm_mappings = orm_mappings(feed, naive=False)

        def orm_add_all() -> int:
            with self.orm_session() as session, session.begin():
                session.add_all([OrmCdr(**m) for m in mappings])
            return len(mappings)

        def sm_add_all() -> int:
            with self.sm_session() as session:
                session.add_all([SmCdr(**m) for m in sm_mappings])
                session.commit()
            return len(sm_mappings)

        out: dict[str, float] = {}
        for name, run in (
            ("SQLAlchemy ORM session.add_all + commit", orm_add_all),
            ("SQLModel session.add_all + commit", sm_add_all),
        ):
            self.clear_ingest()
            gc.collect()
            started = time.perf_counter()
            if run() != INGEST_ROWS:
                raise RuntimeError(f"{name}: wrong row count")
            out[name] = time.perf_counter() - started
            say(f"  ingest alternative {name}: {out[name] * 1e3:.0f} ms")
        self.clear_ingest()
        return out

    # read -----------------------------------------------------------------------------------------------------------

    def read(self, rounds: int) -> Result:
        start, end = self.ds.read_range
        aware = (start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))
        raw_sql = f"SELECT {SELECT_LIST} FROM cdrs WHERE org_id = %s AND start_time >= %s AND start_time < %s"

        def raw() -> int:
            with self.raw.cursor() as cur:
                rows = cur.execute(raw_sql, (BENCH_ORG, start, end)).fetchall()
            self.raw.commit()
            return len(rows)

        def raw_records() -> int:
            with self.raw.cursor() as cur:
                rows = cur.execute(raw_sql, (BENCH_ORG, start, end)).fetchall()
            self.raw.commit()
            return len([CdrRecord(*row) for row in rows])

        def ours() -> int:
            rows = CdrRepo(self.ours).for_org(BENCH_ORG).list(CdrRepo.c.start_time.between(*aware))
            self.ours.commit()
            return len(rows)

        def ours_validated() -> int:
            repo = CdrRepo(self.ours, validate_reads=True).for_org(BENCH_ORG)
            rows = repo.list(CdrRepo.c.start_time.between(*aware))
            self.ours.commit()
            return len(rows)

        def orm() -> int:
            with self.orm_session() as session, session.begin():
                stmt = sa.select(OrmCdr).where(
                    OrmCdr.org_id == BENCH_ORG, OrmCdr.start_time >= start, OrmCdr.start_time < end
                )
                rows = session.scalars(stmt).all()
            return len(rows)

        def sqlmodel() -> int:
            with self.sm_session() as session, session.begin():
                stmt = sm_select(SmCdr).where(
                    SmCdr.org_id == BENCH_ORG, SmCdr.start_time >= aware[0], SmCdr.start_time < aware[1]
                )
                rows = session.exec(stmt).all()
            return len(rows)

        samples = interleaved(
            "read",
            [
                ("raw psycopg", raw),
                ("raw psycopg + dataclasses", raw_records),
                ("warp_repo", ours),
                ("warp_repo, validate_reads=True", ours_validated),
                ("SQLAlchemy ORM", orm),
                ("SQLModel", sqlmodel),
            ],
            rounds,
            READ_ROWS,
        )
        return Result("read 20 000 CDRs into objects", samples, "raw psycopg")

    # trunks ---------------------------------------------------------------------------------------------------------

    def trunks(self, rounds: int) -> Result:
        raw_sql = f"SELECT {', '.join(TRUNK_COLUMNS)} FROM sip_trunks WHERE org_id = %s ORDER BY id"

        def raw() -> int:
            with self.raw.cursor() as cur:
                rows = cur.execute(raw_sql, (TRUNK_ORG,)).fetchall()
            self.raw.commit()
            return len(rows)

        def raw_records() -> int:
            with self.raw.cursor() as cur:
                rows = cur.execute(raw_sql, (TRUNK_ORG,)).fetchall()
            self.raw.commit()
            return len([TrunkRecord(*row) for row in rows])

        def ours() -> int:
            rows = TrunkRepo(self.ours).by_org(TRUNK_ORG)
            self.ours.commit()
            return len(rows)

        def orm() -> int:
            with self.orm_session() as session, session.begin():
                stmt = sa.select(OrmTrunk).where(OrmTrunk.org_id == TRUNK_ORG).order_by(OrmTrunk.id)
                rows = session.scalars(stmt).all()
            return len(rows)

        samples = interleaved(
            "trunks",
            [
                ("raw psycopg", raw),
                ("raw psycopg + dataclasses", raw_records),
                ("warp_repo", ours),
                ("SQLAlchemy ORM", orm),
            ],
            rounds,
            TRUNK_ROWS,
        )
        return Result("read 20 000 SIP trunks (3 JSONB documents each) into objects", samples, "raw psycopg")

    # write ----------------------------------------------------------------------------------------------------------

    def write(self, rounds: int) -> Result:
        """Single-row inserts in one transaction, guarded: what validating the returned rows costs."""
        feed = ingest_feed(self.ds)[:SINGLE_WRITES]
        creates = [CdrCreate.model_validate(row) for row in feed]
        tuples = raw_tuples(feed)
        names = ", ".join(INGEST_COLUMNS)
        marks = ", ".join(["%s"] * len(INGEST_COLUMNS))
        raw_sql = f"INSERT INTO cdrs ({names}) VALUES ({marks}) RETURNING {SELECT_LIST}"

        def raw() -> int:
            with self.raw.cursor() as cur:
                for values in tuples:
                    cur.execute(raw_sql, values)
                    cur.fetchone()
            self.raw.commit()
            return len(tuples)

        def raw_savepoints() -> int:
            # What the write guard used to add: a savepoint opened with each insert and released after it.
            with self.raw.cursor() as cur:
                for values in tuples:
                    with self.raw.pipeline():
                        cur.execute("SAVEPOINT bench_write")
                        cur.execute(raw_sql, values)
                    cur.fetchone()
                    cur.execute("RELEASE SAVEPOINT bench_write")
            self.raw.commit()
            return len(tuples)

        def ours() -> int:
            repo = CdrRepo(self.ours).for_org(INGEST_ORG)
            for create in creates:
                repo.insert(create)
            self.ours.commit()
            return len(creates)

        self.clear_ingest()
        samples = interleaved(
            "write",
            [
                ("raw psycopg: INSERT ... RETURNING", raw),
                ("raw psycopg: the same, a savepoint each", raw_savepoints),
                ("warp_repo insert, guarded", ours),
            ],
            rounds,
            SINGLE_WRITES,
            after_each=self.clear_ingest,
        )
        return Result(
            "500 single-row inserts in one transaction (each audited by warp_repo)",
            samples,
            "raw psycopg: INSERT ... RETURNING",
        )

    def transaction_ids(self) -> dict[str, tuple[int, int]]:
        """Transaction ids 70 ``insert`` calls take: ``txid_current()`` after minus before (less its own), and
        the distinct ``xmin`` of the rows written (exact; the delta also counts other sessions of the server)."""
        creates = [CdrCreate.model_validate(row) for row in ingest_feed(self.ds)[:XID_WRITES]]
        out: dict[str, tuple[int, int]] = {}
        with psycopg.connect(self.url, autocommit=True) as autocommit:
            for label, conn in (("one transaction", self.ours), ("autocommit", autocommit)):
                self.clear_ingest()
                before = self.txid()
                repo = CdrRepo(conn).for_org(INGEST_ORG)
                for create in creates:
                    repo.insert(create)
                conn.commit()
                delta = self.txid() - before - 1
                found = self.admin.execute(
                    sql.SQL("SELECT count(DISTINCT xmin::text) FROM {}").format(
                        sql.Identifier(self.ds.ingest_partition)
                    )
                ).fetchone()
                out[label] = (delta, int(found[0]) if found else 0)
        self.clear_ingest()
        return out

    def txid(self) -> int:
        found = self.admin.execute("SELECT txid_current()").fetchone()
        assert found is not None
        return int(found[0])

    # get ------------------------------------------------------------------------------------------------------------

    def sample_ids(self) -> list[uuid.UUID]:
        """``POINT_GETS`` ids of base rows picked at random (the same ones on every run)."""
        picks = random.Random(7).sample(range(BASE_ROWS), POINT_GETS)
        times = [self.ds.base_time(i) for i in picks]
        rows = self.admin.execute(
            "SELECT id, start_time FROM cdrs WHERE org_id = %s AND start_time = ANY(%s)", (BENCH_ORG, times)
        ).fetchall()
        by_time = {t: i for i, t in rows}
        return [by_time[t] for t in times]

    def get(self, rounds: int) -> Result:
        ids = self.sample_ids()
        raw_sql = f"SELECT {SELECT_LIST} FROM cdrs WHERE id = %s"

        def raw() -> int:
            found = 0
            with self.raw.cursor() as cur:
                for key in ids:
                    cur.execute(raw_sql, (key,))
                    found += cur.fetchone() is not None
            self.raw.commit()
            return found

        def ours() -> int:
            repo = CdrRepo(self.ours)
            found = 0
            for key in ids:
                found += repo.get(key) is not None
            self.ours.commit()
            return found

        def orm() -> int:
            found = 0
            with self.orm_session() as session, session.begin():
                for key in ids:
                    found += session.get(OrmCdr, key) is not None
            return found

        def sqlmodel() -> int:
            found = 0
            with self.sm_session() as session, session.begin():
                for key in ids:
                    found += session.get(SmCdr, key) is not None
            return found

        samples = interleaved(
            "get",
            [("raw psycopg", raw), ("warp_repo", ours), ("SQLAlchemy ORM", orm), ("SQLModel", sqlmodel)],
            rounds,
            POINT_GETS,
        )
        return Result("2 000 point gets by id", samples, "raw psycopg")

    # page -----------------------------------------------------------------------------------------------------------

    def deep_cursor(self) -> str:
        """A page cursor positioned after row ``DEEP_ROW`` of the newest-first order, made through the public API.

        A cursor carries the table, scope and ordering, not the filters: the cursor after the first row of
        ``start_time <= t`` is the cursor after that row in the unfiltered order.
        """
        repo = CdrRepo(self.ours).for_org(BENCH_ORG)
        deep = self.ds.deep_time.replace(tzinfo=UTC)
        page = repo.page(CdrRepo.c.start_time <= deep, limit=1, order_by=["-start_time"])
        self.ours.rollback()
        if page.next_cursor is None or page.items[0].start_time != deep:
            raise RuntimeError("could not position a cursor at the deep row")
        return page.next_cursor

    def page(self, rounds: int) -> Result:
        cursor = self.deep_cursor()
        deep_key = self.admin.execute(
            "SELECT start_time, id FROM cdrs WHERE org_id = %s AND start_time = %s", (BENCH_ORG, self.ds.deep_time)
        ).fetchone()
        assert deep_key is not None
        order = "ORDER BY start_time DESC, id DESC LIMIT %s"
        first_sql = f"SELECT {SELECT_LIST} FROM cdrs WHERE org_id = %s {order}"
        # The partition bound beside the row comparison, as the repository writes it: the hand-written floor gets
        # the same pruning, so the ratio measures the layer and not the SQL.
        deep_sql = (
            f"SELECT {SELECT_LIST} FROM cdrs WHERE org_id = %s AND (start_time, id) < (%s, %s) AND start_time <= %s "
            f"{order}"
        )
        newest = self.ds.base_time(BASE_ROWS - 1)
        after_deep = self.ds.base_time(BASE_ROWS - DEEP_ROW - 1)

        def ours_at(after: str | None) -> Callable[[], int]:
            def run() -> int:
                repo = CdrRepo(self.ours).for_org(BENCH_ORG)
                for _ in range(PAGES_PER_RUN):
                    page = repo.page(after=after, limit=PAGE_SIZE, order_by=["-start_time"])
                    self.ours.commit()
                    if page.next_cursor is None or len(page.items) != PAGE_SIZE:
                        raise RuntimeError("a short page")
                expected = newest if after is None else after_deep
                if page.items[0].start_time != expected.replace(tzinfo=UTC):
                    raise RuntimeError("the page does not start where expected")
                return PAGES_PER_RUN

            return run

        def raw_at(deep: bool) -> Callable[[], int]:
            def run() -> int:
                with self.raw.cursor() as cur:
                    for _ in range(PAGES_PER_RUN):
                        if deep:
                            cur.execute(deep_sql, (BENCH_ORG, *deep_key, deep_key[0], PAGE_SIZE + 1))
                        else:
                            cur.execute(first_sql, (BENCH_ORG, PAGE_SIZE + 1))
                        rows = cur.fetchall()
                        self.raw.commit()
                        if len(rows) != PAGE_SIZE + 1:
                            raise RuntimeError("a short page")
                expected = after_deep if deep else newest
                if rows[0][COLUMNS.index("start_time")] != expected:
                    raise RuntimeError("the page does not start where expected")
                return PAGES_PER_RUN

            return run

        samples = interleaved(
            "page",
            [
                ("warp_repo first", ours_at(None)),
                ("warp_repo deep", ours_at(cursor)),
                ("raw first", raw_at(False)),
                ("raw deep", raw_at(True)),
            ],
            rounds,
            PAGES_PER_RUN,
        )
        scenario = f"keyset page of {PAGE_SIZE} rows, first vs after row 1 000 000 (ms per page)"
        return Result(scenario, samples, "raw first", PAGES_PER_RUN)

    def explain_deep_page(self) -> str:
        """The plan of the deep page as the repository runs it (a sanity check that the index serves it)."""
        key = self.admin.execute(
            "SELECT start_time, id FROM cdrs WHERE org_id = %s AND start_time = %s", (BENCH_ORG, self.ds.deep_time)
        ).fetchone()
        assert key is not None
        rows = self.admin.execute(
            f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT {SELECT_LIST} FROM cdrs "
            "WHERE org_id = %s AND (start_time, id) < (%s, %s) AND start_time <= %s "
            "ORDER BY start_time DESC NULLS FIRST, id DESC NULLS FIRST LIMIT 51",
            (BENCH_ORG, *key, key[0]),
        ).fetchall()
        return compact_plan([str(r[0]) for r in rows])

    # profiling ------------------------------------------------------------------------------------------------------

    def profile(self, scenario: str) -> str:
        """cProfile of ``warp_repo`` alone on one scenario: the top functions by own time."""
        profiler = cProfile.Profile()
        if scenario == "ingest":
            feed = ingest_feed(self.ds)
            profiler.enable()
            CdrRepo(self.ours).copy_in(feed)
            self.ours.commit()
            profiler.disable()
            self.clear_ingest()
        elif scenario == "read":
            start, end = (t.replace(tzinfo=UTC) for t in self.ds.read_range)
            profiler.enable()
            CdrRepo(self.ours).for_org(BENCH_ORG).list(CdrRepo.c.start_time.between(start, end))
            profiler.disable()
            self.ours.commit()
        elif scenario == "get":
            ids = self.sample_ids()
            repo = CdrRepo(self.ours)
            for key in ids[:10]:
                repo.get(key)
            profiler.enable()
            for key in ids:
                repo.get(key)
            profiler.disable()
            self.ours.commit()
        else:
            cursor = self.deep_cursor()
            repo = CdrRepo(self.ours).for_org(BENCH_ORG)
            profiler.enable()
            for _ in range(200):
                repo.page(after=cursor, limit=PAGE_SIZE, order_by=["-start_time"])
                self.ours.commit()
            profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(25)
        return out.getvalue()


def compact_plan(lines: Sequence[str]) -> str:
    """An ``EXPLAIN ANALYZE`` text without the partitions that returned no row (and their conditions)."""
    out: list[str] = []
    skipping = False
    for line in lines:
        if "->" in line or not line.startswith(" "):
            skipping = "(actual rows=0 " in line
            if skipping:
                continue
        elif skipping:
            continue
        out.append(line)
    skipped = sum(1 for line in lines if "->" in line and "(actual rows=0 " in line)
    out.append(f"({skipped} partition scans that returned no row left out)")
    return "\n".join(out)


# --- Reporting -----------------------------------------------------------------------------------------------------


def say(message: str) -> None:
    """Progress on stderr, so that stdout holds the results alone."""
    print(message, file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    """What the benchmark ran on."""
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    versions = []
    for package in ("warp-models", "psycopg", "psycopg-binary", "pydantic", "pydantic-core", "sqlalchemy", "sqlmodel"):
        try:
            versions.append(f"{package} {importlib_metadata.version(package)}")
        except importlib_metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "psycopg implementation": psycopg.pq.__impl__,
        "packages": ", ".join(versions),
    }


def paired(res: Result, name: str, other: str) -> float:
    """The median over rounds of ``name``'s time divided by ``other``'s time in the same round.

    Runs of one round are seconds apart, so a ratio taken within a round cancels most of the drift of a busy
    machine's load; it is the figure the targets are judged on.
    """
    mine, theirs = res.samples[name].wall, res.samples[other].wall
    return statistics.median(a / b for a, b in zip(mine, theirs, strict=True))


def table(results: Sequence[Result]) -> str:
    """The results as a Markdown table: medians, the client's CPU time, and paired ratios."""
    lines = [
        "| scenario | contender | median ms | client CPU ms | min-max ms | time / floor | SQLAlchemy ORM time / this"
        " | SQLModel time / this |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        for name, s in res.samples.items():
            cells = [
                res.scenario,
                name,
                f"{s.median / res.scale * 1e3:.2f}",
                f"{s.cpu_median / res.scale * 1e3:.2f}",
                f"{min(s.wall) / res.scale * 1e3:.1f}-{max(s.wall) / res.scale * 1e3:.1f}",
                f"{paired(res, name, res.floor):.2f}x",
            ]
            for orm in ("SQLAlchemy ORM", "SQLModel"):
                cells.append(f"{paired(res, orm, name):.2f}x" if orm in res.samples else "-")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdicts(results: Mapping[str, Result]) -> list[str]:
    """Each target, met or missed, judged on the paired ratio it names."""
    out: list[str] = []

    def check(label: str, value: float, limit: float, higher_is_better: bool = False) -> None:
        met = value >= limit if higher_is_better else value <= limit
        sign = ">=" if higher_is_better else "<="
        out.append(f"{'MET   ' if met else 'MISSED'} {label}: {value:.2f} (target {sign} {limit:g})")

    if "ingest" in results:
        ingest = results["ingest"]
        check("ingest throughput / raw COPY throughput", paired(ingest, "raw psycopg", "warp_repo"), 0.6, True)
        models = paired(ingest, "raw psycopg", "warp_repo, CdrCreate models")
        out.append(f"       (copy_in of CdrCreate models built beforehand: {models:.2f})")
        check("ingest: SQLAlchemy ORM time / warp_repo time", paired(ingest, "SQLAlchemy ORM", "warp_repo"), 3.0, True)
        check("ingest: SQLModel time / warp_repo time", paired(ingest, "SQLModel", "warp_repo"), 3.0, True)
    for scenario, what in (("read", "read"), ("trunks", "read trunks")):
        if scenario in results:
            res = results[scenario]
            check(f"{what} time / raw tuples time", paired(res, "warp_repo", "raw psycopg"), 1.3)
            for orm in ("SQLAlchemy ORM", "SQLModel"):
                if orm in res.samples:
                    check(f"{what}: {orm} time / warp_repo time", paired(res, orm, "warp_repo"), 1.5, True)
    if "get" in results:
        check("point get time / raw time", paired(results["get"], "warp_repo", "raw psycopg"), 1.15)
    if "page" in results:
        page = results["page"]
        check("first page time / raw first page time", paired(page, "warp_repo first", "raw first"), 1.3)
        check("deep page time / raw deep page time", paired(page, "warp_repo deep", "raw deep"), 1.3)
        check("deep page time / first page time", paired(page, "warp_repo deep", "warp_repo first"), 1.2)
        out.append(f"       (raw psycopg, same queries: {paired(page, 'raw deep', 'raw first'):.2f})")
    if "write" in results:
        write = results["write"]
        cost = paired(write, "warp_repo insert, guarded", "raw psycopg: INSERT ... RETURNING")
        saved = paired(write, "raw psycopg: the same, a savepoint each", "raw psycopg: INSERT ... RETURNING")
        out.append(f"       (guarded insert time / raw insert time: {cost:.2f}; a savepoint each, raw: {saved:.2f})")
    return out


# --- Main ----------------------------------------------------------------------------------------------------------

SCENARIOS = ("ingest", "read", "trunks", "get", "page", "write")
PROFILED = ("ingest", "read", "get", "page")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("WARP_BENCH_SERVER_URL", DEFAULT_SERVER),
        help="any database on the server; the benchmark creates its own database there (default: %(default)s)",
    )
    parser.add_argument("--dbname", default=DEFAULT_DBNAME, help="the benchmark database (default: %(default)s)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database first")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, default=list(SCENARIOS), help="scenarios to run")
    parser.add_argument("--ingest-rounds", type=int, default=5)
    parser.add_argument("--read-rounds", type=int, default=7)
    parser.add_argument("--get-rounds", type=int, default=7)
    parser.add_argument("--page-rounds", type=int, default=9)
    parser.add_argument("--trunk-rounds", type=int, default=7)
    parser.add_argument("--write-rounds", type=int, default=7)
    parser.add_argument(
        "--alternatives", action="store_true", help="also time the other idiomatic bulk-insert paths once"
    )
    parser.add_argument("--profile", choices=PROFILED, help="profile warp_repo on one scenario instead of timing")
    parser.add_argument("--markdown", type=Path, help="also write the results as Markdown to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load_before = os.getloadavg()
    started = time.perf_counter()
    url = prepare_database(args.database_url, args.dbname, args.fresh)
    ds = prepare_data(url)
    bench = Bench(url, ds)
    try:
        if args.profile:
            print(bench.profile(args.profile))
            return 0
        loads: dict[str, tuple[float, float, float]] = {"start": load_before}
        results: dict[str, Result] = {}
        extra: dict[str, float] = {}
        runners: dict[str, Callable[[], Result]] = {
            "ingest": lambda: bench.ingest(args.ingest_rounds),
            "read": lambda: bench.read(args.read_rounds),
            "get": lambda: bench.get(args.get_rounds),
            "page": lambda: bench.page(args.page_rounds),
            "trunks": lambda: bench.trunks(args.trunk_rounds),
            "write": lambda: bench.write(args.write_rounds),
        }
        for scenario in SCENARIOS:
            if scenario in args.only:
                say(f"{scenario} ...")
                results[scenario] = runners[scenario]()
                loads[scenario] = os.getloadavg()
        xids = bench.transaction_ids() if "write" in args.only else {}
        if args.alternatives:
            extra = bench.ingest_alternatives()
        plan = bench.explain_deep_page() if "page" in args.only else ""
        info = machine() | {"PostgreSQL": bench.server_version()}
    finally:
        bench.close()
    elapsed = time.perf_counter() - started
    loads["end"] = os.getloadavg()
    report = render(list(results.values()), verdicts(results), extra, info, loads, elapsed, plan, xids)
    print(report)
    if args.markdown:
        args.markdown.write_text(report, encoding="utf-8")
    return 0


def render(
    results: Sequence[Result],
    checks: Sequence[str],
    extra: Mapping[str, float],
    info: Mapping[str, str],
    loads: Mapping[str, tuple[float, float, float]],
    elapsed: float,
    plan: str,
    xids: Mapping[str, tuple[int, int]] | None = None,
) -> str:
    """The whole report, as Markdown."""
    parts = [table(results), "", "Targets:", "", "```text", *checks, "```", ""]
    if xids:
        parts += [f"Transaction ids of {XID_WRITES} `insert` calls:", ""]
        parts += [
            f"* {label}: {delta} by `txid_current()` after minus before, {distinct} distinct `xmin` among the rows"
            for label, (delta, distinct) in xids.items()
        ]
        parts.append("")
    if extra:
        parts += ["Other bulk paths, timed once each:", ""]
        parts += [f"* {name}: {seconds * 1e3:.0f} ms" for name, seconds in extra.items()]
        parts.append("")
    parts += ["Machine:", ""]
    parts += [f"* {key}: {value}" for key, value in info.items()]
    parts.append(
        "* load average (1, 5, 15 min): "
        + "; ".join(f"{when} {a:.2f} {b:.2f} {c:.2f}" for when, (a, b, c) in loads.items())
    )
    parts.append(f"* whole run: {elapsed:.0f} s")
    if plan:
        parts += ["", "Deep page plan:", "", "```text", plan, "```"]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    sys.exit(main())
