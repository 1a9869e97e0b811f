# Generated from warp_repo/access/_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Access: permission checks against an organization's matrix, and the API call log (batched writes, keyset reads).

The repositories of the domain's tables and its services. Written once, as async code, here;
``warp_repo/access/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection
from pydantic import TypeAdapter

from warp_models import (
    ApiAuditLog,
    ApiAuditLogCreate,
    ApiAuditLogUpdate,
    PermissionMatrix,
    PermissionMatrixCreate,
    PermissionMatrixUpdate,
)
from warp_models.access import Action, ApiService, Resource
from warp_models.organizations import UserRole
from warp_repo._core.cursor import Page
from warp_repo._core.repository_sync import TenantRepo
from warp_repo._core.service_sync import Service
from warp_repo._core.statements import Eq, Filter, Ge, Lt
from warp_repo.access import _queries as q
from warp_repo.access._queries import BillingAuditRow, Grant, Matrix

__all__ = [
    "ApiAudit",
    "ApiAuditLogRepo",
    "BillingAuditRow",
    "Grant",
    "Matrix",
    "PermissionMatrixRepo",
    "Permissions",
]

_ROLE: TypeAdapter[str] = TypeAdapter(UserRole)
_RESOURCE: TypeAdapter[str] = TypeAdapter(Resource)
_ACTION: TypeAdapter[str] = TypeAdapter(Action)


class PermissionMatrixRepo(TenantRepo[PermissionMatrix, PermissionMatrixCreate, PermissionMatrixUpdate]):
    """``permission_matrices``: one cell of an organization's permission matrix."""


class ApiAuditLogRepo(TenantRepo[ApiAuditLog, ApiAuditLogCreate, ApiAuditLogUpdate]):
    """``api_audit_logs``: one API call (partitioned by month; append-only for the application roles)."""


class Permissions(Service):
    """Permission checks for one organization: deny wins, and no cell means no access.

    Example::

        permissions = Permissions(conn, org_id)
        if not permissions.can(user.role, "devices", "delete", owner=device.user_id == user.id):
            raise Forbidden()

    ``manage`` in the matrix stands for every action. The roles are the ``users.role`` set; the matrix is read in
    the organization's tenant context.
    """

    def __init__(self, conn: Connection[Any], org_id: UUID) -> None:
        super().__init__(conn)
        self._org = org_id

    @property
    def org_id(self) -> UUID:
        """The organization the service works for."""
        return self._org

    def grant(self, role: str, resource: str, action: str) -> Grant:
        """What ``role`` may do with ``action`` on ``resource``, in one statement.

        Raises:
            pydantic.ValidationError: the role, resource or action is not one of the closed sets.
        """
        params = {
            "org": self._org,
            "role": _ROLE.validate_python(role),
            "resource": _RESOURCE.validate_python(resource),
            "actions": [_ACTION.validate_python(action), "manage"],
        }
        cells = self._all(q.CELLS, params, q.tuples, self._org, PermissionMatrix)
        return q.decide(cells)

    def can(self, role: str, resource: str, action: str, *, owner: bool = False) -> bool:
        """Whether ``role`` may take ``action`` on a row of ``resource``; ``owner``: the user owns that row.

        A cell of scope ``own`` allows only rows the user owns; ``org`` allows every row of the organization.

        Raises:
            pydantic.ValidationError: the role, resource or action is not one of the closed sets.
        """
        return q.permits(self.grant(role, resource, action), owner)

    def matrix(self, role: str) -> Matrix:
        """The role's effective matrix: every resource and action, in one statement.

        Raises:
            pydantic.ValidationError: ``role`` is not a ``users.role`` value.
        """
        params = {"org": self._org, "role": _ROLE.validate_python(role)}
        cells = self._all(q.ROLE_CELLS, params, q.tuples, self._org, PermissionMatrix)
        return q.matrix(role, cells)


class ApiAudit(Service):
    """The API call log: one record per call, written in batches; read by organization, time, service and key.

    Example::

        audit = ApiAudit(conn, batch_size=500)
        audit.record(ApiAuditLogCreate(org_id=org, service="billing", action_type="invoice.create", ...))
        ...
        audit.flush()  # at shutdown, or on a timer

    ``record`` only buffers until ``batch_size`` records wait; the batch then goes in one ``COPY`` per shape of
    record (the columns given), with the platform reach, since a gateway logs calls of every organization.
    ``audit_logs`` records changes to rows; this log records calls, reads and refusals included.
    """

    def __init__(self, conn: Connection[Any], *, batch_size: int = 500) -> None:
        super().__init__(conn)
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._batch_size = batch_size
        self._pending: list[ApiAuditLogCreate] = []

    @property
    def pending(self) -> int:
        """Records buffered and not written yet."""
        return len(self._pending)

    def record(self, call: ApiAuditLogCreate) -> None:
        """Buffer one call's record; write the batch when ``batch_size`` records wait."""
        self._pending.append(call)
        if len(self._pending) >= self._batch_size:
            self.flush()

    def record_many(self, calls: Iterable[ApiAuditLogCreate]) -> None:
        """Buffer several records, writing full batches as they fill."""
        for call in calls:
            self.record(call)

    def flush(self) -> int:
        """Write every buffered record now; how many were written. On failure the batch stays buffered.

        Raises:
            InvalidReference: a record names a user or API key of another organization (or none).
        """
        batch = self._pending
        if not batch:
            return 0
        with self._platform():
            written = ApiAuditLogRepo(self._conn).copy_in(batch)
        self._pending = []
        return written

    def calls(
        self,
        org_id: UUID,
        *,
        since: datetime,
        until: datetime,
        service: ApiService | None = None,
        api_key_id: UUID | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[ApiAuditLog]:
        """The organization's calls in ``[since, until)``, newest first, in keyset pages.

        Filtered by ``service`` and ``api_key_id`` when given; pass the page's cursor as ``after`` for the next
        page. Served by ``idx_api_audit_org_service_time`` / ``idx_api_audit_org_time`` on the months concerned.
        """
        filters: list[Filter] = [Ge("created_at", since), Lt("created_at", until)]
        if service is not None:
            filters.append(Eq("service", service))
        if api_key_id is not None:
            filters.append(Eq("api_key_id", api_key_id))
        repo = ApiAuditLogRepo(self._conn).for_org(org_id)
        return repo.page(*filters, after=after, limit=limit, order_by=("-created_at", "-id"))

    def billing_audit(
        self, org_id: UUID, *, since: datetime, until: datetime, limit: int = 1000
    ) -> list[BillingAuditRow]:
        """The organization's billing calls from the ``billing_audit`` view (seed 000's name), newest first."""
        params = {"since": since, "until": until, "limit": limit}
        return self._all(q.BILLING_AUDIT, params, q.billing_audit_rows, org_id, ApiAuditLog)
