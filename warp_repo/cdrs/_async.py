"""Call detail records: an organization's calls by page, call statistics, and billing runs.

The repositories of the domain's tables and its service. Written once, as async code, here;
``warp_repo/cdrs/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from warp_models import Cdr, CdrCreate, CdrUpdate
from warp_repo._core.cursor import Page
from warp_repo._core.repository_async import AsyncTenantRepo
from warp_repo._core.service_async import AsyncService
from warp_repo._core.statements import rows_of, utc
from warp_repo.cdrs import _queries as q
from warp_repo.cdrs._queries import CallStats
from warp_repo.errors import QueryError

__all__ = [
    "AsyncCallRecords",
    "AsyncCdrRepo",
    "CallStats",
]


class AsyncCdrRepo(AsyncTenantRepo[Cdr, CdrCreate, CdrUpdate]):
    """``cdrs``: a call detail record."""


class AsyncCallRecords(AsyncService):
    """An organization's calls: browsing, statistics, billing runs.

    Example::

        records = AsyncCallRecords(conn)
        page = await records.calls(org_id, start, end, limit=100)  # newest first
        month = await records.stats(org_id, start, end)  # CallStats
        batch = await records.claim_unbilled(org_id, start, end, limit=500)  # now billed, each call once

    Every query names a half-open time range on ``start_time``, the partition key, so only the partitions of
    that range are read. Instants must be timezone-aware (the table holds UTC).
    """

    async def calls(
        self, org_id: UUID, start: datetime, end: datetime, *, after: str | None = None, limit: int = 50
    ) -> Page[Cdr]:
        """One page of the organization's calls with ``start <= start_time < end``, newest first, by keyset.

        Raises:
            InvalidCursor: ``after`` belongs to another query or organization.
        """
        if limit < 1:
            raise QueryError(f"calls(limit={limit}): a page holds at least one call")
        stmt, params = q.calls_page(org_id, start, end, after, limit)
        rows = await self._all(stmt.sql, params, rows_of(Cdr), org_id, Cdr)
        if len(rows) <= limit:
            return Page(rows, None)
        items = rows[:limit]
        return Page(items, q.next_cursor(org_id, items[-1]))

    async def stats(self, org_id: UUID, start: datetime, end: datetime) -> CallStats:
        """Statistics of the organization's calls with ``start <= start_time < end``."""
        found = await self._first(q.STATS, self._range(org_id, start, end), q.total_stats, org_id, Cdr)
        assert found is not None  # an aggregate without GROUP BY always returns one row
        return found

    async def stats_by_trunk(self, org_id: UUID, start: datetime, end: datetime) -> dict[UUID | None, CallStats]:
        """``stats`` per trunk (``None`` for calls without one), trunks that carried no call left out."""
        rows = await self._all(q.STATS_BY_TRUNK, self._range(org_id, start, end), q.keyed_stats, org_id, Cdr)
        return dict(rows)

    async def stats_by_day(
        self, org_id: UUID, start: datetime, end: datetime, *, zone: str = "UTC"
    ) -> dict[date, CallStats]:
        """``stats`` per calendar day of ``zone`` (an IANA name), days without calls left out."""
        params = self._range(org_id, start, end) | {"zone": zone}
        rows = await self._all(q.STATS_BY_DAY, params, q.keyed_stats, org_id, Cdr)
        return dict(rows)

    async def unbilled(self, org_id: UUID, start: datetime, end: datetime, *, limit: int = 1000) -> list[Cdr]:
        """The organization's calls in the range not billed yet, oldest first (a read: nothing is marked)."""
        params = self._range(org_id, start, end) | {"limit": limit}
        return await self._all(q.UNBILLED, params, rows_of(Cdr), org_id, Cdr)

    async def claim_unbilled(self, org_id: UUID, start: datetime, end: datetime, *, limit: int = 1000) -> list[Cdr]:
        """Mark up to ``limit`` unbilled calls of the range billed and return them, oldest first.

        Each call is returned by exactly one claim, however many billing workers claim at once: rows another
        worker holds are skipped, not waited for. The marks are part of the caller's transaction: roll it back
        and the calls are unbilled again. Call it until it returns ``[]``.
        """
        params = self._range(org_id, start, end) | {"limit": limit}
        rows = await self._all(q.CLAIM_UNBILLED, params, rows_of(Cdr), org_id, Cdr)
        return sorted(rows, key=lambda cdr: (cdr.start_time, cdr.id))

    def _range(self, org_id: UUID, start: datetime, end: datetime) -> dict[str, Any]:
        return {"org": org_id, "start": utc(start, "start"), "end": utc(end, "end")}
