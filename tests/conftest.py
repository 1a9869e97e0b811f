"""Test databases: a real PostgreSQL server, one fresh database per need.

The server is, in order: ``WARP_TEST_DATABASE_URL`` (a URL to any database on the server, used to create and drop
test databases), PostgreSQL on 127.0.0.1:5432 as ``postgres`` when it answers, else the embedded server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from warp_models.migrations import migrate

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2, autocommit=True):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """A URL of a maintenance database on a PostgreSQL server the tests may create databases on."""
    explicit = os.environ.get("WARP_TEST_DATABASE_URL")
    if explicit:
        return explicit
    if _answers(LOCAL_SERVER):
        return LOCAL_SERVER
    from warp_repo._embedded import start_embedded_postgres

    return start_embedded_postgres()


DatabaseFactory = Callable[[], str]


@pytest.fixture(scope="session")
def create_database(pg_server_url: str) -> Iterator[DatabaseFactory]:
    """Create empty databases on demand; every one is dropped when the session ends."""
    created: list[str] = []

    def factory() -> str:
        name = f"warp_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        params = conninfo_to_dict(pg_server_url)
        params["dbname"] = name
        return make_conninfo("", **params)

    yield factory
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        for name in created:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def database_url(create_database: DatabaseFactory) -> str:
    """A database migrated with the bundled migrations, shared by the tests of one module."""
    url = create_database()
    migrate(url)
    return url


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection to ``database_url``; what the test leaves uncommitted is rolled back when it closes."""
    with psycopg.connect(database_url) as connection:
        yield connection
        connection.rollback()


@pytest.fixture
def empty_database_url(create_database: DatabaseFactory) -> str:
    """A new, empty database for this test alone."""
    return create_database()
