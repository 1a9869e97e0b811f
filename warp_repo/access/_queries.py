"""Access: permission checks and matrices, API call records; statements and result types, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString, get_args
from uuid import UUID

from psycopg.rows import RowMaker

from warp_models.access import Action, PermissionScope, Resource

ACTIONS: tuple[Action, ...] = get_args(Action)
RESOURCES: tuple[Resource, ...] = get_args(Resource)

# The cells that bear on one check: the action itself and ``manage`` (every action), for the role and resource.
CELLS: LiteralString = (
    "SELECT action, scope, effect FROM permission_matrices"
    " WHERE org_id = %(org)s AND role = %(role)s AND resource = %(resource)s AND action = ANY(%(actions)s)"
)

ROLE_CELLS: LiteralString = (
    "SELECT resource, action, scope, effect FROM permission_matrices WHERE org_id = %(org)s AND role = %(role)s"
)

BILLING_AUDIT: LiteralString = (
    "SELECT id, org_id, account_id, user_id, api_key_id, action_type, resource_type, resource_id, request_payload,"
    " response_code, ip_address, created_at FROM billing_audit"
    " WHERE created_at >= %(since)s AND created_at < %(until)s ORDER BY created_at DESC, id DESC LIMIT %(limit)s"
)


@dataclass(frozen=True)
class Grant:
    """What a role may do with one action on one resource: nothing, its own rows, or every row of the organization.

    Attributes:
        allowed: whether anything is allowed.
        scope: ``org`` (every row), ``own`` (rows the user owns), or ``None`` when nothing is allowed.
        denied: whether a deny cell decided it (deny wins over any allow).
    """

    allowed: bool
    scope: PermissionScope | None
    denied: bool = False


NO_ACCESS = Grant(False, None)


def decide(cells: Iterable[tuple[str, str, str]]) -> Grant:
    """The grant of a set of ``(action, scope, effect)`` cells for one action (its own and ``manage``).

    Deny wins: any deny cell refuses, whatever its scope (a deny of ``own`` refuses own rows, hence every row the
    user could reach). Else the widest allow: ``org`` over ``own``. No cell: no access.
    """
    scopes: set[str] = set()
    for _action, scope, effect in cells:
        if effect == "deny":
            return Grant(False, None, True)
        scopes.add(scope)
    if "org" in scopes:
        return Grant(True, "org")
    if "own" in scopes:
        return Grant(True, "own")
    return NO_ACCESS


def permits(grant: Grant, owner: bool) -> bool:
    """Whether ``grant`` lets the user act on a row; ``owner``: the user owns it."""
    return grant.allowed and (grant.scope == "org" or owner)


@dataclass(frozen=True)
class Matrix:
    """A role's effective permissions: every resource and action, ``manage`` folded into each action."""

    role: str
    grants: Mapping[tuple[Resource, Action], Grant]

    def grant(self, resource: Resource, action: Action) -> Grant:
        """The grant of one cell (no access when the matrix holds none)."""
        return self.grants.get((resource, action), NO_ACCESS)

    def allowed(self) -> list[tuple[Resource, Action, PermissionScope]]:
        """The cells that allow something, sorted."""
        out = [(r, a, g.scope) for (r, a), g in self.grants.items() if g.allowed and g.scope is not None]
        return sorted(out)


def matrix(role: str, cells: Sequence[tuple[str, str, str, str]]) -> Matrix:
    """The effective matrix of ``role`` from its ``(resource, action, scope, effect)`` cells."""
    by_resource: dict[str, list[tuple[str, str, str]]] = {}
    for resource, action, scope, effect in cells:
        by_resource.setdefault(resource, []).append((action, scope, effect))
    grants: dict[tuple[Resource, Action], Grant] = {}
    for resource in RESOURCES:
        held = by_resource.get(resource, [])
        for action in ACTIONS:
            wanted = {action, "manage"}
            grants[(resource, action)] = decide(c for c in held if c[0] in wanted)
    return Matrix(role, grants)


def tuples(cursor: Any) -> RowMaker[tuple[Any, ...]]:
    """Row factory: the values as a tuple."""
    return tuple


@dataclass(frozen=True)
class BillingAuditRow:
    """A row of the ``billing_audit`` view: one call to the billing service, with the organization's account."""

    id: UUID
    org_id: UUID
    account_id: UUID
    user_id: UUID | None
    api_key_id: UUID | None
    action_type: str
    resource_type: str | None
    resource_id: str | None
    request_payload: Any
    response_code: int | None
    ip_address: Any
    created_at: datetime


def billing_audit_rows(cursor: Any) -> RowMaker[BillingAuditRow]:
    """Row factory of ``BILLING_AUDIT``."""
    return lambda values: BillingAuditRow(*values)
