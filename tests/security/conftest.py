"""Fixtures of the security tests: migrated databases and login roles that are members of the group roles.

Assertions about isolation are made on connections of a LOGIN role that is a member of the application role,
never as the superuser: PostgreSQL never applies row-level security to a superuser, so a test connected as one
would pass whatever the policies say. The superuser only prepares databases and reads what is really stored.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.conftest import DatabaseFactory
from warp_repo.migrations import migrate

from .dataset import Relation, populate, relations

MIGRATIONS_DIR: Path | None = None
"""The migrations the security tests apply: the bundled ones."""


def migrate_all(url: str) -> None:
    """Apply every migration to ``url`` as the superuser."""
    migrate(url, migrations_dir=MIGRATIONS_DIR)


def url_as(url: str, user: str, password: str | None = None) -> str:
    """``url`` with another user (and password)."""
    params = conninfo_to_dict(url)
    params["user"] = user
    if password is not None:
        params["password"] = password
    else:
        params.pop("password", None)
    return make_conninfo("", **params)


class Logins:
    """LOGIN roles created for one test module and dropped after it (roles belong to the whole server)."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []
        self.passwords: dict[str, str] = {}

    def create(self, *groups: str) -> str:
        """A new LOGIN role, member of ``groups``; returns its name."""
        name = f"warp_test_login_{uuid.uuid4().hex[:10]}"
        password = secrets.token_urlsafe(16)
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password))
            )
            self.created.append(name)
            for group in groups:
                conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(name)))
        self.passwords[name] = password
        return name

    def url(self, database_url: str, *groups: str) -> str:
        """The URL of ``database_url`` for a new login that is a member of ``groups``."""
        name = self.create(*groups)
        return url_as(database_url, name, self.passwords[name])

    def drop_all(self) -> None:
        """Drop every login this object created."""
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def logins(pg_server_url: str) -> Iterator[Logins]:
    """Create login roles for this module's tests; dropped at its end."""
    registry = Logins(pg_server_url)
    yield registry
    registry.drop_all()


@dataclass(frozen=True)
class Populated:
    """A migrated database with several organizations' rows in every tenant table.

    Attributes:
        url: the database, as the superuser (for setting up and reading what is stored, never for assertions).
        orgs: the organizations.
        relations: every tenant table and partition with the owner of each row.
        app_url: a login that is a member of ``warp_app`` only.
    """

    url: str
    orgs: tuple[UUID, ...]
    relations: list[Relation]
    app_url: str


@pytest.fixture(scope="module")
def populated(create_database: DatabaseFactory, logins: Logins) -> Populated:
    """One populated database for the whole module (the tests only read, or roll back what they change)."""
    url = create_database()
    migrate_all(url)
    orgs = populate(url, count=3)
    return Populated(url, orgs, relations(url), logins.url(url, "warp_app"))


@pytest.fixture
def app_conn(populated: Populated) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection of the application login (not autocommit: each test decides its transactions)."""
    with psycopg.connect(populated.app_url) as conn:
        yield conn
