"""Test databases on a real PostgreSQL server, reached as the roles that use them in production.

The server is, in order: ``WARP_TEST_DATABASE_URL`` (a URL to any database on the server, as a superuser, used to
create and drop test databases and roles), PostgreSQL on 127.0.0.1:5432 as ``postgres`` when it answers, else the
embedded server.

Tests connect as the application by default. ``conn`` and ``database_url`` are a LOGIN role that is a member of
``warp_app``, like a service's own login: the grants and row-level security apply to them as to the service.
PostgreSQL never applies row-level security to a superuser, so a test connected as one passes whatever the
policies say. Two other kinds of fixtures say by their names whom they connect as:

* ``platform_url``, ``platform_conn``: a LOGIN member of ``warp_platform``, for platform work (the number
  inventory, the rate deck, organization trees). It reaches other organizations only in a transaction that asks
  for it (``PLATFORM_REACH``) or through the repositories' ``unscoped_platform_*`` methods.
* ``admin_url``, ``admin_conn``, ``empty_admin_url``: the superuser, for migrations, the catalog, the drift check
  and set-up the application may not do. Never for an assertion about what the application sees.

The two logins are made once per session (roles belong to the whole server, not to a database) and dropped at its
end, after the databases.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, LiteralString

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from warp_repo.migrations import migrate
from warp_repo.testing._database import _ensure_login, _join

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"

APP_ROLE = "warp_app"
"""The application group role (migration 20261122_008 creates it, server-wide)."""

PLATFORM_ROLE = "warp_platform"
"""The platform group role: the application's privileges, plus the rate deck and the reach across organizations."""

PLATFORM_REACH: LiteralString = "SELECT set_config('warp.platform', 'on', true)"
"""What platform work runs first in its transaction to reach every organization (a member of the platform role)."""


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2, autocommit=True):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """A URL of a maintenance database on a PostgreSQL server the tests may create databases and roles on."""
    explicit = os.environ.get("WARP_TEST_DATABASE_URL")
    if explicit:
        return explicit
    if _answers(LOCAL_SERVER):
        return LOCAL_SERVER
    from warp_repo._embedded import start_embedded_postgres

    return start_embedded_postgres()


@dataclass(frozen=True)
class Login:
    """A LOGIN role of this session, a member of one group role (never a superuser, never ``BYPASSRLS``)."""

    name: str
    password: str
    group: str

    def url(self, database_url: str) -> str:
        """``database_url`` as this login."""
        params = conninfo_to_dict(database_url) | {"user": self.name, "password": self.password}
        return make_conninfo("", **params)


class Server:
    """What the session made on the server: databases, and one login per group role; dropped at its end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._databases: list[str] = []
        self._logins: dict[str, Login] = {}
        self._template: tuple[str, list[tuple[str, ...]]] | None = None

    def create_database(self) -> str:
        """A new, empty database; its URL as the superuser."""
        return self._create(sql.SQL(""))

    def create_migrated_database(self) -> str:
        """A new database with the bundled migrations applied; its URL as the superuser.

        The migrations run once per session, into a template database; each call copies it (``CREATE DATABASE
        ... TEMPLATE``, a tenth of the time of migrating). A copy gets everything inside the database, but not
        what belongs to the database itself: its settings (``ALTER DATABASE ... SET``, migration 010's TimeZone)
        are set again on the copy, and a migration that granted on the database (which a copy would lose) makes
        this fail rather than hand out a database that differs from a migrated one.
        """
        if self._template is None:
            url = self._create(sql.SQL(""))
            migrate(url)
            name = str(conninfo_to_dict(url)["dbname"])
            with psycopg.connect(self.url, autocommit=True) as conn:
                found = conn.execute(
                    "SELECT datacl IS NULL, ARRAY(SELECT unnest(setconfig) FROM pg_db_role_setting"
                    " WHERE setdatabase = d.oid AND setrole = 0), EXISTS(SELECT FROM pg_db_role_setting"
                    " WHERE setdatabase = d.oid AND setrole <> 0) FROM pg_database AS d WHERE datname = %s",
                    (name,),
                ).fetchone()
            assert found is not None
            no_grants, settings, role_settings = found
            assert no_grants and not role_settings, "the migrations set what a database copy does not carry"
            self._template = (name, [tuple(str(s).split("=", 1)) for s in settings])
        template, settings = self._template
        url = self._create(sql.SQL(" TEMPLATE {}").format(sql.Identifier(template)))
        with psycopg.connect(self.url, autocommit=True) as conn:
            for key, value in settings:
                conn.execute(
                    sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                        sql.Identifier(str(conninfo_to_dict(url)["dbname"])), sql.Identifier(key), sql.Literal(value)
                    )
                )
        return url

    def _drop(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _create(self, template: sql.Composable) -> str:
        name = f"warp_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}{}").format(sql.Identifier(name), template))
        self._databases.append(name)
        params = conninfo_to_dict(self.url)
        params["dbname"] = name
        return make_conninfo("", **params)

    def login(self, group: str) -> Login:
        """The session's login that is a member of ``group``, made on first use.

        The group roles exist once a database was migrated (migration 20261122_008 creates them server-wide).
        """
        found = self._logins.get(group)
        if found is None:
            name = f"warp_test_{group.removeprefix('warp_')}_{uuid.uuid4().hex[:8]}"
            found = Login(name, secrets.token_urlsafe(18), group)
            with psycopg.connect(self.url, autocommit=True) as conn:
                _ensure_login(conn, found.name, found.password)
                self._logins[group] = found
                if _join(conn, found.name, group) is None:
                    raise RuntimeError(f"the group role {group} does not exist: migrate a database first")
        return found

    def close(self) -> None:
        """Drop the databases, then the logins (a role cannot go while a database holds something of it).

        The databases are dropped a few at a time: each DROP DATABASE waits for a checkpoint, and drops that wait
        together share one.
        """
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(self._drop, self._databases))
        with psycopg.connect(self.url, autocommit=True) as conn:
            for login in self._logins.values():
                with suppress(psycopg.errors.DependentObjectsStillExist):
                    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login.name)))


@pytest.fixture(scope="session")
def pg_server(pg_server_url: str) -> Iterator[Server]:
    """The databases and logins of this session."""
    server = Server(pg_server_url)
    yield server
    server.close()


DatabaseFactory = Callable[[], str]


@pytest.fixture(scope="session")
def create_database(pg_server: Server) -> DatabaseFactory:
    """Create empty databases on demand (URLs as the superuser); every one is dropped when the session ends."""
    return pg_server.create_database


@pytest.fixture(scope="session")
def create_migrated_database(pg_server: Server) -> DatabaseFactory:
    """Create databases with the bundled migrations applied, on demand (copies of one migrated in this session)."""
    return pg_server.create_migrated_database


SHARED_DATABASE_FOLDERS = frozenset(
    {"organizations", "trunks", "numbers", "routing", "cdrs", "billing", "messaging", "services"}
    | {"extensions", "devices", "voicemail", "access"}
)
"""Test folders whose modules share the session's database (``domain_admin_url``): the domain services' tests.

Each of their tests works in a transaction it never commits; tests that need several connections (races) commit
rows they name uniquely, so they cannot disturb each other or the rolled-back tests.
"""


@pytest.fixture(scope="session")
def domain_admin_url(create_migrated_database: DatabaseFactory) -> str:
    """The session's migrated database shared by the domain services' tests, as the superuser."""
    return create_migrated_database()


@pytest.fixture(scope="session")
def domain_url(domain_admin_url: str, pg_server: Server) -> str:
    """The shared database as the application login."""
    return pg_server.login(APP_ROLE).url(domain_admin_url)


@pytest.fixture(scope="session")
def domain_platform_url(domain_admin_url: str, pg_server: Server) -> str:
    """The shared database as the platform login."""
    return pg_server.login(PLATFORM_ROLE).url(domain_admin_url)


@pytest.fixture(scope="module")
def admin_url(request: pytest.FixtureRequest, create_migrated_database: DatabaseFactory) -> str:
    """A database migrated with the bundled migrations, as the superuser: the module's own, or in the folders of
    ``SHARED_DATABASE_FOLDERS`` the session's shared one.

    For migrations, the catalog and set-up the application may not do; ``database_url`` is the same database as
    the application.
    """
    if request.path.parent.name in SHARED_DATABASE_FOLDERS:
        return str(request.getfixturevalue("domain_admin_url"))
    return create_migrated_database()


@pytest.fixture(scope="module")
def database_url(admin_url: str, pg_server: Server) -> str:
    """The module's migrated database as the application login (a member of ``warp_app``)."""
    return pg_server.login(APP_ROLE).url(admin_url)


@pytest.fixture(scope="module")
def platform_url(admin_url: str, pg_server: Server) -> str:
    """The module's migrated database as the platform login (a member of ``warp_platform``)."""
    return pg_server.login(PLATFORM_ROLE).url(admin_url)


def _rolled_back(url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(url) as connection:
        yield connection
        connection.rollback()


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    """An application connection; what the test leaves uncommitted is rolled back when it closes."""
    yield from _rolled_back(database_url)


@pytest.fixture
def platform_conn(platform_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A platform connection (without the reach until the test asks for it); rolled back when it closes."""
    yield from _rolled_back(platform_url)


@pytest.fixture
def admin_conn(admin_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A superuser connection to the application's database; rolled back when it closes."""
    yield from _rolled_back(admin_url)


@pytest.fixture
def empty_admin_url(create_database: DatabaseFactory) -> str:
    """A new, empty database for this test alone, as the superuser (migrations need one, or the owner role)."""
    return create_database()


def _autocommit(url: str) -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(url, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def autocommit(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    """An application connection in autocommit mode, for rows other connections must see."""
    yield from _autocommit(database_url)


@pytest.fixture
def platform_autocommit(platform_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A platform connection in autocommit mode, for platform rows (inventory, rates, trees) others must see."""
    yield from _autocommit(platform_url)
