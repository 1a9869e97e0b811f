"""Benchmarks of the device paths: the provisioning lookup by MAC and the bulk ingest of health samples.

* lookup: ``Devices.provisioning(mac)`` for random MAC addresses (in the ``AA-BB-..`` spelling phones print) among
  100 000 devices of 100 organizations, each device on a chain of three inherited configurations: latency per
  lookup from Python (the device and its merged configuration as models), p50 / p99, next to the bare
  ``SELECT ... WHERE mac_address = %s`` with plain tuples;
* ingest: ``Devices.ingest_health(samples)`` of one sample per device (100 000 samples, the minute of a large
  fleet) through a login of the platform role, where row-level security applies, against a raw binary ``COPY`` of
  the same rows by the superuser straight into the table: samples per second and the ratio.

Both run as a login of the platform role (``warp_bench_platform``, created here), so the policies are evaluated as
in production. The script creates its own database (``warp_bench_devices`` unless told otherwise), migrates it and
loads the devices once; a later run reuses them. It is not part of the test suite::

    python benchmarks/bench_devices.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from warp_models import DeviceHealthMetricCreate
from warp_repo.devices import Devices
from warp_repo.migrations import migrate

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_DBNAME = "warp_bench_devices"
ORGS = 100
DEVICES = 100_000
LOGIN = "warp_bench_platform"
ORG_BASE = "d0000000-0000-4000-8000-"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_url(server: str, dbname: str, *, user: str | None = None) -> str:
    params = conninfo_to_dict(server)
    params["dbname"] = dbname
    if user is not None:
        params["user"] = user
        params.pop("password", None)
    return make_conninfo("", **params)


def prepare(server: str, dbname: str) -> tuple[str, str]:
    """The database as the superuser and as the platform login; devices loaded once."""
    with psycopg.connect(server, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    admin = database_url(server, dbname)
    migrate(admin)
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [LOGIN]).fetchone() is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE warp_platform").format(sql.Identifier(LOGIN)))
        found = conn.execute("SELECT count(*) FROM devices").fetchone()
        if found is None or found[0] < DEVICES:
            log(f"loading {ORGS} organizations, {3 * ORGS} configurations and {DEVICES:,} devices ...")
            began = time.perf_counter()
            with conn.transaction():
                conn.execute(
                    "INSERT INTO organizations (id, name) SELECT (%s || lpad(to_hex(n), 12, '0'))::uuid,"
                    " 'bench ' || n FROM generate_series(1, %s) n",
                    [ORG_BASE, ORGS],
                )
                for depth, parent in enumerate(("NULL", "'root'", "'middle'")):
                    name = ("root", "middle", "leaf")[depth]
                    conn.execute(
                        "INSERT INTO device_configurations (org_id, name, parent_id, settings, keys)"
                        " SELECT o.id, %s,"
                        f" (SELECT p.id FROM device_configurations p WHERE p.org_id = o.id AND p.name = {parent}),"
                        " jsonb_build_object('level', %s, 'ntp', 'pool.ntp.org', 'vlan_' || %s, 10),"
                        " jsonb_build_array(jsonb_build_object('key', %s, 'type', 'blf', 'value', '100' || %s))"
                        " FROM organizations o WHERE o.name LIKE 'bench %%'",
                        [name, depth, depth, depth + 1, depth],
                    )
                conn.execute(
                    "INSERT INTO devices (org_id, mac_address, vendor, model, status, configuration_id)"
                    " SELECT o.id, regexp_replace(lpad(to_hex(n), 12, '0'), '(..)(?!$)', '\\1:', 'g'),"
                    " 'yealink', 'T54W', 'provisioned', c.id"
                    " FROM generate_series(1, %s) n"
                    " JOIN organizations o ON o.id = (%s || lpad(to_hex(1 + n %% %s), 12, '0'))::uuid"
                    " JOIN device_configurations c ON c.org_id = o.id AND c.name = 'leaf'",
                    [DEVICES, ORG_BASE, ORGS],
                )
            conn.execute("ANALYZE devices")
            conn.execute("ANALYZE device_configurations")
            log(f"loaded in {time.perf_counter() - began:.1f} s")
    return admin, database_url(server, dbname, user=LOGIN)


def mac_of(n: int) -> str:
    text = f"{n:012x}"
    return ":".join(text[i : i + 2] for i in range(0, 12, 2))


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_lookup(url: str, lookups: int) -> list[tuple[str, str]]:
    rng = random.Random(7)
    macs = [mac_of(rng.randrange(1, DEVICES + 1)) for _ in range(lookups)]
    rows: list[tuple[str, str]] = []
    with psycopg.connect(url, autocommit=True) as conn:
        devices = Devices(conn)
        for mac in macs[:200]:  # warm the plan and the cache
            devices.provisioning(mac)
        timings = []
        for mac in macs:
            spelled = mac.upper().replace(":", "-")
            began = time.perf_counter()
            found = devices.provisioning(spelled)
            timings.append(time.perf_counter() - began)
            assert found is not None, mac
            assert len(found.chain) == 3, mac
        rows.append(("Devices.provisioning(mac), chain of 3", _latency(timings)))
        conn.execute("SELECT set_config('warp.platform', 'on', false)")
        timings = []
        for mac in macs:
            began = time.perf_counter()
            found_row = conn.execute("SELECT * FROM devices WHERE mac_address = %s", [mac]).fetchone()
            timings.append(time.perf_counter() - began)
            assert found_row is not None
        rows.append(("raw SELECT by mac_address (tuples)", _latency(timings)))
    return rows


def _latency(timings: Sequence[float]) -> str:
    return (
        f"p50 {percentile(timings, 0.50) * 1e3:.3f} ms, p99 {percentile(timings, 0.99) * 1e3:.3f} ms, "
        f"mean {statistics.fmean(timings) * 1e3:.3f} ms ({len(timings):,} lookups)"
    )


def samples_for(admin: str) -> list[DeviceHealthMetricCreate]:
    with psycopg.connect(admin) as conn:
        devices = conn.execute("SELECT org_id, id FROM devices ORDER BY mac_address").fetchall()
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(11)
    return [
        DeviceHealthMetricCreate(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            org_id=org,
            device_id=device,
            recorded_at=now,
            health_status="ok",
            registered=True,
            rtt_ms=rng.randrange(5, 200),
            jitter_ms=rng.randrange(0, 30),
            packet_loss=Decimal(rng.randrange(0, 300)) / 100,
            mos_score=Decimal(rng.randrange(300, 441)) / 100,
            uptime_seconds=rng.randrange(0, 10**6),
        )
        for org, device in devices
    ]


def bench_ingest(admin: str, url: str, runs: int) -> list[tuple[str, str]]:
    log("building the samples ...")
    began = time.perf_counter()
    samples = samples_for(admin)
    built = time.perf_counter() - began
    names = [
        "id",
        "org_id",
        "device_id",
        "recorded_at",
        "health_status",
        "registered",
        "rtt_ms",
        "jitter_ms",
        "packet_loss",
        "mos_score",
        "uptime_seconds",
    ]
    tuples = [tuple(getattr(s, n) for n in names) for s in samples]
    sdk, raw = [], []
    for _ in range(runs):
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("TRUNCATE device_health_metrics")
        with psycopg.connect(url) as conn:
            began = time.perf_counter()
            assert Devices(conn).ingest_health(samples) == len(samples)
            conn.commit()
            sdk.append(time.perf_counter() - began)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("TRUNCATE device_health_metrics")
        with psycopg.connect(admin) as conn:
            began = time.perf_counter()
            with conn.cursor() as cur:
                statement = sql.SQL("COPY device_health_metrics ({}) FROM STDIN (FORMAT BINARY)").format(
                    sql.SQL(", ").join(map(sql.Identifier, names))
                )
                with cur.copy(statement) as copy:
                    copy.set_types(
                        [
                            "uuid",
                            "uuid",
                            "uuid",
                            "timestamptz",
                            "varchar",
                            "bool",
                            "int4",
                            "int4",
                            "numeric",
                            "numeric",
                            "int4",
                        ]
                    )
                    for row in tuples:
                        copy.write_row(row)
            conn.commit()
            raw.append(time.perf_counter() - began)
    best_sdk, best_raw = min(sdk), min(raw)
    count = len(samples)
    return [
        ("samples (one per device)", f"{count:,}, built as models in {built:.2f} s (not timed below)"),
        ("Devices.ingest_health (platform login, RLS on)", f"{count / best_sdk:,.0f} samples/s ({best_sdk:.2f} s)"),
        ("raw binary COPY (superuser, RLS bypassed)", f"{count / best_raw:,.0f} samples/s ({best_raw:.2f} s)"),
        ("ratio SDK / raw", f"{best_raw / best_sdk:.2f} (best of {runs})"),
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--database-url", default=os.environ.get("WARP_BENCH_SERVER_URL", DEFAULT_SERVER))
    parser.add_argument("--dbname", default=DEFAULT_DBNAME)
    parser.add_argument("--lookups", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    admin, url = prepare(args.database_url, args.dbname)
    results = [("machine", f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")]
    with psycopg.connect(admin) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    results.append(("PostgreSQL", str(version[0] if version else "?")))
    log("lookup ...")
    results += bench_lookup(url, args.lookups)
    log("ingest ...")
    results += bench_ingest(admin, url, args.runs)
    width = max(len(name) for name, _ in results)
    for name, value in results:
        print(f"{name.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
