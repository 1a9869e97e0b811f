"""Extensions and dial plans: resolving a dialed string from an extension, call forwarding.

The repositories of the domain's tables and its service. Written once, as async code, here;
``warp_repo/extensions/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from warp_models import (
    DialPlan,
    DialPlanCreate,
    DialPlanUpdate,
    Extension,
    ExtensionCreate,
    ExtensionUpdate,
)
from warp_repo._core.repository_async import AsyncTenantRepo
from warp_repo._core.service_async import AsyncService
from warp_repo._core.statements import rows_of
from warp_repo.errors import NotFound, QueryError
from warp_repo.extensions import _queries as q
from warp_repo.extensions._queries import DialResolution, ForwardCondition

__all__ = [
    "AsyncDialPlanRepo",
    "AsyncDialPlans",
    "AsyncExtensionRepo",
    "DialResolution",
    "ForwardCondition",
]


class AsyncExtensionRepo(AsyncTenantRepo[Extension, ExtensionCreate, ExtensionUpdate]):
    """``extensions``: a dialable extension of an organization."""


class AsyncDialPlanRepo(AsyncTenantRepo[DialPlan, DialPlanCreate, DialPlanUpdate]):
    """``dial_plans``: one dial plan rule of a context."""


class AsyncDialPlans(AsyncService):
    """What the PBX asks when an extension dials, or when a call to an extension cannot be answered.

    Example::

        plans = AsyncDialPlans(conn, org_id)
        found = await plans.resolve(extension_id, "01144207946000", at=datetime.now(UTC))
        if found.matched:
            run(found.actions, found.destination)

    Every statement runs in the organization's tenant context: another organization's extension is not found.
    """

    def __init__(self, conn: AsyncConnection[Any], org_id: UUID) -> None:
        super().__init__(conn)
        self._org = org_id

    @property
    def org_id(self) -> UUID:
        """The organization the service works for."""
        return self._org

    async def resolve(self, extension_id: UUID, dialed: str, *, at: datetime) -> DialResolution:
        """What ``dialed`` does when the extension dials it at instant ``at`` (timezone-aware), in one round trip.

        Raises:
            NotFound: the extension is not one of the organization's.
            QueryError: ``at`` is naive, or ``dialed`` is empty.
        """
        if not dialed or len(dialed) > 64:
            raise QueryError("a dialed string holds 1 to 64 characters")
        exact, prefixes = q.lookup_keys(dialed)
        params = {"extension": extension_id, "exact": exact, "prefixes": prefixes}
        found = await self._first(q.CANDIDATES, params, q.candidate_rows, self._org, DialPlan)
        if found is None:
            raise NotFound(f"extensions: no row with id = {extension_id}", table="extensions")
        extension, rules = found
        return q.resolve(extension, rules, dialed, at)

    async def forward_destination(self, extension_id: UUID, condition: ForwardCondition | None) -> str | None:
        """Where a call to the extension goes instead of ringing it (``always``), or after ``condition``.

        ``None``: ring the extension (before ringing), or do the default (voicemail, hang-up) after.

        Raises:
            NotFound: the extension is not one of the organization's.
        """
        extension = await self._first(q.BY_ID, {"extension": extension_id}, rows_of(Extension), self._org, Extension)
        if extension is None:
            raise NotFound(f"extensions: no row with id = {extension_id}", table="extensions")
        return q.forward_destination(extension, condition)
