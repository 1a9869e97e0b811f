"""The domain tests' database: migrated once per session; each test works in a transaction it never commits.

Tests connect as the application login (``conn``, ``autocommit``, ``domain_url``), like the services do. Platform
work (the number inventory, the rate deck, organization trees) runs on the platform login (``platform_conn``,
``platform_autocommit``, ``domain_platform_url``); the superuser (``admin_conn``, ``domain_admin_url``) only
changes the schema inside a rolled-back transaction and reads the catalog.

``admin_url``, ``database_url`` and ``platform_url`` are overridden here, so the shared ``conn``, ``platform_conn``
and ``admin_conn`` fixtures of tests/conftest.py reach this session's database.

Tests that need several connections (races) commit their own rows; they name them uniquely, so they cannot
disturb each other or the rolled-back tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.conftest import APP_ROLE, PLATFORM_ROLE, DatabaseFactory, Server
from warp_repo.migrations import migrate


@pytest.fixture(scope="session")
def domain_admin_url(create_database: DatabaseFactory) -> str:
    """The session's migrated database, as the superuser."""
    url = create_database()
    migrate(url)
    return url


@pytest.fixture(scope="session")
def domain_url(domain_admin_url: str, pg_server: Server) -> str:
    """The session's database as the application login."""
    return pg_server.login(APP_ROLE).url(domain_admin_url)


@pytest.fixture(scope="session")
def domain_platform_url(domain_admin_url: str, pg_server: Server) -> str:
    """The session's database as the platform login."""
    return pg_server.login(PLATFORM_ROLE).url(domain_admin_url)


@pytest.fixture(scope="session")
def admin_url(domain_admin_url: str) -> str:
    return domain_admin_url


@pytest.fixture(scope="session")
def database_url(domain_url: str) -> str:
    return domain_url


@pytest.fixture(scope="session")
def platform_url(domain_platform_url: str) -> str:
    return domain_platform_url


def _autocommit(url: str) -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(url, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def autocommit(domain_url: str) -> Iterator[psycopg.Connection[Any]]:
    """An application connection in autocommit mode, for rows other connections must see."""
    yield from _autocommit(domain_url)


@pytest.fixture
def platform_autocommit(domain_platform_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A platform connection in autocommit mode, for platform rows (inventory, rates, trees) others must see."""
    yield from _autocommit(domain_platform_url)
