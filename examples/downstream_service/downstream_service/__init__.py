"""Trunk capacity and call quality for an organization's dashboard, read through warp-models repositories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import redis

from warp_repo._core.statements import Eq, Range
from warp_repo.repos import CdrRepo, TrunkRepo

__all__ = ["TrunkLoad", "answer_seizure_ratio", "busiest_trunks", "cached_trunk_count"]


@dataclass(frozen=True)
class TrunkLoad:
    """How full one trunk is."""

    name: str
    in_use: int
    capacity: int

    @property
    def share(self) -> Decimal:
        """Channels in use over channels available, two decimals."""
        return (Decimal(self.in_use) / Decimal(self.capacity or 1)).quantize(Decimal("0.01"))


def busiest_trunks(conn: psycopg.Connection[Any], org_id: UUID, limit: int = 3) -> list[TrunkLoad]:
    """The organization's active trunks, fullest first."""
    trunks = TrunkRepo(conn).for_org(org_id).list(Eq("status", "active"))
    loads = [TrunkLoad(t.name, t.channels_in_use or 0, t.max_channels or 0) for t in trunks]
    return sorted(loads, key=lambda load: (-load.share, load.name))[:limit]


def answer_seizure_ratio(conn: psycopg.Connection[Any], org_id: UUID, start: datetime, end: datetime) -> Decimal | None:
    """Answered calls over attempted calls in ``[start, end)``; ``None`` without calls."""
    calls = CdrRepo(conn).for_org(org_id)
    window = Range("start_time", start, end)
    attempts = calls.count(window)
    if attempts == 0:
        return None
    answered = calls.count(window, Eq("sip_response_code", 200))
    return (Decimal(answered) / Decimal(attempts)).quantize(Decimal("0.0001"))


def cached_trunk_count(cache: redis.Redis, conn: psycopg.Connection[Any], org_id: UUID) -> int:
    """The organization's trunk count, kept in Redis for a minute."""
    key = f"dashboard:trunks:{org_id}"
    found = cache.get(key)
    if found is not None:
        return int(found)
    count = TrunkRepo(conn).for_org(org_id).count()
    cache.set(key, count, ex=60)
    return count
