"""A stalled server (SIGSTOP: connections stay open, nothing answers) and slow statements: every call is bounded.

Each test ends in a typed error within its bound (generous: it proves that nothing waits forever, it is not a
benchmark) and leaves no pool thread behind.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.faults.conftest import needs_private_servers, pool_threads
from tests.faults.servers import PrivateServer
from warp_models import LcrRateCreate
from warp_repo import AsyncDatabase, Database
from warp_repo.errors import ConnectionLost, ConnectionUnavailable, OperatorIntervention, StatementTimeout
from warp_repo.repos import AsyncLcrRateRepo, LcrRateRepo

pytestmark = needs_private_servers

CONNECT = 2
STATEMENT = 1.0
SLACK = 4.0
"""Seconds allowed on top of a bound for scheduling, the pool's own steps and a loaded machine."""


def rate(description: str, prefix: str = "1999") -> LcrRateCreate:
    return LcrRateCreate(prefix=prefix, rate=Decimal("0.02"), effective_date=date(2026, 2, 1), description=description)


def database(server: PrivateServer, name: str, **options: Any) -> Database:
    settings: dict[str, Any] = {
        "max_size": 2,
        "timeout": 3.0,
        "connect_timeout": CONNECT,
        "statement_timeout": STATEMENT,
        "name": name,
    }
    return Database(server.url("warp"), **(settings | options))


def stalled_call(db: Database, server: PrivateServer, description: str, lent: list[psycopg.Connection[Any]]) -> None:
    """Write, stall the server, then call the repository again on the same lent connection."""
    with db.connection() as conn:
        lent.append(conn)
        LcrRateRepo(conn).insert(rate(description))
        server.pause()
        LcrRateRepo(conn).count()


def stalled_commit(db: Database, server: PrivateServer, description: str) -> None:
    """Write, then stall the server just before the block's COMMIT."""
    with db.connection() as conn:
        LcrRateRepo(conn).insert(rate(description))
        server.pause()


def test_opening_a_database_on_a_stalled_server_fails_in_time_and_leaves_no_thread(running: PrivateServer) -> None:
    db = database(running, "stalled-open")
    running.pause()
    started = time.monotonic()
    with pytest.raises(ConnectionUnavailable, match="connect_timeout"):
        db.open()
    elapsed = time.monotonic() - started
    assert elapsed < 3.0 + CONNECT + 2.0, elapsed  # the pool's wait, then its worker's last connect attempt
    assert pool_threads("stalled-open") == []


def test_a_repository_call_on_a_lent_connection_of_a_stalled_server_is_connection_lost_in_time(
    running: PrivateServer,
) -> None:
    with database(running, "stalled-call") as db:
        assert pool_threads("stalled-call") != [], "the pool's threads are found by its name"
        lent: list[psycopg.Connection[Any]] = []
        started = time.monotonic()
        with pytest.raises(ConnectionLost) as raised:
            stalled_call(db, running, "stalled-call", lent)
        elapsed = time.monotonic() - started
        assert elapsed < STATEMENT + CONNECT + SLACK, elapsed
        assert raised.value.committed is False
        assert "within 3 s" in str(raised.value)
        assert lent[0].closed, "a connection that stopped answering is closed, never lent again"
        running.resume()
        with db.connection() as conn:
            assert LcrRateRepo(conn).count() >= 0
    assert pool_threads("stalled-call") == []
    with psycopg.connect(running.url("warp")) as check:
        row = check.execute("SELECT count(*) FROM lcr_rates WHERE description = 'stalled-call'").fetchone()
    assert row == (0,)


def test_a_server_stalled_during_commit_leaves_the_outcome_unknown(running: PrivateServer) -> None:
    with database(running, "stalled-commit") as db:
        started = time.monotonic()
        with pytest.raises(ConnectionLost) as raised:
            stalled_commit(db, running, "stalled-commit")
        assert time.monotonic() - started < STATEMENT + CONNECT + SLACK
        assert raised.value.committed is None
        assert raised.value.outcome_unknown
        running.resume()
    assert pool_threads("stalled-commit") == []


def test_transaction_never_runs_again_a_unit_of_work_whose_commit_got_no_answer(running: PrivateServer) -> None:
    attempts: list[int] = []

    def unit(conn: psycopg.Connection[Any]) -> None:
        attempts.append(1)
        LcrRateRepo(conn).insert(rate("unknown-commit"))
        running.pause()

    with database(running, "stalled-tx") as db:
        with pytest.raises(ConnectionLost) as raised:
            db.transaction(unit)
        running.resume()
    assert raised.value.committed is None
    assert attempts == [1], "an outcome that is unknown is never retried"


def test_lending_from_a_stalled_server_is_connection_unavailable_in_time(running: PrivateServer) -> None:
    with database(running, "stalled-lend") as db:
        running.pause()
        started = time.monotonic()
        with pytest.raises(ConnectionUnavailable), db.connection():
            pass
        assert time.monotonic() - started < 3.0 + CONNECT + SLACK
        running.resume()
    assert pool_threads("stalled-lend") == []


def test_a_statement_past_statement_timeout_is_a_statement_timeout(running: PrivateServer) -> None:
    with database(running, "slow") as db:
        with db.connection() as holder:
            LcrRateRepo(holder).insert(rate("locked", prefix="1888"))
        with db.connection() as holder:
            # A second session holds the row's lock, so the repository's update waits on it.
            row = LcrRateRepo(holder).list(LcrRateRepo.c.description == "locked")[0]
            holder.execute("SELECT 1 FROM lcr_rates WHERE id = %s FOR UPDATE", (row.id,))
            started = time.monotonic()
            with pytest.raises(StatementTimeout) as raised, db.connection() as conn:
                LcrRateRepo(conn).delete(row.id)
            elapsed = time.monotonic() - started
        assert isinstance(raised.value, OperatorIntervention) and raised.value.sqlstate == "57014"
        assert elapsed < STATEMENT + SLACK, elapsed
        with db.connection() as conn:  # the connection was only rolled back: it is lent again, usable
            assert LcrRateRepo(conn).count() >= 1
    assert pool_threads("slow") == []


def test_the_async_database_is_bounded_the_same_way(running: PrivateServer) -> None:
    async def scenario() -> tuple[float, bool | None]:
        async with AsyncDatabase(
            running.url("warp"), max_size=2, timeout=3, connect_timeout=CONNECT, statement_timeout=STATEMENT
        ) as db:
            try:
                async with db.connection() as conn:
                    await AsyncLcrRateRepo(conn).insert(rate("async-stalled"))
                    running.pause()
                    started = time.monotonic()
                    await AsyncLcrRateRepo(conn).count()
            except ConnectionLost as lost:
                return time.monotonic() - started, lost.committed
            finally:
                running.resume()
        raise AssertionError("the call on a stalled server returned")

    elapsed, committed = asyncio.run(scenario())
    assert elapsed < STATEMENT + CONNECT + SLACK, elapsed
    assert committed is False
