# Generated from warp_repo/organizations/_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Organizations: trees of organizations, their limits, and their audit trail.

The repositories of the domain's tables and its service. Written once, as async code, here;
``warp_repo/organizations/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from warp_models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyUpdate,
    AuditLog,
    AuditLogCreate,
    AuditLogUpdate,
    Organization,
    OrganizationCreate,
    OrganizationSettings,
    OrganizationSettingsCreate,
    OrganizationSettingsUpdate,
    OrganizationUpdate,
    User,
    UserCreate,
    UserUpdate,
)
from warp_repo._core.cursor import Page
from warp_repo._core.queries import scalar
from warp_repo._core.repository_sync import TenantRepo
from warp_repo._core.service_sync import PLATFORM, Service
from warp_repo.errors import NotFound
from warp_repo.organizations import _queries as q
from warp_repo.organizations._queries import MAX_DEPTH, OrgLimits, OrgNode

__all__ = [
    "ApiKeyRepo",
    "AuditLogRepo",
    "LimitedService",
    "OrgLimits",
    "OrgNode",
    "OrganizationRepo",
    "OrganizationSettingsRepo",
    "Organizations",
    "UserRepo",
]


class OrganizationRepo(TenantRepo[Organization, OrganizationCreate, OrganizationUpdate]):
    """``organizations``: a carrier account: the tenant that every other row belongs to."""


class OrganizationSettingsRepo(
    TenantRepo[OrganizationSettings, OrganizationSettingsCreate, OrganizationSettingsUpdate]
):
    """``organization_settings``: limits and feature switches of one organization."""


class UserRepo(TenantRepo[User, UserCreate, UserUpdate]):
    """``users``: a person who signs in to an organization."""


class ApiKeyRepo(TenantRepo[ApiKey, ApiKeyCreate, ApiKeyUpdate]):
    """``api_keys``: a key for programmatic access; only its hash is stored."""


class AuditLogRepo(TenantRepo[AuditLog, AuditLogCreate, AuditLogUpdate]):
    """``audit_logs``: one change or security event, who made it and from where."""


AUDIT_ORDER = ("-created_at",)


class LimitedService(Service):
    """A service whose writes count against an organization's limits (``organization_settings``).

    The trunk and number services derive from it; ``Organizations.limits`` reads the same row.
    """

    def _limits(self, org_id: UUID) -> OrgLimits:
        """Lock the organization's settings row (creating it with its defaults if missing); return its limits.

        The lock lasts until the transaction ends, so rows counted after taking it stay counted: two requests
        racing for the last slot take turns, and the second one sees the first one's row.
        """
        found = self._first(q.LOCK_LIMITS, {"org": org_id}, q.limits_of(org_id), org_id)
        if found is None:  # pragma: no cover - an upsert with RETURNING always returns its row
            raise NotFound(f"organization_settings: no row for organization {org_id}", table="organization_settings")
        return found

    def _check_room(self, org_id: UUID, limit_name: str) -> None:
        """Lock the organization's limits and refuse one more row under ``limit_name`` when it is reached.

        Raises:
            LimitExceeded: the organization already holds as many rows as ``limit_name`` allows.
        """
        limits = self._limits(org_id)
        sql = q.COUNT_TRUNKS if limit_name == "max_trunks" else q.COUNT_NUMBERS
        held = self._first(sql, {"org": org_id}, scalar, org_id)
        limits.check(limit_name, int(held or 0))


class Organizations(LimitedService):
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
