"""The start-up self-check: clean on a migrated database, and each weakening reported by name."""

from __future__ import annotations

import asyncio
import uuid
from typing import LiteralString

import psycopg
import pytest

from tests.conftest import DatabaseFactory
from warp_models import TABLES
from warp_repo.migrations import migrate
from warp_repo.security import (
    InsecureDatabase,
    SecurityIssue,
    check_security,
    check_security_async,
    require_secure,
    tenant_tables,
)

from .conftest import MIGRATIONS_DIR, Logins, Populated

SEED_000 = frozenset({"extensions", "devices", "voicemail", "access"})
"""The domain modules of migration 20261206_014."""

Conn = psycopg.Connection[tuple[object, ...]]


def found(issues: list[SecurityIssue]) -> set[tuple[str, str | None]]:
    return {(issue.code, issue.table or issue.role) for issue in issues}


def test_a_migrated_database_passes_from_any_connection(populated: Populated) -> None:
    with psycopg.connect(populated.url) as conn:
        assert check_security(conn) == []
        require_secure(conn)
    with psycopg.connect(populated.app_url) as conn:  # the service's own login is checked too
        assert check_security(conn) == []
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE  # its transaction is closed

    async def from_async() -> list[SecurityIssue]:
        async with await psycopg.AsyncConnection.connect(populated.app_url) as conn:
            return await check_security_async(conn)

    assert asyncio.run(from_async()) == []


ROLE = f"warp_test_super_{uuid.uuid4().hex[:8]}"

WEAKENINGS: list[tuple[str, list[LiteralString], set[tuple[str, str | None]]]] = [
    ("no FORCE", ["ALTER TABLE invoices NO FORCE ROW LEVEL SECURITY"], {("rls-not-forced", "invoices")}),
    (
        "RLS off on a partition",
        ["ALTER TABLE messages_default DISABLE ROW LEVEL SECURITY"],
        {("rls-disabled", "messages_default")},
    ),
    (
        "a partition without policy",
        ["DROP POLICY warp_tenant_isolation ON cdrs_default"],
        {("no-policy", "cdrs_default")},
    ),
    (
        "an open policy",
        ["CREATE POLICY everything ON trunk_acl USING (true)"],
        {("policy-not-tenant-keyed", "trunk_acl")},
    ),
    ("TRUNCATE granted", ["GRANT TRUNCATE ON cdrs TO warp_app"], {("truncate-granted", "cdrs")}),
    ("shared rates writable", ["GRANT UPDATE ON lcr_rates TO warp_app"], {("reference-writable", "lcr_rates")}),
    (
        "a view with its owner's rights",
        ["CREATE VIEW every_user AS SELECT * FROM users", "GRANT SELECT ON every_user TO warp_app"],
        {("view-bypasses-rls", "every_user")},
    ),
    (
        "a SECURITY DEFINER function",
        ["CREATE FUNCTION peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS 'SELECT count(*) FROM users'"],
        {("security-definer", "peek()")},
    ),
    (
        "the app owns a table",
        ["ALTER TABLE users OWNER TO warp_app"],
        {("owns-table", "users"), ("truncate-granted", "users")},
    ),
    ("the app bypasses RLS", ["ALTER ROLE warp_app BYPASSRLS"], {("bypassrls", "warp_app")}),
    (
        "the app can become a superuser",
        [f"CREATE ROLE {ROLE} SUPERUSER NOLOGIN", f"GRANT {ROLE} TO warp_app"],
        {("superuser", ROLE)},
    ),
]


@pytest.mark.parametrize(("statements", "expected"), [w[1:] for w in WEAKENINGS], ids=[w[0] for w in WEAKENINGS])
def test_each_weakening_is_reported_by_name(
    populated: Populated, statements: list[LiteralString], expected: set[tuple[str, str | None]]
) -> None:
    with psycopg.connect(populated.url) as conn:  # the superuser, in a transaction that is rolled back
        assert check_security(conn) == []
        for statement in statements:
            conn.execute(statement)
        issues = check_security(conn)
        assert found(issues) == expected, [str(i) for i in issues]
        with pytest.raises(InsecureDatabase) as caught:
            require_secure(conn)
        assert all(str(issue) in str(caught.value) for issue in issues)
        conn.rollback()
        assert check_security(conn) == []


def test_a_login_that_can_also_act_as_the_platform_is_reported(populated: Populated, logins: Logins) -> None:
    with psycopg.connect(logins.url(populated.url, "warp_app", "warp_platform")) as conn:
        issues = check_security(conn)
    assert {code for code, _ in found(issues)} == {"policy-not-tenant-keyed", "reference-writable"}
    assert {table for _, table in found(issues)} >= set(tenant_tables())
    assert "warp_platform" in issues[0].message


def test_an_unknown_application_role_is_reported(populated: Populated) -> None:
    with psycopg.connect(populated.url) as conn:
        assert found(check_security(conn, app_role="no_such_role")) == {("app-role-missing", "no_such_role")}


def test_a_database_without_the_security_migrations_fails_on_every_tenant_table(
    create_database: DatabaseFactory,
) -> None:
    url = create_database()
    migrate(url, migrations_dir=MIGRATIONS_DIR, target="20261122_007")
    with psycopg.connect(url) as conn:
        issues = check_security(conn)
    # The seed-000 tables come with migration 20261206_014, later than 007: they are reported missing.
    missing = {table for code, table in found(issues) if code == "table-missing"}
    assert missing == {name for name, row in TABLES.items() if row.__module__.rsplit(".", 1)[-1] in SEED_000}
    for table in set(tenant_tables()) - missing:
        assert {("rls-disabled", table), ("rls-not-forced", table), ("no-policy", table)} <= found(issues)
    assert ("rls-disabled", "cdrs_default") in found(issues)
