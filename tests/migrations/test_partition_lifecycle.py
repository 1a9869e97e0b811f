"""ensure_partitions and prune_partitions on the bundled schema."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import psycopg
import pytest

from warp_models.errors import MigrationError
from warp_repo.migrations import ensure_partitions, migrate, partitioned_tables, prune_partitions

ORG = "00000000-0000-0000-0000-00000000000a"


def shift(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months after ``month`` (before, when negative)."""
    years, index = divmod(month.month - 1 + count, 12)
    return dt.date(month.year + years, index + 1, 1)


@pytest.fixture
def migrated_admin_url(empty_admin_url: str) -> str:
    """A migrated database, as the superuser: partition maintenance is the owner's."""
    migrate(empty_admin_url)
    with psycopg.connect(empty_admin_url) as conn:
        conn.execute("INSERT INTO organizations (id, name) VALUES (%s, 'Carrier')", [ORG])
    return empty_admin_url


def add_cdrs(url: str, starts: list[str]) -> None:
    with psycopg.connect(url) as conn:
        for n, start in enumerate(starts):
            conn.execute(
                "INSERT INTO cdrs (call_id, org_id, start_time) VALUES (%s, %s, %s)", [f"call-{start}-{n}", ORG, start]
            )


def where_cdrs_are(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT call_id, tableoid::regclass::text FROM cdrs").fetchall()
    return {call_id: part for call_id, part in rows}


def children(url: str, table: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass",
            [table],
        ).fetchall()
    return {row[0] for row in rows}


def test_the_partitioned_tables_are_found(migrated_admin_url: str) -> None:
    assert partitioned_tables(migrated_admin_url) == [
        "api_audit_logs",
        "cdrs",
        "device_health_metrics",
        "messages",
        "usage_records",
    ]


def test_ensure_partitions_creates_only_what_is_missing(migrated_admin_url: str) -> None:
    assert ensure_partitions(migrated_admin_url, months_ahead=3) == []
    month = dt.date.today().replace(day=1)
    four, five = shift(month, 4), shift(month, 5)
    created = ensure_partitions(migrated_admin_url, months_ahead=5)
    tables = ("api_audit_logs", "cdrs", "device_health_metrics", "messages", "usage_records")
    expected = [f"{t}_{m:%Y_%m}" for t in tables for m in (four, five)]
    assert created == expected
    assert ensure_partitions(migrated_admin_url, months_ahead=5) == []


def test_rows_in_the_default_partition_move_into_their_new_month(migrated_admin_url: str) -> None:
    add_cdrs(migrated_admin_url, ["2031-03-01 00:00:00", "2031-03-31 23:59:59", "2031-04-01 00:00:00"])
    before = where_cdrs_are(migrated_admin_url)
    assert set(before.values()) == {"cdrs_default"}
    created = ensure_partitions(migrated_admin_url, months_ahead=0, tables=["cdrs"], today=dt.date(2031, 3, 15))
    assert created == ["cdrs_2031_03"]
    after = where_cdrs_are(migrated_admin_url)
    assert set(after) == set(before)  # no row lost
    assert after == {
        "call-2031-03-01 00:00:00-0": "cdrs_2031_03",
        "call-2031-03-31 23:59:59-1": "cdrs_2031_03",
        "call-2031-04-01 00:00:00-2": "cdrs_default",
    }


def test_concurrent_callers_create_each_partition_once_and_lose_no_row(migrated_admin_url: str) -> None:
    starts = [f"2035-{m:02d}-{d:02d} 12:00:00" for m in range(1, 7) for d in (1, 15, 28)]
    add_cdrs(migrated_admin_url, starts)
    results: list[list[str]] = []
    errors: list[BaseException] = []
    gate = threading.Barrier(6)

    def run() -> None:
        try:
            gate.wait()
            results.append(
                ensure_partitions(migrated_admin_url, months_ahead=5, tables=["cdrs"], today=dt.date(2035, 1, 10))
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    created = sorted(name for names in results for name in names)
    assert created == [f"cdrs_2035_{m:02d}" for m in range(1, 7)]
    placed = where_cdrs_are(migrated_admin_url)
    assert len(placed) == len(starts)
    assert all(part == f"cdrs_{call.split('-')[1]}_{call.split('-')[2]}" for call, part in placed.items())


def test_prune_reports_first_and_drops_only_when_confirmed(migrated_admin_url: str) -> None:
    month = dt.date.today().replace(day=1)
    old = [f"cdrs_{shift(month, -k):%Y_%m}" for k in (7, 12)]
    kept = f"cdrs_{shift(month, -6):%Y_%m}"
    would = prune_partitions(migrated_admin_url, older_than_months=6, confirm=False)
    assert set(old) <= set(would) and kept not in would
    assert len(would) == 18  # months -12 .. -7 of three tables
    assert set(would) <= children(migrated_admin_url, "cdrs") | children(migrated_admin_url, "messages") | children(
        migrated_admin_url, "usage_records"
    )
    dropped = prune_partitions(migrated_admin_url, older_than_months=6, confirm=True)
    assert dropped == would
    remaining = children(migrated_admin_url, "cdrs")
    assert not set(old) & remaining and kept in remaining and "cdrs_default" in remaining
    assert prune_partitions(migrated_admin_url, older_than_months=6, confirm=True) == []


def test_prune_refuses_to_keep_less_than_a_month(migrated_admin_url: str) -> None:
    with pytest.raises(MigrationError, match="at least 1"):
        prune_partitions(migrated_admin_url, older_than_months=0, confirm=True)


def test_ensure_partitions_before_migrate_says_what_to_do(create_database: Callable[[], str]) -> None:
    url = create_database()
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE events (at TIMESTAMP NOT NULL) PARTITION BY RANGE (at)")
    with pytest.raises(MigrationError, match="apply the bundled migrations first"):
        ensure_partitions(url)
