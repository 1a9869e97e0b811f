# Generated from warp_repo/_aio/organizations.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Organizations: trees of organizations, their limits, and their audit trail.

Written once, as async code, in ``warp_repo/_aio/organizations.py``; ``warp_repo/organizations.py`` is generated
from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from warp_models import AuditLog
from warp_repo._cursor import Page
from warp_repo._domain import organizations as q
from warp_repo._domain.organizations import MAX_DEPTH, OrgLimits, OrgNode
from warp_repo._service import PLATFORM, Service
from warp_repo.repos import AuditLogRepo

__all__ = ["OrgLimits", "OrgNode", "Organizations"]

AUDIT_ORDER = ("-created_at",)


class Organizations(Service):
    """Questions about organizations as a whole: trees, limits, audit trail.

    Example::

        orgs = Organizations(conn)
        below = orgs.descendants(reseller_id)  # list[OrgNode], children first
        page = orgs.audit_trail(org_id, start=since, resource_type="sip_trunks", limit=100)

    Walking a tree crosses organizations by nature, so ``descendants`` and ``ancestors`` are platform reads (a member
    of the platform role sees the tree under row-level security); ``audit_trail`` and ``limits`` work in the
    organization's tenant context.
    """

    def descendants(self, org_id: UUID, *, max_depth: int = MAX_DEPTH) -> list[OrgNode]:
        """Every organization below ``org_id`` (children, their children ...), nearest first.

        Safe with a loop in ``parent_org_id`` (each organization comes once; the walk never returns to one it
        has seen) and bounded by ``max_depth`` levels. The organization itself is not included.
        """
        params = {"root": org_id, "max_depth": max_depth}
        return self._all(q.DESCENDANTS, params, q.nodes, PLATFORM)

    def ancestors(self, org_id: UUID, *, max_depth: int = MAX_DEPTH) -> list[OrgNode]:
        """The parent of ``org_id``, its parent, and so on, nearest first; safe with a loop."""
        return self._all(q.ANCESTORS, {"root": org_id, "max_depth": max_depth}, q.nodes, PLATFORM)

    def limits(self, org_id: UUID) -> OrgLimits:
        """The organization's limits, its settings row locked until the caller's transaction ends.

        Creates the settings row with its defaults when the organization has none. Use it to hold the limits
        steady while adding rows they govern; ``Trunks.create`` and ``NumberInventory.assign`` do.

        Raises:
            InvalidReference: there is no such organization.
        """
        return self._limits(org_id)

    def audit_trail(
        self,
        org_id: UUID,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        resource_type: str | None = None,
        resource_id: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[AuditLog]:
        """One page of the organization's audit trail, newest first, by keyset.

        Args:
            org_id: the organization.
            start: the earliest ``created_at`` included; ``end`` the first excluded.
            end: see ``start``.
            resource_type: only events about this kind of resource (``sip_trunks`` ...).
            resource_id: only events about this resource (needs ``resource_type``).
            after: the ``next_cursor`` of the previous page.
            limit: the most events a page holds.

        Raises:
            InvalidCursor: ``after`` belongs to another query, organization or ordering.
        """
        filters = q.audit_filters(start, end, resource_type, resource_id)
        repo = AuditLogRepo(self._conn).for_org(org_id)
        return repo.page(*filters, after=after, limit=limit, order_by=AUDIT_ORDER)
