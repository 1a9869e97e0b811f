"""The audit trail of repository writes: one ``audit_logs`` row per changed row, in the change's transaction."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from tests.conftest import PLATFORM_REACH
from warp_models import (
    AuditLogCreate,
    BillingAccountCreate,
    BillingAccountUpdate,
    CdrCreate,
    CdrUpdate,
    OrganizationCreate,
    OrganizationSettingsCreate,
)
from warp_repo.audit import REDACTED, Actor
from warp_repo.repos import (
    AsyncCdrRepo,
    AuditLogRepo,
    BillingAccountRepo,
    CdrRepo,
    OrganizationRepo,
    OrganizationSettingsRepo,
)
from warp_repo.secrets import TAX_ID
from warp_repo.testing import TEST_ENCRYPTION_KEYS

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def org(database_url: str) -> uuid.UUID:
    """A committed organization, made by the application."""
    with psycopg.connect(database_url) as conn:
        return OrganizationRepo(conn).insert(OrganizationCreate(name="Audited")).id


def trail(conn: psycopg.Connection[Any], org: uuid.UUID, table: str = "cdrs") -> list[tuple[Any, ...]]:
    """The organization's entries about ``table``, read in its tenant context (set here, whatever came before)."""
    with conn.transaction():
        conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(org)])
        return conn.execute(
            "SELECT action, resource_id, org_id, metadata, user_id, ip_address::text, user_agent FROM audit_logs "
            "WHERE org_id = %s AND resource_type = %s ORDER BY created_at, action, resource_id",
            [org, table],
        ).fetchall()


def cdr(org: uuid.UUID, call_id: str) -> CdrCreate:
    return CdrCreate(call_id=call_id, org_id=org, start_time=WHEN)


def test_insert_update_and_delete_each_write_one_entry(conn: psycopg.Connection[Any], org: uuid.UUID) -> None:
    repo = CdrRepo(conn).for_org(org)
    row = repo.insert(cdr(org, "one"))
    repo.update(row.id, CdrUpdate(duration=42))
    assert repo.delete(row.id)
    assert not repo.delete(row.id), "nothing deleted, nothing audited"
    entries = trail(conn, org)
    assert [(e[0], e[1], e[2]) for e in entries] == [
        ("delete", str(row.id), org),
        ("insert", str(row.id), org),
        ("update", str(row.id), org),
    ]
    by_action = {e[0]: e[3] for e in entries}
    assert by_action["insert"]["changes"]["call_id"] == "one"
    assert by_action["update"] == {"changes": {"duration": 42}}
    assert by_action["delete"] == {}


def test_many_row_writes_write_one_entry_per_row(conn: psycopg.Connection[Any], org: uuid.UUID) -> None:
    repo = CdrRepo(conn).for_org(org)
    rows = repo.insert_many([cdr(org, f"m{i}") for i in range(5)])
    repo.upsert(
        CdrCreate(id=rows[0].id, call_id="m0", org_id=org, start_time=WHEN, duration=7), on=("id", "start_time")
    )
    repo.upsert_many(
        [CdrCreate(id=r.id, call_id=r.call_id, org_id=org, start_time=WHEN, duration=1) for r in rows[1:3]],
        on=("id", "start_time"),
    )
    assert repo.delete_where(CdrRepo.c.call_id.in_(["m3", "m4"])) == 2
    counts: dict[str, int] = {}
    for action, *_ in trail(conn, org):
        counts[action] = counts.get(action, 0) + 1
    assert counts == {"insert": 5, "upsert": 3, "delete": 2}
    deleted = {e[1] for e in trail(conn, org) if e[0] == "delete"}
    assert deleted == {str(rows[3].id), str(rows[4].id)}


def test_copy_in_writes_one_entry_per_call(conn: psycopg.Connection[Any], org: uuid.UUID) -> None:
    repo = CdrRepo(conn).for_org(org)
    assert repo.copy_in([cdr(org, f"c{i}") for i in range(1000)]) == 1000
    assert repo.copy_in([]) == 0
    assert [(e[0], e[1], e[3]) for e in trail(conn, org)] == [("copy", None, {"rows": 1000})]


def test_an_unscoped_repository_audits_under_the_row_organization(
    platform_conn: psycopg.Connection[Any], org: uuid.UUID
) -> None:
    platform_conn.execute(PLATFORM_REACH)  # unscoped writes are platform work (the application's are refused)
    row = CdrRepo(platform_conn).insert(cdr(org, "unscoped"))
    CdrRepo(platform_conn).copy_in([cdr(org, "unscoped-copy")])
    assert [(e[0], e[1]) for e in trail(platform_conn, org)] == [("copy", None), ("insert", str(row.id))]


def test_deleting_the_settings_row_is_audited_in_the_organizations_trail(
    conn: psycopg.Connection[Any], org: uuid.UUID
) -> None:
    """The settings row's key is its organization's id, but deleting it is not deleting the organization."""
    settings = OrganizationSettingsRepo(conn).for_org(org)
    settings.insert(OrganizationSettingsCreate(org_id=org, max_trunks=3))
    assert settings.delete(org) is True
    assert [(e[0], e[1], e[2]) for e in trail(conn, org, "organization_settings")] == [
        ("delete", str(org), org),
        ("insert", str(org), org),
    ]


def test_the_actor_is_recorded(conn: psycopg.Connection[Any], org: uuid.UUID) -> None:
    actor = Actor(ip_address="192.0.2.7", user_agent="ingest/1.0")
    CdrRepo(conn).for_org(org, actor=actor).insert(cdr(org, "by-actor"))
    CdrRepo(conn, actor=Actor(user_agent="cron")).for_org(org).insert(cdr(org, "by-constructor"))
    assert CdrRepo(conn, actor=actor).for_org(org).actor == actor, "for_org keeps the actor it is not given"
    recorded = {(e[5], e[6]) for e in trail(conn, org)}
    assert recorded == {(None, "cron"), ("192.0.2.7/32", "ingest/1.0")}


def test_secret_values_never_reach_the_trail(conn: psycopg.Connection[Any], org: uuid.UUID) -> None:
    repo = BillingAccountRepo(conn).for_org(org)
    keys, account_id = TEST_ENCRYPTION_KEYS, uuid.uuid4()
    first = TAX_ID.encrypt(keys, "12-3456789", row_id=account_id, org_id=org)
    account = repo.insert(BillingAccountCreate(id=account_id, org_id=org, tax_id=first))
    repo.update(
        account.id, BillingAccountUpdate(tax_id=TAX_ID.encrypt(keys, "98-7654321", row_id=account_id, org_id=org))
    )
    entries = trail(conn, org, "billing_accounts")
    assert [e[3]["changes"]["tax_id"] for e in entries] == [REDACTED, REDACTED]
    assert "3456789" not in str(entries) and "7654321" not in str(entries)


def test_a_rolled_back_transaction_leaves_no_entry(conn: psycopg.Connection[Any], org: uuid.UUID) -> None:
    repo = CdrRepo(conn).for_org(org)
    repo.insert(cdr(org, "undone"))
    repo.copy_in([cdr(org, "undone-copy")])
    assert len(trail(conn, org)) == 2
    conn.rollback()
    assert trail(conn, org) == []


def test_writes_to_the_audit_log_itself_are_not_audited(conn: psycopg.Connection[Any], org: uuid.UUID) -> None:
    AuditLogRepo(conn).for_org(org).insert_many([AuditLogCreate(org_id=org, action="login") for _ in range(3)])
    rows = conn.execute(
        "SELECT action, resource_type FROM audit_logs WHERE org_id = %s AND resource_type IS DISTINCT FROM %s",
        [org, "organizations"],
    ).fetchall()
    assert rows == [("login", None)] * 3


def test_autocommit_writes_commit_with_their_entry(database_url: str, org: uuid.UUID) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        CdrRepo(conn).for_org(org).insert(cdr(org, "auto"))
        assert [e[0] for e in trail(conn, org)] == ["insert"]


def test_the_application_role_writes_its_entries_under_row_level_security(
    database_url: str, admin_url: str, org: uuid.UUID
) -> None:
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT row_security_active('audit_logs')").fetchone() == (True,)
        repo = CdrRepo(conn).for_org(org)
        row = repo.insert(cdr(org, "app"))
        repo.delete(row.id)
        repo.copy_in([cdr(org, "app-copy")])
        conn.commit()
    with psycopg.connect(admin_url) as admin:  # what is stored, whoever may see it
        assert sorted(e[0] for e in trail(admin, org)) == ["copy", "delete", "insert"]


def test_async_writes_are_audited(database_url: str, org: uuid.UUID) -> None:
    async def run() -> None:
        async with await psycopg.AsyncConnection.connect(database_url) as aconn:
            repo = AsyncCdrRepo(aconn).for_org(org, actor=Actor(user_agent="async"))
            rows = await repo.insert_many([cdr(org, "a1"), cdr(org, "a2")])
            await repo.delete_where(AsyncCdrRepo.c.id == rows[0].id)
            await aconn.commit()

    asyncio.run(run())
    with psycopg.connect(database_url) as conn:
        assert sorted((e[0], e[6]) for e in trail(conn, org)) == [
            ("delete", "async"),
            ("insert", "async"),
            ("insert", "async"),
        ]
