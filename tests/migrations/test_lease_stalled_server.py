"""The lease lock against a stalled server (SIGSTOP: connections stay open, nothing answers), on a private server.

The heartbeat's statement gets no answer, the lease counts as lost once a ttl passed without a renewal, and
release() returns within its bound instead of waiting for the stuck heartbeat.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from tests.faults.servers import PrivateServer, missing_binaries_reason
from warp_repo.migrations import LeaseLock, MigrationLockLost

pytestmark = pytest.mark.skipif(
    missing_binaries_reason() is not None, reason=missing_binaries_reason() or "PostgreSQL binaries found"
)

SLACK = 4.0
"""Seconds allowed on top of a bound for scheduling on a loaded machine."""


@pytest.fixture
def server() -> Iterator[PrivateServer]:
    started = PrivateServer.create()
    try:
        yield started
    finally:
        started.close()


def test_a_stalled_server_loses_the_lease_within_a_ttl_and_release_is_bounded(server: PrivateServer) -> None:
    ttl = 3.0
    lock = LeaseLock(server.url(), ttl=ttl, heartbeat=0.5)
    lock.acquire()
    assert lock.held
    server.pause()
    try:
        time.sleep(ttl + 0.5)
        assert not lock.held
        assert lock.lost is not None and "no renewal succeeded for 3 s" in lock.lost
        started = time.monotonic()
        with pytest.raises(MigrationLockLost, match="lost while this run held it"):
            lock.release()
        released_in = time.monotonic() - started
    finally:
        server.resume()
    # At most the heartbeat's join bound (a third of the ttl, plus a second); the stuck renewal was cut.
    assert released_in < ttl / 3 + 1.0 + SLACK, released_in
    with psycopg.connect(server.url(), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM schema_migrations_lease").fetchone()
    assert row is not None and row[0] == 1  # not deleted by a holder that had lost it; it expires on its own
    successor = LeaseLock(server.url(), ttl=ttl, poll=0.1, timeout=ttl * 3)
    with successor:
        assert successor.held
