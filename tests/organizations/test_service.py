"""Organizations: trees walked safely, limits read under lock, the audit trail by page.

Trees cross organizations: attaching an organization to a parent and walking the tree are platform work, on the
platform login. Limits and the audit trail are the organization's own, on the application login.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from tests.support import Conn, bare_org, new_org, with_limits
from warp_models import AuditLogCreate, OrganizationUpdate
from warp_repo.errors import InvalidCursor, InvalidReference, QueryError
from warp_repo.organizations import Organizations, OrgNode
from warp_repo.repos import AuditLogRepo, OrganizationRepo

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def names(nodes: list[OrgNode]) -> list[tuple[str, int]]:
    return [(n.organization.name, n.depth) for n in nodes]


def test_descendants_come_nearest_first_and_ancestors_up_to_the_root(platform_conn: Conn) -> None:
    conn = platform_conn
    root = new_org(conn, "root")
    a = new_org(conn, "a", parent_org_id=root)
    b = new_org(conn, "b", parent_org_id=root)
    a1 = new_org(conn, "a1", parent_org_id=a)
    new_org(conn, "a1x", parent_org_id=a1)
    new_org(conn, "elsewhere")
    orgs = Organizations(conn)
    assert names(orgs.descendants(root)) == [("a", 1), ("b", 1), ("a1", 2), ("a1x", 3)]
    assert names(orgs.descendants(a1)) == [("a1x", 1)]
    assert orgs.descendants(b) == []
    assert names(orgs.ancestors(a1)) == [("a", 1), ("root", 2)]
    assert orgs.ancestors(root) == []
    assert names(orgs.descendants(root, max_depth=1)) == [("a", 1), ("b", 1)]


def test_a_loop_in_the_tree_ends_the_walk(platform_conn: Conn) -> None:
    conn = platform_conn
    a = new_org(conn, "a")
    b = new_org(conn, "b", parent_org_id=a)
    c = new_org(conn, "c", parent_org_id=b)
    OrganizationRepo(conn).for_org(a).update(a, OrganizationUpdate(parent_org_id=c))  # a -> b -> c -> a
    orgs = Organizations(conn)
    assert names(orgs.descendants(a)) == [("b", 1), ("c", 2)]
    assert names(orgs.ancestors(a)) == [("c", 1), ("b", 2)]
    OrganizationRepo(conn).for_org(b).update(b, OrganizationUpdate(parent_org_id=b))  # its own parent
    assert names(orgs.descendants(b)) == [("c", 1), ("a", 2)], "b itself is never its own descendant"
    assert orgs.ancestors(b) == []


def test_limits_lock_the_settings_row_creating_it_with_defaults(conn: Conn) -> None:
    orgs = Organizations(conn)
    plain = new_org(conn)
    limits = orgs.limits(plain)
    assert (limits.org_id, limits.max_trunks, limits.max_numbers) == (plain, 10, 1000)
    tight = new_org(conn)
    with_limits(conn, tight, max_trunks=1, max_numbers=None)
    assert (orgs.limits(tight).max_trunks, orgs.limits(tight).max_numbers) == (1, None)
    locked = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND pid = pg_backend_pid()"
    ).fetchone()
    assert locked is not None and locked[0] == 1, "the updated rows are locked by this transaction"
    with pytest.raises(InvalidReference):
        orgs.limits(UUID(int=9))


def test_the_audit_trail_pages_newest_first_by_time_and_resource(conn: Conn, admin_conn: Conn) -> None:
    # Made by the superuser: an organization the application creates has the entry of its creation in its trail,
    # and no service may delete an entry.
    org, other = bare_org(admin_conn), bare_org(admin_conn)
    admin_conn.commit()
    events = [
        AuditLogCreate(
            org_id=org,
            action="update",
            resource_type="sip_trunks" if i % 2 else "phone_numbers",
            resource_id=f"r{i % 3}",
            created_at=T0 + timedelta(minutes=i),
        )
        for i in range(12)
    ]
    AuditLogRepo(conn).for_org(org).insert_many(events)
    AuditLogRepo(conn).for_org(other).insert(
        AuditLogCreate(org_id=other, action="update", resource_type="sip_trunks", created_at=T0)
    )
    orgs = Organizations(conn)
    first = orgs.audit_trail(org, limit=5)
    second = orgs.audit_trail(org, limit=5, after=first.next_cursor)
    third = orgs.audit_trail(org, limit=5, after=second.next_cursor)
    times = [e.created_at for e in first.items + second.items + third.items]
    assert times == [e.created_at for e in reversed(events[:12])]
    assert third.next_cursor is None and len(third.items) == 2
    window = orgs.audit_trail(org, start=T0 + timedelta(minutes=3), end=T0 + timedelta(minutes=9), limit=50)
    assert [e.created_at for e in window.items] == [T0 + timedelta(minutes=m) for m in range(8, 2, -1)]
    trunks = orgs.audit_trail(org, resource_type="sip_trunks", limit=50)
    assert len(trunks.items) == 6 and {e.resource_type for e in trunks.items} == {"sip_trunks"}
    one = orgs.audit_trail(org, resource_type="sip_trunks", resource_id="r1", limit=50)
    assert [e.created_at for e in one.items] == [T0 + timedelta(minutes=m) for m in (7, 1)]
    with pytest.raises(QueryError, match="resource_type"):
        orgs.audit_trail(org, resource_id="r1")
    with pytest.raises(InvalidCursor):
        orgs.audit_trail(other, after=first.next_cursor)
