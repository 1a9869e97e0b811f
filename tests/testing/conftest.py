"""Fixtures of the test-data tests: a migrated database, and ``pytester`` for running the plugin in a subprocess."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def migrated_url(create_migrated_database: Callable[[], str]) -> str:
    """A migrated database shared by the tests of one module."""
    return create_migrated_database()


@pytest.fixture
def admin(migrated_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection as the server's administrator, in a transaction rolled back after the test."""
    with psycopg.connect(migrated_url) as conn:
        try:
            yield conn
        finally:
            conn.rollback()
