"""Access: permission checks (deny wins, no cell no access, ``manage`` for every action, own rows), a role's matrix,
and the API call log (batched writes, keyset pages by time, service and key, the ``billing_audit`` view)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from tests.support import Conn, new_org, unique
from warp_models import (
    ApiAuditLogCreate,
    ApiKeyCreate,
    BillingAccountCreate,
    PermissionMatrixCreate,
    UserCreate,
)
from warp_repo.access import ApiAudit, PermissionMatrixRepo, Permissions
from warp_repo.access import _queries as q
from warp_repo.errors import InvalidReference
from warp_repo.repos import ApiKeyRepo, BillingAccountRepo, UserRepo
from warp_repo.secrets import hash_password

PASSWORD_HASH = hash_password("correct horse battery staple")


def cells(conn: Conn, org: UUID, *rows: tuple[str, str, str, str, str]) -> None:
    repo = PermissionMatrixRepo(conn).for_org(org)
    for role, resource, action, scope, effect in rows:
        repo.insert(
            PermissionMatrixCreate.model_validate(
                {"org_id": org, "role": role, "resource": resource, "action": action, "scope": scope, "effect": effect}
            )
        )


def test_no_cell_means_no_access(conn: Conn) -> None:
    org = new_org(conn)
    assert Permissions(conn, org).can("admin", "devices", "read") is False
    assert Permissions(conn, org).grant("admin", "devices", "read") == q.NO_ACCESS


def test_manage_allows_every_action_and_deny_wins(conn: Conn) -> None:
    org = new_org(conn)
    cells(
        conn,
        org,
        ("admin", "devices", "manage", "org", "allow"),
        ("admin", "devices", "delete", "org", "deny"),
        ("user", "voicemail", "manage", "org", "deny"),
        ("user", "voicemail", "read", "org", "allow"),
    )
    permissions = Permissions(conn, org)
    for action in ("read", "create", "update"):
        assert permissions.can("admin", "devices", action)
    assert permissions.can("admin", "devices", "delete") is False
    assert permissions.grant("admin", "devices", "delete").denied
    assert permissions.can("user", "voicemail", "read") is False  # a deny of manage denies every action
    assert permissions.can("billing", "devices", "read") is False  # another role has no cell


def test_own_scope_allows_only_the_users_own_rows(conn: Conn) -> None:
    org = new_org(conn)
    cells(conn, org, ("user", "voicemail", "update", "own", "allow"), ("user", "voicemail", "read", "org", "allow"))
    permissions = Permissions(conn, org)
    assert permissions.can("user", "voicemail", "update", owner=True)
    assert permissions.can("user", "voicemail", "update", owner=False) is False
    assert permissions.can("user", "voicemail", "read", owner=False)


def test_another_organizations_matrix_grants_nothing(conn: Conn) -> None:
    mine, theirs = new_org(conn), new_org(conn)
    cells(conn, theirs, ("admin", "billing", "manage", "org", "allow"))
    assert Permissions(conn, mine).can("admin", "billing", "read") is False
    assert Permissions(conn, theirs).can("admin", "billing", "read")


def test_the_effective_matrix_folds_manage_into_each_action(conn: Conn) -> None:
    org = new_org(conn)
    cells(
        conn,
        org,
        ("billing", "billing", "manage", "org", "allow"),
        ("billing", "billing", "delete", "org", "deny"),
        ("billing", "cdrs", "read", "own", "allow"),
    )
    matrix = Permissions(conn, org).matrix("billing")
    assert matrix.allowed() == [
        ("billing", "create", "org"),
        ("billing", "manage", "org"),
        ("billing", "read", "org"),
        ("billing", "update", "org"),
        ("cdrs", "read", "own"),
    ]
    assert matrix.grant("billing", "delete").denied
    assert matrix.grant("devices", "read") == q.NO_ACCESS


@pytest.mark.parametrize(("role", "resource", "action"), [("root", "devices", "read"), ("admin", "x", "read")])
def test_names_outside_the_closed_sets_are_refused(conn: Conn, role: str, resource: str, action: str) -> None:
    with pytest.raises(ValidationError):
        Permissions(conn, uuid4()).can(role, resource, action)
    with pytest.raises(ValidationError):
        Permissions(conn, uuid4()).can("admin", "devices", "destroy")


# --- API call log --------------------------------------------------------------------------------------------------


def org_with_key(conn: Conn) -> tuple[UUID, UUID, UUID]:
    org = new_org(conn)
    user = (
        UserRepo(conn)
        .for_org(org)
        .insert(
            UserCreate(org_id=org, email=f"{unique()}@example.com", username=unique("u"), password_hash=PASSWORD_HASH)
        )
    )
    key = (
        ApiKeyRepo(conn)
        .for_org(org)
        .insert(
            ApiKeyCreate.model_validate(
                {"org_id": org, "user_id": user.id, "key_hash": f"hs256:p1:{uuid4().hex * 2}", "name": "k"}
            )
        )
    )
    return org, user.id, key.id


def call(org: UUID | None, **values: Any) -> ApiAuditLogCreate:
    return ApiAuditLogCreate.model_validate(
        {"org_id": org, "service": "billing", "action_type": "invoice.read", "response_code": 200, **values}
    )


def test_records_are_batched_and_read_back_in_keyset_pages(autocommit: Conn, platform_conn: Conn) -> None:
    org, user, key = org_with_key(autocommit)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    audit = ApiAudit(platform_conn, batch_size=10)
    for i in range(25):
        service = "billing" if i % 2 == 0 else "devices"
        audit.record(
            call(
                org,
                service=service,
                api_key_id=key if i % 5 == 0 else None,
                user_id=user,
                created_at=start + timedelta(seconds=i),
            )
        )
    assert audit.pending == 5  # two batches of ten went as they filled
    assert audit.flush() == 5 and audit.pending == 0
    platform_conn.commit()

    reader = ApiAudit(autocommit)
    until = start + timedelta(hours=1)
    first = reader.calls(org, since=start, until=until, limit=10)
    second = reader.calls(org, since=start, until=until, after=first.next_cursor, limit=10)
    third = reader.calls(org, since=start, until=until, after=second.next_cursor, limit=10)
    seen = [r.created_at for page in (first, second, third) for r in page.items]
    assert len(seen) == 25 and seen == sorted(seen, reverse=True)
    billing = reader.calls(org, since=start, until=until, service="billing", limit=100).items
    assert len(billing) == 13 and {r.service for r in billing} == {"billing"}
    keyed = reader.calls(org, since=start, until=until, api_key_id=key, limit=100).items
    assert len(keyed) == 5
    assert reader.calls(new_org(autocommit), since=start, until=until).items == []


def test_billing_audit_reads_the_billing_calls_with_the_account(autocommit: Conn, platform_conn: Conn) -> None:
    org, user, _ = org_with_key(autocommit)
    account = BillingAccountRepo(autocommit).for_org(org).insert(BillingAccountCreate(org_id=org))
    audit = ApiAudit(platform_conn)
    audit.record_many(
        [
            call(org, user_id=user, action_type="invoice.create", response_code=201),
            call(org, user_id=user, action_type="invoice.create", response_code=402),
            call(org, user_id=user, service="devices", action_type="device.provision"),
        ]
    )
    audit.flush()
    platform_conn.commit()
    now = datetime.now(UTC)
    rows = ApiAudit(autocommit).billing_audit(org, since=now - timedelta(hours=1), until=now + timedelta(minutes=1))
    assert len(rows) == 2
    assert {r.account_id for r in rows} == {account.id}
    assert sorted(r.response_code or 0 for r in rows) == [201, 402]
    assert ApiAudit(autocommit).billing_audit(new_org(autocommit), since=now - timedelta(hours=1), until=now) == []


def test_a_record_naming_another_organizations_user_is_refused_and_stays_buffered(
    autocommit: Conn, platform_conn: Conn
) -> None:
    mine, _, _ = org_with_key(autocommit)
    _, their_user, _ = org_with_key(autocommit)
    audit = ApiAudit(platform_conn)
    audit.record(call(mine, user_id=their_user))
    with pytest.raises(InvalidReference):
        audit.flush()
    assert audit.pending == 1
    with pytest.raises(ValueError, match="batch_size"):
        ApiAudit(platform_conn, batch_size=0)


def test_platform_calls_without_an_organization_are_recorded(platform_conn: Conn) -> None:
    audit = ApiAudit(platform_conn)
    audit.record(call(None, service="auth", action_type="token.issue"))
    assert audit.flush() == 1
