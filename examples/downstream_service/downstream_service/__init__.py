"""A trunk dashboard of another team, built on warp-models' public API only.

The service logs in as a role of its own that is a member of the application role ``warp_app``, so row-level
security applies to every statement: it onboards a tenant (``create_tenant``) and reads that tenant's trunks and
calls through scoped repositories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import redis

from warp_models import Organization, OrganizationCreate, SipTrunkCreate
from warp_repo import CdrRepo, OrganizationRepo, TrunkRepo

__all__ = ["TrunkLoad", "answer_seizure_ratio", "busiest_trunks", "cached_trunk_count", "create_tenant"]

Connection = psycopg.Connection[Any]


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


def create_tenant(conn: Connection, name: str, *, trunk_channels: int = 30) -> Organization:
    """Onboard a customer: its organization and a first trunk, in the caller's transaction.

    As the application role, inserting the organization makes it the transaction's tenant, so the trunk that
    follows may be written for it.
    """
    org = OrganizationRepo(conn).insert(OrganizationCreate(name=name))
    slug = "".join(c for c in name.lower() if c.isalnum())[:40] or "tenant"
    TrunkRepo(conn).for_org(org.id).insert(
        SipTrunkCreate(org_id=org.id, name="primary", username=f"{slug}-{org.id.hex[:8]}", max_channels=trunk_channels)
    )
    return org


def busiest_trunks(conn: Connection, org_id: UUID, limit: int = 3) -> list[TrunkLoad]:
    """The organization's active trunks, fullest first."""
    trunks = TrunkRepo(conn).for_org(org_id).list(TrunkRepo.c.status == "active")
    loads = [TrunkLoad(t.name, t.channels_in_use or 0, t.max_channels or 0) for t in trunks]
    return sorted(loads, key=lambda load: (-load.share, load.name))[:limit]


def answer_seizure_ratio(conn: Connection, org_id: UUID, start: datetime, end: datetime) -> Decimal | None:
    """Answered calls over attempted calls in ``[start, end)``; ``None`` without calls."""
    calls = CdrRepo(conn).for_org(org_id)
    window = CdrRepo.c.start_time.between(start, end)
    attempts = calls.count(window)
    if attempts == 0:
        return None
    answered = calls.count(window, CdrRepo.c.sip_response_code == 200)
    return (Decimal(answered) / Decimal(attempts)).quantize(Decimal("0.0001"))


def cached_trunk_count(cache: redis.Redis, conn: Connection, org_id: UUID) -> int:
    """The organization's trunk count, kept in Redis for a minute."""
    key = f"dashboard:trunks:{org_id}"
    found = cache.get(key)
    if found is not None:
        return int(found)
    count = TrunkRepo(conn).for_org(org_id).count()
    cache.set(key, count, ex=60)
    return count
