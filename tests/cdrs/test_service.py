"""Call records: pages that read one month's partition, call statistics, billing runs that bill each call once."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest

from tests.support import Conn, explain, last_month, month_range, new_org, new_trunk, plan_nodes, run_threads, unique
from warp_models import CdrCreate
from warp_repo.cdrs import CallRecords
from warp_repo.cdrs import _queries as q
from warp_repo.errors import InvalidCursor, InvalidData, QueryError
from warp_repo.repos import CdrRepo


def call(org: UUID, start: datetime, **values: Any) -> CdrCreate:
    return CdrCreate(call_id=unique("call-"), org_id=org, start_time=start, **values)


def answered(org: UUID, start: datetime, talk: int, **values: Any) -> CdrCreate:
    answer = start + timedelta(seconds=5)
    return call(org, start, answer_time=answer, end_time=answer + timedelta(seconds=talk), **values)


def partitions(plan: dict[str, Any]) -> set[str]:
    return {n["Relation Name"] for n in plan_nodes(plan) if "Relation Name" in n}


def test_calls_page_newest_first_within_the_range(conn: Conn) -> None:
    org, other = new_org(conn), new_org(conn)
    start, end = month_range(last_month())
    inside = [call(org, start + timedelta(hours=h)) for h in range(7)]
    CdrRepo(conn).for_org(org).insert_many([*inside, call(org, start - timedelta(seconds=1)), call(org, end)])
    CdrRepo(conn).for_org(other).insert(call(other, start + timedelta(hours=1)))
    records = CallRecords(conn)
    pages = [records.calls(org, start, end, limit=3)]
    while pages[-1].next_cursor is not None:
        pages.append(records.calls(org, start, end, limit=3, after=pages[-1].next_cursor))
    assert [len(p.items) for p in pages] == [3, 3, 1]
    seen = [c.start_time for p in pages for c in p.items]
    assert seen == sorted((c.start_time for c in inside), reverse=True)
    with pytest.raises(InvalidCursor):
        records.calls(other, start, end, after=pages[0].next_cursor)
    with pytest.raises(QueryError):
        records.calls(org, start, end, limit=0)
    with pytest.raises(QueryError, match="naive"):
        records.calls(org, start.replace(tzinfo=None), end)


def test_a_months_calls_read_only_that_months_partition(conn: Conn) -> None:
    org = new_org(conn)
    first = last_month()
    start, end = month_range(first)
    partition = f"cdrs_{first:%Y_%m}"
    stmt, params = q.calls_page(org, start, end, None, 50)
    assert partitions(explain(conn, stmt.sql, params)) == {partition}
    generic = explain(conn, stmt.sql, params, generic=True)
    assert partitions(generic) == {partition}, "a prepared statement prunes when it runs"
    assert any(n.get("Subplans Removed", 0) > 0 for n in plan_nodes(generic))
    middle = start + timedelta(days=10)
    page = CallRecords(conn).calls(org, start, end, limit=1)
    assert page.items == []
    CdrRepo(conn).for_org(org).insert_many([call(org, middle), call(org, middle + timedelta(seconds=1))])
    cursor = CallRecords(conn).calls(org, start, end, limit=1).next_cursor
    stmt, params = q.calls_page(org, start, end, cursor, 50)
    assert partitions(explain(conn, stmt.sql, params)) == {partition}
    stats = {"org": org, "start": start.replace(tzinfo=None), "end": end.replace(tzinfo=None)}
    assert partitions(explain(conn, q.STATS, stats)) == {partition}


def test_call_statistics(conn: Conn) -> None:
    org = new_org(conn)
    trunk_a, trunk_b = new_trunk(conn, org), new_trunk(conn, org)
    start, end = month_range(last_month())
    t = start + timedelta(days=3, hours=2)  # a day that is the same calendar day in UTC and in New York
    CdrRepo(conn).for_org(org).insert_many(
        [
            answered(
                org, t, 60, trunk_id=trunk_a.id, billable_duration=60, cost=Decimal("0.0120"), mos_score=Decimal("4.40")
            ),
            answered(
                org,
                t,
                120,
                trunk_id=trunk_a.id,
                billable_duration=120,
                cost=Decimal("0.0240"),
                mos_score=Decimal("3.90"),
            ),
            answered(
                org,
                t + timedelta(days=1, hours=20),
                31,
                trunk_id=trunk_b.id,
                billable_duration=36,
                cost=Decimal("0.0072"),
            ),
            call(org, t, trunk_id=trunk_b.id, sip_response_code=486),
            call(org, t + timedelta(days=1, hours=20), sip_response_code=404),
            answered(org, end + timedelta(hours=1), 999, billable_duration=999),  # the next month
        ]
    )
    records = CallRecords(conn)
    total = records.stats(org, start, end)
    assert (total.calls, total.answered, total.asr) == (5, 3, Decimal("0.6000"))
    assert total.acd_seconds == Decimal("70.33"), "(60 + 120 + 31) / 3"
    assert (total.billable_seconds, total.billable_minutes) == (216, Decimal("3.6000"))
    assert (total.cost, total.average_mos) == (Decimal("0.0432"), Decimal("4.15"))
    by_trunk = records.stats_by_trunk(org, start, end)
    assert set(by_trunk) == {trunk_a.id, trunk_b.id, None}
    assert (by_trunk[trunk_a.id].calls, by_trunk[trunk_a.id].asr) == (2, Decimal("1.0000"))
    assert (by_trunk[trunk_b.id].answered, by_trunk[trunk_b.id].acd_seconds) == (1, Decimal("31.00"))
    assert by_trunk[None].asr == Decimal("0.0000") and by_trunk[None].acd_seconds is None
    by_day = records.stats_by_day(org, start, end)
    assert {d: s.calls for d, s in by_day.items()} == {t.date(): 3, t.date() + timedelta(days=1): 2}
    tokyo = records.stats_by_day(org, start, end, zone="Asia/Tokyo")  # 22:00 UTC is 07:00 the next day there
    assert {d: s.calls for d, s in tokyo.items()} == {t.date(): 3, t.date() + timedelta(days=2): 2}
    empty = records.stats(new_org(conn), start, end)
    assert (empty.calls, empty.asr, empty.acd_seconds, empty.cost, empty.average_mos) == (
        0,
        None,
        None,
        Decimal(0),
        None,
    )


def test_unbilled_calls_are_claimed_once(conn: Conn) -> None:
    org = new_org(conn)
    start, end = month_range(last_month())
    CdrRepo(conn).for_org(org).insert_many(
        [call(org, start + timedelta(minutes=m), billed=m == 0) for m in range(6)] + [call(org, end)]
    )
    records = CallRecords(conn)
    assert len(records.unbilled(org, start, end)) == 5
    first = records.claim_unbilled(org, start, end, limit=3)
    assert [c.start_time for c in first] == [start + timedelta(minutes=m) for m in (1, 2, 3)]
    assert all(c.billed for c in first)
    second = records.claim_unbilled(org, start, end, limit=3)
    assert [c.start_time for c in second] == [start + timedelta(minutes=m) for m in (4, 5)]
    assert records.claim_unbilled(org, start, end) == [] and records.unbilled(org, start, end) == []


def test_concurrent_billing_workers_bill_every_call_exactly_once(domain_url: str, autocommit: Conn) -> None:
    org = new_org(autocommit)
    start, end = month_range(last_month())
    CdrRepo(autocommit).for_org(org).copy_in(call(org, start + timedelta(seconds=s)) for s in range(600))
    claimed: list[list[str]] = [[] for _ in range(3)]

    def bill(i: int) -> None:
        with psycopg.connect(domain_url) as conn:
            records = CallRecords(conn)
            while batch := records.claim_unbilled(org, start, end, limit=25):
                claimed[i].extend(c.call_id for c in batch)
                conn.commit()

    run_threads(len(claimed), bill)
    every = [call_id for worker in claimed for call_id in worker]
    assert len(every) == len(set(every)) == 600
    assert all(worker for worker in claimed), "SKIP LOCKED let every worker take batches"
    assert CallRecords(autocommit).unbilled(org, start, end) == []


def test_a_rolled_back_claim_leaves_the_calls_unbilled(domain_url: str, autocommit: Conn) -> None:
    org = new_org(autocommit)
    start, end = month_range(last_month())
    CdrRepo(autocommit).for_org(org).insert(call(org, start))
    with psycopg.connect(domain_url) as conn:
        assert len(CallRecords(conn).claim_unbilled(org, start, end)) == 1
        conn.rollback()
    assert len(CallRecords(autocommit).unbilled(org, start, end)) == 1


def test_time_zone_names_are_values_not_sql(conn: Conn) -> None:
    org = new_org(conn)
    start, end = month_range(last_month())
    CdrRepo(conn).for_org(org).insert(call(org, start))
    with pytest.raises(InvalidData) as refused:
        CallRecords(conn).stats_by_day(org, start, end, zone="UTC'; DROP TABLE cdrs; --")
    assert isinstance(refused.value.__cause__, psycopg.errors.InvalidParameterValue)
    conn.rollback()
    assert conn.execute("SELECT to_regclass('cdrs') IS NOT NULL").fetchone() == (True,)
