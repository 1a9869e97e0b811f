"""The roles migration: names from database settings, refusals, and a rollback that is safe on a shared server.

Roles belong to the whole server. These tests use role names of their own (set with ALTER DATABASE ... SET
warp.role_*), so that creating and dropping them cannot disturb the default roles other tests rely on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from warp_models.errors import MigrationFailed
from warp_repo.migrations import rollback
from warp_repo.security import check_security

from .conftest import MIGRATIONS_DIR, Logins, migrate_all

KINDS = ("owner", "app", "platform", "readonly")


@dataclass
class Server:
    """Databases configured for one set of role names, all dropped (then the roles) at the end of a test."""

    server_url: str
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    databases: list[str] = field(default_factory=list)

    def role(self, kind: str) -> str:
        return f"warp_t{self.suffix}_{kind}"

    def database(self, **overrides: str) -> str:
        """A new database whose warp.role_* settings name this test's roles (``overrides`` win)."""
        name = f"warp_test_roles_{uuid.uuid4().hex[:10]}"
        names = {kind: self.role(kind) for kind in KINDS} | overrides
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            self.databases.append(name)
            for kind, role in names.items():
                conn.execute(
                    sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                        sql.Identifier(name), sql.Identifier(f"warp.role_{kind}"), sql.Literal(role)
                    )
                )
        params = conninfo_to_dict(self.server_url)
        params["dbname"] = name
        return make_conninfo("", **params)

    def exists(self, role: str) -> bool:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [role]).fetchone() == (1,)

    def run(self, statement: sql.Composed) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(statement)

    def clean(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for name in self.databases:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            for kind in KINDS:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(self.role(kind))))


@pytest.fixture
def server(pg_server_url: str) -> Iterator[Server]:
    made = Server(pg_server_url)
    yield made
    made.clean()


def roles_of(url: str) -> dict[str, tuple[bool, bool, bool, str | None]]:
    """Each warp test role: (can log in, superuser, bypasses RLS, comment)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT rolname, rolcanlogin, rolsuper, rolbypassrls, shobj_description(oid, 'pg_authid')"
            " FROM pg_roles WHERE rolname LIKE 'warp\\_t%%\\_%%'"
        ).fetchall()
    return {str(r[0]): (bool(r[1]), bool(r[2]), bool(r[3]), r[4] if r[4] is None else str(r[4])) for r in rows}


def policies(url: str) -> int:
    with psycopg.connect(url) as conn:
        found = conn.execute("SELECT count(*) FROM pg_policy").fetchone()
    assert found is not None
    return int(str(found[0]))


def test_role_names_come_from_the_database_settings(server: Server, logins: Logins) -> None:
    url = server.database()
    migrate_all(url)
    created = roles_of(url)
    for kind in KINDS:
        assert created[server.role(kind)] == (
            False,
            False,
            False,
            f"warp-models group role ({kind}), created by migration 20261122_008",
        )
    with psycopg.connect(url) as conn:
        assert check_security(conn) == []  # warp.role_app names the application role
        grantees = conn.execute(
            "SELECT DISTINCT grantee FROM information_schema.role_table_grants WHERE table_name = 'users'"
        ).fetchall()
    assert {(server.role("app"),), (server.role("platform"),), (server.role("readonly"),)} <= set(grantees)
    app_login = logins.url(url, server.role("app"))
    with psycopg.connect(app_login) as conn:
        assert conn.execute("SELECT count(*) FROM organizations").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'x')")


def test_an_application_role_that_bypasses_rls_is_refused(server: Server) -> None:
    server.run(sql.SQL("CREATE ROLE {} NOLOGIN BYPASSRLS").format(sql.Identifier(server.role("app"))))
    url = server.database()
    with pytest.raises(MigrationFailed) as caught:
        migrate_all(url)
    assert caught.value.sqlstate == "42501"
    assert "BYPASSRLS" in str(caught.value)
    assert policies(url) == 0  # the migration rolled back entirely


def test_the_four_names_must_differ(server: Server) -> None:
    url = server.database(platform=server.role("app"))
    with pytest.raises(MigrationFailed) as caught:
        migrate_all(url)
    assert caught.value.sqlstate == "22023"
    assert not server.exists(server.role("owner"))


def test_a_rollback_keeps_the_roles_while_another_database_uses_them(server: Server, logins: Logins) -> None:
    first, second = server.database(), server.database()
    migrate_all(first)
    migrate_all(second)
    login = logins.create(server.role("app"))

    undone = rollback(first, migrations_dir=MIGRATIONS_DIR, target="20261122_007").versions
    assert undone[-2:] == ["20261122_009", "20261122_008"]
    assert all(server.exists(server.role(kind)) for kind in KINDS)
    assert policies(first) == 0
    with psycopg.connect(first) as conn:
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relrowsecurity OR relforcerowsecurity").fetchone() == (
            0,
        )
        assert conn.execute(
            "SELECT count(*) FROM pg_proc WHERE proname IN ('warp_secure_partition', 'warp_configured_role')"
        ).fetchone() == (0,)
    # The other database still enforces isolation for the same roles.
    second_login = conninfo_to_dict(second) | {"user": login, "password": logins.passwords[login]}
    with psycopg.connect(make_conninfo("", **second_login)) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), 'x')")
    with psycopg.connect(second) as conn:
        assert check_security(conn) == []

    migrate_all(first)  # the roles exist: the migration reuses them
    with psycopg.connect(first) as conn:
        assert check_security(conn) == []

    # A login is still a member of the application role: that role stays; the others go with the last database.
    rollback(first, migrations_dir=MIGRATIONS_DIR, target="20261122_007")
    rollback(second, migrations_dir=MIGRATIONS_DIR, target="20261122_007")
    assert server.exists(server.role("app"))
    assert not any(server.exists(server.role(kind)) for kind in ("owner", "platform", "readonly"))


def test_a_rollback_never_drops_a_role_it_did_not_create(server: Server) -> None:
    server.run(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(server.role("readonly"))))
    url = server.database()
    migrate_all(url)
    assert roles_of(url)[server.role("readonly")][3] is None  # not marked as created by the migration
    rollback(url, migrations_dir=MIGRATIONS_DIR, target="20261122_007")
    assert server.exists(server.role("readonly"))
    assert not server.exists(server.role("app"))
