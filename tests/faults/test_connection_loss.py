"""A server killed (SIGKILL) or restarted under the SDK: a typed ``ConnectionLost`` that says what committed.

Every test ends in a typed error within a bound (a generous one: it checks that nothing waits forever, it is not
a benchmark), then checks what the database holds afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.faults.conftest import needs_private_servers
from tests.faults.servers import PrivateServer
from warp_models import LcrRateCreate
from warp_repo import Database, transaction
from warp_repo.errors import ConnectionLost, ConnectionUnavailable
from warp_repo.repos import LcrRateRepo

pytestmark = needs_private_servers

BOUND = 15.0
"""Seconds within which every failure here must surface (the timeouts used are 2-3 s)."""


def rates(description: str, count: int, *, then: Any = None, at: int = -1) -> Iterator[LcrRateCreate]:
    """``count`` rates described ``description``; ``then()`` is called just before row ``at`` is produced."""
    for i in range(count):
        if i == at:
            then()
        yield LcrRateCreate(
            prefix=str(10_000_000 + i), rate=Decimal("0.0100"), effective_date=date(2026, 1, 1), description=description
        )


def stored(server: PrivateServer, description: str) -> int:
    with psycopg.connect(server.url("warp"), connect_timeout=5) as conn:
        row = conn.execute("SELECT count(*) FROM lcr_rates WHERE description = %s", (description,)).fetchone()
    assert row is not None
    return int(row[0])


def database(server: PrivateServer, **options: Any) -> Database:
    return Database(
        server.url("warp"), max_size=2, timeout=3, connect_timeout=2, statement_timeout=2, name="faults", **options
    )


def test_a_server_killed_during_copy_in_is_connection_lost_and_nothing_of_the_batch_stays(
    running: PrivateServer,
) -> None:
    with database(running) as db:
        started = time.monotonic()
        with pytest.raises(ConnectionLost) as raised, db.connection() as conn:
            LcrRateRepo(conn).copy_in(rates("killed-copy", 200_000, then=running.kill, at=120_000))
        elapsed = time.monotonic() - started
    assert raised.value.committed is False, "it broke before COMMIT: known not to have committed"
    assert not raised.value.outcome_unknown
    assert isinstance(raised.value.__cause__, psycopg.Error)
    assert elapsed < BOUND + 30, elapsed  # 120,000 rows are streamed first
    running.start()
    assert stored(running, "killed-copy") == 0


def test_copy_in_on_a_connection_of_its_own_is_connection_lost_too(running: PrivateServer) -> None:
    with psycopg.connect(running.url("warp"), connect_timeout=5) as conn:
        with pytest.raises(ConnectionLost) as raised:
            LcrRateRepo(conn).copy_in(rates("killed-raw-copy", 50_000, then=running.kill, at=20_000))
        # Outside a Database block the repository cannot know whether the caller's transaction was to commit.
        assert raised.value.committed is None
    running.start()
    assert stored(running, "killed-raw-copy") == 0


def test_a_server_killed_under_a_lent_connection_is_connection_lost_and_the_pool_recovers(
    running: PrivateServer,
) -> None:
    started: list[float] = []

    def killed_under(db: Database) -> None:
        with db.connection() as conn:
            LcrRateRepo(conn).insert(next(rates("killed-lent", 1)))
            running.kill()
            running.start()
            started.append(time.monotonic())
            LcrRateRepo(conn).count()

    with database(running) as db:
        with pytest.raises(ConnectionLost) as raised:
            killed_under(db)
        assert time.monotonic() - started[0] < BOUND
        assert raised.value.committed is False
        with db.connection() as conn:  # the broken connection was discarded, a new one is lent and works
            LcrRateRepo(conn).insert(next(rates("after-the-kill", 1)))
    assert stored(running, "killed-lent") == 0
    assert stored(running, "after-the-kill") == 1


def test_a_restart_ends_lent_sessions_with_connection_lost_57p01(running: PrivateServer) -> None:
    def stopped_under(db: Database) -> None:
        with db.connection() as conn:
            LcrRateRepo(conn).insert(next(rates("restarted", 1)))
            running.stop()
            LcrRateRepo(conn).count()

    with database(running) as db:
        with pytest.raises(ConnectionLost) as raised:
            stopped_under(db)
        assert raised.value.sqlstate == "57P01"
        assert raised.value.committed is False
        started = time.monotonic()
        with pytest.raises(ConnectionUnavailable), db.connection():
            pass
        assert time.monotonic() - started < BOUND
        running.start()
        # The pool reconnects in the background with a growing backoff (1 s, doubling): a lend may still find
        # nothing for a while after the restart, and succeeds within the bound.
        started = time.monotonic()
        while True:
            try:
                with db.connection() as conn:
                    LcrRateRepo(conn).insert(next(rates("after-restart", 1)))
                break
            except ConnectionUnavailable:
                assert time.monotonic() - started < BOUND, "the pool did not recover from the restart"
    assert stored(running, "restarted") == 0
    assert stored(running, "after-restart") == 1


def test_transaction_runs_again_a_unit_of_work_lost_before_commit(running: PrivateServer) -> None:
    attempts: list[int] = []

    def unit(conn: psycopg.Connection[Any]) -> None:
        attempts.append(1)
        LcrRateRepo(conn).insert(next(rates("retried", 1)))
        if len(attempts) == 1:
            running.kill()
            running.start()
            LcrRateRepo(conn).count()

    with database(running) as db:
        db.transaction(unit)
    assert len(attempts) == 2
    assert stored(running, "retried") == 1


def test_transaction_on_a_bare_connection_cannot_run_again_and_says_so(running: PrivateServer) -> None:
    def unit(conn: psycopg.Connection[Any]) -> None:
        LcrRateRepo(conn).insert(next(rates("bare", 1)))
        running.kill()
        running.start()
        LcrRateRepo(conn).count()

    with psycopg.connect(running.url("warp"), connect_timeout=5) as conn, pytest.raises(ConnectionLost) as raised:
        transaction(conn, unit)
    assert raised.value.committed is False
    assert stored(running, "bare") == 0
