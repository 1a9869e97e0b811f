"""Throw-away test databases, migrated once and reached through a login role that row-level security binds.

A :class:`TestDatabase` is made on a server given by a superuser (or a role with ``CREATEDB`` and
``CREATEROLE``) URL: a new database, migrated with the bundled migrations, and a ``LOGIN`` role that is a member
of the application group role (``warp_app`` unless configured; migration ``20261122_008`` creates it). Tests
connect as that login, so privileges and tenant policies apply to them exactly as to the service. On a schema
without the group role (migrations before ``008``), the login gets table privileges of its own instead; it is
never a superuser and never has ``BYPASSRLS`` (both skip row-level security), and :meth:`TestDatabase.create`
refuses a configured role that has either.

Nothing here needs pytest; ``warp_repo.testing.pytest_plugin`` wraps it in fixtures.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from warp_repo.migrations import migrate

DEFAULT_APP_ROLE = "warp_app"
"""The application group role migration ``20261122_008`` creates unless the database names another."""

_ROLE_LOCK = 0x57415250  # advisory lock key: one session at a time creates or alters test login roles


class TestDatabaseError(RuntimeError):
    """The test database or its login role could not be set up; the message says what to change."""

    __test__ = False


@dataclass(frozen=True)
class TestDatabase:
    """A migrated database for one test session and the non-superuser login tests connect as.

    Attributes:
        name: the database's name (``warp_test_<worker>_<random>``).
        admin_url: the database as the administrator who made it: changes through it are committed and skip
            row-level security; use it only for set-up that the application role may not do.
        app_url: the database as ``login_role``: what tests use.
        login_role: the login role (a member of ``app_role``, or holding table privileges of its own).
        app_role: the application group role, or ``None`` when the schema has none (before migration 008).
        server_url: the maintenance URL the database was created from.
        owns_login: whether the login role was made for this database (and is dropped with it).
    """

    __test__ = False  # a fixture's value, not a test class, whatever pytest makes of its name

    name: str
    admin_url: str
    app_url: str
    login_role: str
    app_role: str | None
    server_url: str
    owns_login: bool

    @classmethod
    def create(
        cls,
        server_url: str,
        *,
        worker: str = "main",
        app_role: str = DEFAULT_APP_ROLE,
        login_role: str | None = None,
        login_password: str | None = None,
    ) -> TestDatabase:
        """Create, migrate and open up a test database.

        Args:
            server_url: any database on the server, as a role that may create databases and roles.
            worker: the pytest-xdist worker id (``gw0``), part of the database's name.
            app_role: the application group role the login joins; a name other than ``warp_app`` is set as
                ``warp.role_app`` on the new database before migrating, as migration 008 asks.
            login_role: a login role to use (created if missing, never dropped); by default one is made for
                this database, with a random password, and dropped with it.
            login_password: the password of ``login_role`` (kept as it is when ``None``).

        Raises:
            TestDatabaseError: the server refused something (the message says what), or ``login_role`` is a
                superuser or has ``BYPASSRLS``.
        """
        token = secrets.token_hex(4)
        name = f"warp_test_{_label(worker)}_{token}"
        owns_login = login_role is None
        login = login_role or f"warp_test_{_label(worker)}_{token}_app"
        password = login_password if login_role else secrets.token_urlsafe(18)
        admin_url = _with(server_url, dbname=name)
        try:
            with psycopg.connect(server_url, autocommit=True) as conn:
                _ensure_login(conn, login, password)
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                if app_role != DEFAULT_APP_ROLE:
                    conn.execute(
                        sql.SQL("ALTER DATABASE {} SET warp.role_app = {}").format(
                            sql.Identifier(name), sql.Literal(app_role)
                        )
                    )
        except psycopg.Error as exc:
            raise TestDatabaseError(
                f"cannot create the test database or its login role on {_where(server_url)}: {exc}".strip()
                + " (the URL's user needs CREATEDB and CREATEROLE, or to be a superuser)"
            ) from exc
        made = cls(name, admin_url, "", login, None, server_url, owns_login)
        try:
            migrate(admin_url)
            with psycopg.connect(server_url, autocommit=True) as conn:
                group = _join(conn, login, app_role)
            if group is None:
                with psycopg.connect(admin_url, autocommit=True) as conn:
                    _grant_tables(conn, login)
        except BaseException:
            made.drop()
            raise
        app_url = _with(server_url, dbname=name, user=login, **({"password": password} if password else {}))
        return cls(name, admin_url, app_url, login, group, server_url, owns_login)

    def drop(self) -> None:
        """Drop the database (closing its connections) and the login role if it was made for it."""
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
            if self.owns_login:
                with suppress(psycopg.errors.DependentObjectsStillExist):
                    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(self.login_role)))

    def connect(self) -> psycopg.Connection[Any]:
        """A new connection as the login role, in UTC, not in autocommit."""
        return psycopg.connect(self.app_url, options="-c TimeZone=UTC")

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection as the login role inside a transaction that is rolled back, then closed."""
        with self.connect() as conn, conn.transaction(force_rollback=True):
            yield conn

    @asynccontextmanager
    async def async_transaction(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """An async connection as the login role inside a transaction that is rolled back, then closed."""
        conn = await psycopg.AsyncConnection.connect(self.app_url, options="-c TimeZone=UTC")
        try:
            async with conn.transaction(force_rollback=True):
                yield conn
        finally:
            await conn.close()

    def __repr__(self) -> str:
        return f"<TestDatabase {self.name} login={self.login_role} app_role={self.app_role}>"


def _label(worker: str) -> str:
    return "".join(ch for ch in worker.lower() if ch.isalnum())[:12] or "main"


def _with(url: str, **params: str) -> str:
    merged = conninfo_to_dict(url) | params
    return make_conninfo("", **{k: str(v) for k, v in merged.items() if v is not None})


def _where(url: str) -> str:
    params = conninfo_to_dict(url)
    return f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"


def _ensure_login(conn: psycopg.Connection[Any], login: str, password: str | None) -> None:
    """Create the login role if it is missing; refuse one that would skip row-level security."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ROLE_LOCK,))
        found = conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
        if found is None:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS").format(
                    sql.Identifier(login)
                )
            )
        elif found[0] or found[1]:
            raise TestDatabaseError(
                f"the login role {login!r} is a superuser or has BYPASSRLS, so row-level security would not apply "
                f"to the tests: use another role, or run ALTER ROLE {login} NOSUPERUSER NOBYPASSRLS"
            )
        if password is not None:
            conn.execute(
                sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(login), sql.Literal(password))
            )


def _join(conn: psycopg.Connection[Any], login: str, app_role: str) -> str | None:
    """Make ``login`` a member of the application role; ``None`` when the server has no such role."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ROLE_LOCK,))
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app_role,)).fetchone()
        if exists is None:
            return None
        member = conn.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (login, app_role)).fetchone()
        if not (member and member[0]):
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(app_role), sql.Identifier(login)))
    return app_role


def _grant_tables(conn: psycopg.Connection[Any], login: str) -> None:
    """Privileges of the login's own on a schema without the application role (before migration 008)."""
    target = sql.Identifier(login)
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(target))
    conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(target))
