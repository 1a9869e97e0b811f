"""The domain tests' database: migrated once per session; each test works in a transaction it never commits.

Tests that need several connections (races) commit their own rows; they name them uniquely, so they cannot
disturb each other or the rolled-back tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.conftest import DatabaseFactory
from warp_models.migrations import migrate


@pytest.fixture(scope="session")
def domain_url(create_database: DatabaseFactory) -> str:
    url = create_database()
    migrate(url)
    return url


@pytest.fixture
def conn(domain_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection whose transaction is rolled back after the test."""
    conn = psycopg.connect(domain_url)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture
def autocommit(domain_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection in autocommit mode, for rows other connections must see."""
    conn = psycopg.connect(domain_url, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()
