"""Organizations: trees of organizations, the limits of one, and the filters of its audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString
from uuid import UUID

from psycopg.rows import BaseRowFactory, RowMaker

from warp_models import Organization
from warp_repo._core.queries import columns
from warp_repo._core.statements import Eq, Filter, Range, rows_of
from warp_repo.errors import LimitExceeded, QueryError

MAX_DEPTH = 64
"""How deep a walk through ``parent_org_id`` goes at most; a deeper tree is a loop or a mistake."""


@dataclass(frozen=True)
class OrgNode:
    """An organization found by walking a tree, and how far it is from where the walk started.

    Attributes:
        organization: the row.
        depth: 1 for a child (or the parent, walking up), 2 for a grandchild, and so on.
    """

    organization: Organization
    depth: int


@dataclass(frozen=True)
class OrgLimits:
    """The limits of an organization, read while its settings row is locked.

    ``None`` means no limit (the column allows ``NULL``).
    """

    org_id: UUID
    max_trunks: int | None
    max_numbers: int | None

    def check(self, limit_name: str, held: int) -> None:
        """Refuse one more row when ``held`` rows already reach the limit ``limit_name``.

        Raises:
            LimitExceeded: ``held`` is at (or past) the limit.
        """
        limit = self.max_trunks if limit_name == "max_trunks" else self.max_numbers
        if limit is not None and held >= limit:
            what = "SIP trunks" if limit_name == "max_trunks" else "phone numbers"
            raise LimitExceeded(
                f"organization {self.org_id} holds {held} {what}, its limit ({limit_name} = {limit}); "
                f"raise organization_settings.{limit_name} or free one first",
                limit_name=limit_name,
                limit=limit,
                current=held,
                table="organization_settings",
            )


_ORG_COLUMNS = columns(Organization, "o")

DESCENDANTS: LiteralString = f"""
WITH RECURSIVE tree (id, depth, path) AS (
    SELECT o.id, 1, ARRAY[%(root)s::uuid, o.id]
    FROM organizations o
    WHERE o.parent_org_id = %(root)s AND o.id <> %(root)s
  UNION ALL
    SELECT o.id, t.depth + 1, t.path || o.id
    FROM tree t JOIN organizations o ON o.parent_org_id = t.id
    WHERE o.id <> ALL (t.path) AND t.depth < %(max_depth)s
)
SELECT t.depth, {_ORG_COLUMNS}
FROM tree t JOIN organizations o ON o.id = t.id
ORDER BY t.depth, o.name, o.id
"""
"""Every organization below ``root``, breadth first; a loop in ``parent_org_id`` ends the walk (``path``)."""

ANCESTORS: LiteralString = f"""
WITH RECURSIVE up (id, depth, path) AS (
    SELECT o.parent_org_id, 1, ARRAY[o.id, o.parent_org_id]
    FROM organizations o
    WHERE o.id = %(root)s AND o.parent_org_id IS NOT NULL AND o.parent_org_id <> o.id
  UNION ALL
    SELECT o.parent_org_id, u.depth + 1, u.path || o.parent_org_id
    FROM up u JOIN organizations o ON o.id = u.id
    WHERE o.parent_org_id IS NOT NULL AND o.parent_org_id <> ALL (u.path) AND u.depth < %(max_depth)s
)
SELECT u.depth, {_ORG_COLUMNS}
FROM up u JOIN organizations o ON o.id = u.id
ORDER BY u.depth
"""
"""The parent, the grandparent ... of ``root``, nearest first; a loop ends the walk."""

LOCK_LIMITS: LiteralString = """
INSERT INTO organization_settings (org_id) VALUES (%(org)s)
ON CONFLICT (org_id) DO UPDATE SET max_trunks = organization_settings.max_trunks
RETURNING max_trunks, max_numbers
"""
"""Lock the organization's settings row (creating it with its defaults when missing) and read its limits.

The row is *updated* (to the same value), not only selected ``FOR UPDATE``: a concurrent request of a
``REPEATABLE READ`` or ``SERIALIZABLE`` transaction then fails with 40001 instead of counting from an older
snapshot, and one of ``READ COMMITTED`` waits, then counts with a snapshot taken after the lock."""

COUNT_TRUNKS: LiteralString = "SELECT count(*) FROM sip_trunks WHERE org_id = %(org)s"
COUNT_NUMBERS: LiteralString = "SELECT count(*) FROM phone_numbers WHERE org_id = %(org)s"


def nodes(cursor: Any) -> RowMaker[OrgNode]:
    """Row factory of ``DESCENDANTS`` / ``ANCESTORS``: the depth, then the organization's columns."""
    make = rows_of(Organization)(cursor)

    def node(values: Any) -> OrgNode:
        return OrgNode(make(values[1:]), values[0])

    return node


def limits_of(org_id: UUID) -> BaseRowFactory[OrgLimits]:
    """Row factory of ``LOCK_LIMITS``."""

    def factory(cursor: Any) -> RowMaker[OrgLimits]:
        return lambda values: OrgLimits(org_id, values[0], values[1])

    return factory


def audit_filters(
    start: datetime | None, end: datetime | None, resource_type: str | None, resource_id: str | None
) -> tuple[Filter, ...]:
    """The filters of an audit-trail page: a half-open time range, then the resource when one is named."""
    if resource_id is not None and resource_type is None:
        raise QueryError("audit_trail(resource_id=...) needs the resource_type too: ids are unique per type only")
    found: list[Filter] = []
    if start is not None or end is not None:
        found.append(Range("created_at", start, end))
    if resource_type is not None:
        found.append(Eq("resource_type", resource_type))
    if resource_id is not None:
        found.append(Eq("resource_id", resource_id))
    return tuple(found)
