"""Benchmarks of the domain services on realistic volumes.

Three scenarios, each against the same PostgreSQL server:

* lcr: ``Routing.lcr_rates`` for random dialed numbers over a deck of 1 000 000 rates (50 carriers, 20 000
  prefixes of 4 and 7 digits each): latency per lookup from Python, validated ``LcrRate`` rows included, p50 / p99,
  for the 10 cheapest carriers and for all of them, next to the same statement run with plain psycopg tuples;
* channels: two workers (threads, one autocommit connection each) taking and giving back channels of one trunk of
  20 channels as fast as they can: operations per second, latency per operation, and the check that the count never
  passed the limit and ends at zero; once as is (each operation waits for its commit to reach the disk) and once with
  ``synchronous_commit = off`` (the cost of the statement and the row lock alone);
* cdr stats: ``CallRecords.stats`` / ``stats_by_trunk`` / ``stats_by_day`` for one organization's month of
  1 000 000 calls.

The script creates its own database (``warp_bench_domain`` unless told otherwise), migrates it and loads the data
once; a later run reuses it. It is not part of the test suite::

    python benchmarks/bench_domain.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from warp_repo._core.queries import prefixes
from warp_repo.cdrs import CallRecords
from warp_repo.migrations import migrate
from warp_repo.routing import Routing
from warp_repo.routing import _queries as routing_sql
from warp_repo.trunks import Trunks

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_DBNAME = "warp_bench_domain"

CARRIERS = 50
PREFIXES_PER_CARRIER = 20_000
RATES = CARRIERS * PREFIXES_PER_CARRIER
CDRS = 1_000_000
CHANNELS = 20
DAY = date(2026, 6, 1)

CARRIER_BASE = "b0000000-0000-4000-8000-"
BENCH_ORG = uuid.UUID("b1000000-0000-4000-8000-000000000001")
BENCH_TRUNKS = [uuid.UUID(f"b2000000-0000-4000-8000-{n:012x}") for n in range(1, 9)]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_url(server: str, dbname: str) -> str:
    with psycopg.connect(server, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    params = conninfo_to_dict(server)
    params["dbname"] = dbname
    return make_conninfo("", **params)


def bench_month() -> tuple[datetime, datetime]:
    """Last month: its partition exists in a database migrated this month."""
    first = (datetime.now(UTC).date().replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return datetime(first.year, first.month, 1, tzinfo=UTC), datetime(following.year, following.month, 1, tzinfo=UTC)


def prepare(url: str) -> None:
    migrate(url)
    start, end = bench_month()
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT count(*) FROM lcr_rates").fetchone() != (RATES,):
            log(f"loading {RATES:,} rates ...")
            began = time.perf_counter()
            with conn.transaction():
                conn.execute("DELETE FROM lcr_rates")
                conn.execute(
                    """
                    INSERT INTO organizations (id, name)
                    SELECT (%(base)s || lpad(to_hex(c), 12, '0'))::uuid, 'carrier ' || c
                    FROM generate_series(1, %(carriers)s) AS c
                    ON CONFLICT DO NOTHING
                    """,
                    {"base": CARRIER_BASE, "carriers": CARRIERS},
                )
                # Each carrier prices every area code of the North American plan (1 + 3 digits: 800 prefixes) and
                # 19 200 exchanges (1 + 3 + 3 digits), 24 per area code, which differ from one carrier to the next.
                conn.execute(
                    """
                    INSERT INTO lcr_rates (carrier_id, prefix, rate, effective_date, priority)
                    SELECT (%(base)s || lpad(to_hex(c), 12, '0'))::uuid,
                           CASE WHEN p < 800 THEN '1' || (200 + p)::text
                                ELSE '1' || (200 + (p - 800) %% 800)::text
                                         || lpad(((p - 800) / 800 * 41 + c %% 41)::text, 3, '0') END,
                           ((c * 7919 + p * 104729) %% 50000) / 1000000.0 + 0.001,
                           DATE '2026-01-01', 1 + c %% 10
                    FROM generate_series(1, %(carriers)s) AS c, generate_series(0, %(per)s - 1) AS p
                    """,
                    {"base": CARRIER_BASE, "carriers": CARRIERS, "per": PREFIXES_PER_CARRIER},
                )
            conn.execute("VACUUM ANALYZE lcr_rates")
            log(f"  {time.perf_counter() - began:.1f} s")
        found = conn.execute(
            "SELECT count(*) FROM cdrs WHERE org_id = %s AND start_time >= %s AND start_time < %s",
            [BENCH_ORG, start.replace(tzinfo=None), end.replace(tzinfo=None)],
        ).fetchone()
        if found != (CDRS,):
            log(f"loading {CDRS:,} calls of {start:%Y-%m} ...")
            began = time.perf_counter()
            with conn.transaction():
                conn.execute(
                    "INSERT INTO organizations (id, name) VALUES (%s, 'bench') ON CONFLICT DO NOTHING", [BENCH_ORG]
                )
                for n, trunk in enumerate(BENCH_TRUNKS):
                    conn.execute(
                        "INSERT INTO sip_trunks (id, org_id, name, username) VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING",
                        [trunk, BENCH_ORG, f"bench {n}", f"bench-{trunk.hex[-12:]}"],
                    )
                conn.execute("DELETE FROM cdrs WHERE org_id = %s", [BENCH_ORG])
                seconds = int((end - start).total_seconds())
                conn.execute(
                    """
                    INSERT INTO cdrs (call_id, org_id, trunk_id, start_time, answer_time, end_time, duration,
                                      billable_duration, sip_response_code, mos_score, cost)
                    SELECT 'bench-' || g, %(org)s, (%(trunks)s::uuid[])[1 + g %% 8], s,
                           CASE WHEN g %% 10 < 6 THEN s + interval '4 seconds' END,
                           s + make_interval(secs => 4 + g %% 600),
                           4 + g %% 600,
                           CASE WHEN g %% 10 < 6 THEN ((g %% 600) / 6 + 1) * 6 ELSE 0 END,
                           CASE WHEN g %% 10 < 6 THEN 200 ELSE 486 END,
                           CASE WHEN g %% 10 < 6 THEN 3.5 + (g %% 150) / 100.0 END,
                           CASE WHEN g %% 10 < 6 THEN round(((g %% 600) / 6 + 1) * 0.001, 4) ELSE 0 END
                    FROM generate_series(0, %(rows)s - 1) AS g,
                         LATERAL (SELECT %(start)s::timestamp
                                         + make_interval(secs => (g::bigint * %(span)s / %(rows)s)::int)) AS t(s)
                    """,
                    {
                        "org": BENCH_ORG,
                        "trunks": BENCH_TRUNKS,
                        "rows": CDRS,
                        "start": start.replace(tzinfo=None),
                        "span": seconds,
                    },
                )
            conn.execute("VACUUM ANALYZE cdrs")
            log(f"  {time.perf_counter() - began:.1f} s")
        conn.execute(
            "UPDATE sip_trunks SET max_channels = %s, channels_in_use = 0, status = 'active' WHERE id = %s",
            [CHANNELS, BENCH_TRUNKS[0]],
        )


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def dialed_numbers(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"+1{rng.randrange(200, 1000)}{rng.randrange(10**7):07d}" for _ in range(count)]


def timed(calls: Sequence[Callable[[], Any]]) -> list[float]:
    out = []
    for call in calls:
        began = time.perf_counter_ns()
        call()
        out.append((time.perf_counter_ns() - began) / 1e6)
    return out


def bench_lcr(url: str, lookups: int) -> list[tuple[str, str]]:
    numbers = dialed_numbers(lookups)
    out = []
    with psycopg.connect(url, autocommit=True) as conn:
        routing = Routing(conn)
        for limit in (10, None):
            for number in numbers[:50]:  # warm-up: the statement gets prepared, the index pages cached
                routing.lcr_rates(number, DAY, limit=limit)
            sdk = timed([lambda n=n, limit=limit: routing.lcr_rates(n, DAY, limit=limit) for n in numbers])

            def raw(number: str, limit: int | None = limit) -> None:
                params = {"prefixes": prefixes(number[1:]), "on": DAY, "limit": limit}
                conn.execute(routing_sql.LCR_RATES, params, prepare=True).fetchall()

            raw_ms = timed([lambda n=n: raw(n) for n in numbers])
            label = "10 cheapest" if limit else "every carrier"
            out.append(
                (
                    f"lcr_rates, {label} (LcrRate rows)",
                    f"p50 {percentile(sdk, 0.5):.3f} ms  p99 {percentile(sdk, 0.99):.3f} ms",
                )
            )
            out.append(
                (
                    f"same statement, {label}, tuples",
                    f"p50 {percentile(raw_ms, 0.5):.3f} ms  p99 {percentile(raw_ms, 0.99):.3f} ms",
                )
            )
        counts = [len(routing.lcr_rates(n, DAY)) for n in numbers[:200]]
        longest = [max(len(r.prefix) for r in routing.lcr_rates(n, DAY)) for n in numbers[:200]]
    out.append(
        (
            "candidates per lookup",
            f"{statistics.mean(counts):.1f} carriers; a 7-digit prefix in "
            f"{sum(x == 7 for x in longest)} of 200 lookups; {lookups} lookups per run",
        )
    )
    return out


def bench_channels(url: str, operations: int, *, durable: bool = True) -> list[tuple[str, str]]:
    trunk = BENCH_TRUNKS[0]
    latencies: list[list[float]] = [[], []]
    refused = [0, 0]
    over = [0]
    barrier = threading.Barrier(2)

    def worker(i: int) -> None:
        rng = random.Random(i)
        held = 0
        with psycopg.connect(url, autocommit=True) as conn:
            if not durable:  # each commit still happens, without waiting for its WAL flush
                conn.execute("SET synchronous_commit = off")
            trunks = Trunks(conn)
            barrier.wait()
            for _ in range(operations):
                acquire = held == 0 or (held < CHANNELS and rng.random() < 0.5)
                began = time.perf_counter_ns()
                state = trunks.acquire_channel(trunk) if acquire else trunks.release_channel(trunk)
                latencies[i].append((time.perf_counter_ns() - began) / 1e6)
                if state.in_use > CHANNELS:
                    over[0] += 1
                if acquire:
                    held += state.changed
                    refused[i] += not state.changed
                else:
                    held -= state.changed
            while held:
                held -= Trunks(conn).release_channel(trunk).changed

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    with psycopg.connect(url) as conn:
        final = conn.execute("SELECT channels_in_use FROM sip_trunks WHERE id = %s", [trunk]).fetchone()
    every = latencies[0] + latencies[1]
    return [
        (
            "acquire/release, 2 workers" + ("" if durable else ", no flush wait"),
            f"{len(every) / elapsed:,.0f} ops/s  p50 {percentile(every, 0.5):.3f} ms  "
            f"p99 {percentile(every, 0.99):.3f} ms",
        ),
        (
            "refused (trunk full)",
            f"{sum(refused)} of {len(every)}; over the limit: {over[0]}; in use after: {final[0] if final else '?'}",
        ),
    ]


def bench_stats(url: str, runs: int) -> list[tuple[str, str]]:
    start, end = bench_month()
    out = []
    with psycopg.connect(url, autocommit=True) as conn:
        records = CallRecords(conn)
        scenarios: list[tuple[str, Callable[[], Any]]] = [
            ("stats (month, 1M calls)", lambda: records.stats(BENCH_ORG, start, end)),
            ("stats_by_trunk", lambda: records.stats_by_trunk(BENCH_ORG, start, end)),
            (
                "stats_by_day (America/New_York)",
                lambda: records.stats_by_day(BENCH_ORG, start, end, zone="America/New_York"),
            ),
        ]
        total = records.stats(BENCH_ORG, start, end)
        for name, call in scenarios:
            call()
            samples = timed([call] * runs)
            out.append((name, f"median {statistics.median(samples):.0f} ms  min {min(samples):.0f} ms  ({runs} runs)"))
    out.append(("check", f"{total.calls:,} calls, ASR {total.asr}, ACD {total.acd_seconds} s, MOS {total.average_mos}"))
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("WARP_BENCH_SERVER", DEFAULT_SERVER),
        help="a database on the server; the benchmark creates its own next to it",
    )
    parser.add_argument("--dbname", default=DEFAULT_DBNAME)
    parser.add_argument("--lookups", type=int, default=5_000)
    parser.add_argument("--operations", type=int, default=5_000, help="channel operations per worker")
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    url = database_url(args.database_url, args.dbname)
    prepare(url)
    load_before = os.getloadavg()
    rows: list[tuple[str, str]] = []
    rows += bench_lcr(url, args.lookups)
    rows += bench_channels(url, args.operations)
    rows += bench_channels(url, args.operations, durable=False)
    rows += bench_stats(url, args.runs)
    load_after = os.getloadavg()
    with psycopg.connect(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    width = max(len(name) for name, _ in rows)
    print(
        f"warp-models domain benchmark: Python {platform.python_version()}, "
        f"PostgreSQL {version[0] if version else '?'}, "
        f"{os.cpu_count()} CPUs, load {load_before[0]:.2f} -> {load_after[0]:.2f}"
    )
    print(f"{'scenario'.ljust(width)}  result")
    print(f"{'-' * width}  {'-' * 60}")
    for name, result in rows:
        print(f"{name.ljust(width)}  {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
