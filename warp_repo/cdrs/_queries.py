"""Call detail records: an organization's calls by page, call statistics, and billing runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, LiteralString
from uuid import UUID

from psycopg.rows import RowMaker

from warp_models import Cdr
from warp_repo._core.cursor import decode_cursor, encode_cursor
from warp_repo._core.queries import columns
from warp_repo._core.statements import Range, Statement, bind_filters, info, parse_order, select_rows

CALLS_ORDER = ("-start_time",)
"""Newest call first (``id`` breaks ties); ``idx_cdrs_org_time`` serves it."""

_FOUR = Decimal("0.0001")
_TWO = Decimal("0.01")


@dataclass(frozen=True)
class CallStats:
    """Statistics of a set of calls.

    Attributes:
        calls: calls offered.
        answered: calls answered (``answer_time`` set).
        asr: answer-seizure ratio, ``answered / calls`` (0 to 1, four decimals); ``None`` without calls.
        acd_seconds: average call duration of the answered calls, ``answer_time`` to ``end_time`` in seconds
            (two decimals); ``None`` when no answered call has both.
        billable_seconds: the sum of ``billable_duration``.
        billable_minutes: the same in minutes (four decimals).
        cost: the sum of ``cost``.
        average_mos: the mean ``mos_score`` of the calls that have one (two decimals); ``None`` when none has.
    """

    calls: int
    answered: int
    asr: Decimal | None
    acd_seconds: Decimal | None
    billable_seconds: int
    billable_minutes: Decimal
    cost: Decimal
    average_mos: Decimal | None


_STATS: LiteralString = """
    count(*),
    count(*) FILTER (WHERE answer_time IS NOT NULL),
    avg(EXTRACT(EPOCH FROM end_time - answer_time)) FILTER (WHERE answer_time IS NOT NULL AND end_time IS NOT NULL),
    COALESCE(sum(billable_duration), 0),
    COALESCE(sum(cost), 0),
    avg(mos_score)
FROM cdrs
WHERE org_id = %(org)s AND start_time >= %(start)s AND start_time < %(end)s
"""
"""The aggregates of ``CallStats``; the range on ``start_time`` (the partition key) prunes the partitions outside
it, at planning time or, for a prepared statement, when it runs."""

STATS: LiteralString = "SELECT" + _STATS
STATS_BY_TRUNK: LiteralString = "SELECT trunk_id," + _STATS + "GROUP BY trunk_id ORDER BY trunk_id NULLS LAST"
STATS_BY_DAY: LiteralString = (
    "SELECT ((start_time AT TIME ZONE 'UTC') AT TIME ZONE %(zone)s)::date," + _STATS + "GROUP BY 1 ORDER BY 1"
)
"""Per calendar day in the zone ``%(zone)s`` (``start_time`` holds UTC)."""


def _ratio(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(_FOUR, ROUND_HALF_UP) if whole else None


def _round(value: Decimal | None, step: Decimal) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(step, ROUND_HALF_UP)


def stats_of(values: Any) -> CallStats:
    """``CallStats`` from the six aggregates of a statistics row."""
    calls, answered, acd, billable, cost, mos = values
    return CallStats(
        calls=calls,
        answered=answered,
        asr=_ratio(answered, calls),
        acd_seconds=_round(acd, _TWO),
        billable_seconds=int(billable),
        billable_minutes=(Decimal(int(billable)) / 60).quantize(_FOUR, ROUND_HALF_UP),
        cost=Decimal(cost),
        average_mos=_round(mos, _TWO),
    )


def total_stats(cursor: Any) -> RowMaker[CallStats]:
    """Row factory of ``STATS``."""
    return stats_of


def keyed_stats(cursor: Any) -> RowMaker[tuple[Any, CallStats]]:
    """Row factory of ``STATS_BY_TRUNK`` / ``STATS_BY_DAY``: the key, then the statistics."""
    return lambda values: (values[0], stats_of(values[1:]))


def calls_page(
    org_id: UUID, start: datetime, end: datetime, after: str | None, limit: int
) -> tuple[Statement, dict[str, Any]]:
    """The statement and parameters of one page of an organization's calls in ``[start, end)``, newest first.

    Built with the repositories' own machinery (filters, total ordering, keyset condition, signed cursors), so a
    cursor of this page is one that ``CdrRepo.for_org(org).page`` accepts and the other way round.
    """
    table = info(Cdr)
    order = parse_order(table, CALLS_ORDER)
    where, params = bind_filters(table, (Range("start_time", start, end),))
    keyset = None
    if after is not None:
        position = decode_cursor(after, table, org_id, order)
        keyset = tuple(v is None for v in position)
        params |= {f"k{i}": v for i, v in enumerate(position)}
    params |= {"limit": limit + 1, "scope": org_id}
    return select_rows(Cdr, where, True, order, True, keyset), params


def next_cursor(org_id: UUID, last: Cdr) -> str:
    """The cursor of the page after the one ending with ``last``."""
    table = info(Cdr)
    return encode_cursor(table, org_id, parse_order(table, CALLS_ORDER), last)


_CDR_COLUMNS = columns(Cdr)

_UNBILLED_WHERE: LiteralString = """
    org_id = %(org)s AND start_time >= %(start)s AND start_time < %(end)s AND billed IS NOT TRUE
"""

UNBILLED: LiteralString = f"""
SELECT {_CDR_COLUMNS} FROM cdrs
WHERE {_UNBILLED_WHERE}
ORDER BY start_time, id
LIMIT %(limit)s
"""

CLAIM_UNBILLED: LiteralString = f"""
UPDATE cdrs AS c SET billed = true
FROM (
    SELECT id, start_time FROM cdrs
    WHERE {_UNBILLED_WHERE}
    ORDER BY start_time, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
) AS batch
WHERE c.id = batch.id AND c.start_time = batch.start_time AND c.billed IS NOT TRUE
RETURNING {columns(Cdr, "c")}
"""
"""Mark a batch of unbilled calls billed and return them: each call is returned by exactly one claim.

``SKIP LOCKED`` lets concurrent billing workers take disjoint batches instead of queueing behind each other;
``billed IS NOT TRUE`` on the updated row makes a claim that lost a race return nothing rather than a call twice."""
