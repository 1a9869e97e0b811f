"""A private primary and hot standby (``pg_basebackup -R``): reads on the standby, read-your-writes, lag and loss.

``Database(primary, read_url=standby)`` as a service would configure it. Every fallback to the primary is checked
three ways: where the read ran (``pg_is_in_recovery()``), the log line, and ``read_fallbacks``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.faults.conftest import needs_private_servers
from tests.faults.servers import PrivateServer
from warp_models import LcrRateCreate
from warp_repo import Database
from warp_repo.errors import QueryError, TransactionStateError
from warp_repo.repos import LcrRateRepo

pytestmark = needs_private_servers

REPLICA_WAIT = 1.0
SLACK = 4.0


@pytest.fixture(scope="module")
def pair(migrated_cluster: Path) -> Iterator[tuple[PrivateServer, PrivateServer]]:
    """A migrated primary and its streaming hot standby, stopped and deleted at the end."""
    primary = PrivateServer.copy_of(migrated_cluster)
    standby: PrivateServer | None = None
    try:
        standby = PrivateServer.standby_of(primary)
        yield primary, standby
    finally:
        if standby is not None:
            standby.close()
        primary.close()


@pytest.fixture
def db(pair: tuple[PrivateServer, PrivateServer]) -> Iterator[Database]:
    primary, standby = pair
    with Database(
        primary.url("warp"),
        read_url=standby.url("warp"),
        max_size=3,
        timeout=5,
        connect_timeout=2,
        replica_wait=REPLICA_WAIT,
        name="replica",
    ) as database:
        yield database
    standby.ensure_running()
    with psycopg.connect(standby.url(), autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_resume()")


def rate(description: str) -> LcrRateCreate:
    return LcrRateCreate(prefix="1777", rate=Decimal("0.03"), effective_date=date(2026, 3, 1), description=description)


def seen(conn: psycopg.Connection[Any], description: str) -> tuple[bool, bool]:
    """(whether the rate is visible, whether this connection is on the standby)."""
    found = LcrRateRepo(conn).exists(LcrRateRepo.c.description == description)
    row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    assert row is not None
    return found, bool(row[0])


def test_reads_run_on_the_standby_read_only(db: Database) -> None:
    with db.read_connection() as conn:
        row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        assert row == (True,)
        with pytest.raises(TransactionStateError):
            LcrRateRepo(conn).insert(rate("never"))
    assert db.read_fallbacks == 0


def test_a_session_reads_its_own_write_on_the_standby(db: Database) -> None:
    description = f"ryw-{uuid.uuid4().hex[:8]}"
    session = db.session()
    assert session.token is None
    with session.connection() as conn:
        LcrRateRepo(conn).insert(rate(description))
    assert session.token is not None and "/" in session.token
    with session.read_connection() as conn:
        assert seen(conn, description) == (True, True), "read on the standby, after it replayed the commit"
    assert db.read_fallbacks == 0
    # The token is all a later request needs (a cookie, say).
    later = db.session(session.token)
    with later.read_connection() as conn:
        assert seen(conn, description) == (True, True)


def test_a_token_that_is_not_a_wal_position_is_refused(db: Database) -> None:
    with pytest.raises(QueryError, match="read-your-writes token"):
        db.session("0/0; DROP TABLE lcr_rates")
    with pytest.raises(QueryError), db.read_connection(after="yesterday"):
        pass


def test_transactions_of_a_session_carry_their_position_too(db: Database) -> None:
    description = f"ryw-tx-{uuid.uuid4().hex[:8]}"
    session = db.session()
    session.transaction(lambda conn: LcrRateRepo(conn).insert(rate(description)))
    assert session.token is not None
    with session.read_connection() as conn:
        assert seen(conn, description)[0]


def test_with_replay_paused_fresh_reads_go_to_the_primary_within_the_bound(
    db: Database, pair: tuple[PrivateServer, PrivateServer], caplog: pytest.LogCaptureFixture
) -> None:
    _, standby = pair
    with psycopg.connect(standby.url(), autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
    description = f"lag-{uuid.uuid4().hex[:8]}"
    session = db.session()
    with session.connection() as conn:
        LcrRateRepo(conn).insert(rate(description))
    with caplog.at_level(logging.WARNING, logger="warp_repo.database"):
        started = time.monotonic()
        with session.read_connection() as conn:
            elapsed = time.monotonic() - started
            assert seen(conn, description) == (True, False), "read on the primary"
    assert REPLICA_WAIT <= elapsed < REPLICA_WAIT + SLACK, elapsed
    assert db.read_fallbacks == 1
    assert any("had not replayed" in r.getMessage() for r in caplog.records)
    # A read that asks for nothing stays on the standby, where the write is not visible yet.
    with db.read_connection() as conn:
        assert seen(conn, description) == (False, True)


def test_with_the_standby_down_reads_fall_back_to_the_primary_with_a_log_line(
    db: Database, pair: tuple[PrivateServer, PrivateServer], caplog: pytest.LogCaptureFixture
) -> None:
    _, standby = pair
    standby.kill()
    with caplog.at_level(logging.WARNING, logger="warp_repo.database"):
        started = time.monotonic()
        with db.read_connection() as conn:
            elapsed = time.monotonic() - started
            row = conn.execute("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')").fetchone()
    assert row == (False, "on"), "a read-only read on the primary"
    assert elapsed < REPLICA_WAIT + SLACK, elapsed
    assert db.read_fallbacks == 1
    assert any("replica is unavailable" in r.getMessage() for r in caplog.records)
