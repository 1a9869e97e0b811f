"""Failover: the primary is killed and the standby promoted during a stream of 1,000 writes.

The write pool is given both hosts (``target_session_attrs=read-write``), so new connections go to whichever
accepts writes. The standby is synchronous (``synchronous_standby_names``), so an acknowledged commit is on it
before the primary answers: every acknowledged write must be there, exactly once, after the promotion. Every
write that failed must say so with a typed error, and whether its outcome is unknown.
"""

from __future__ import annotations

import random
import threading
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
from warp_repo import Database, RetryPolicy
from warp_repo.errors import ConnectionLost, ConnectionUnavailable
from warp_repo.repos import LcrRateRepo

pytestmark = needs_private_servers

WRITES = 1000
KILL_AT = 300
PROMOTE_AFTER = 1.0
"""Seconds between the primary's death and the promotion (what an orchestrator takes to decide, shortened)."""
RECOVERY_BOUND = 30.0


@pytest.fixture(scope="module")
def pair(migrated_cluster: Path) -> Iterator[tuple[PrivateServer, PrivateServer]]:
    """A migrated primary and a synchronous hot standby."""
    primary = PrivateServer.copy_of(migrated_cluster)
    standby: PrivateServer | None = None
    try:
        standby = PrivateServer.standby_of(primary)
        # Set on the primary only, after the copy: the promoted standby must not wait for a standby of its own.
        with psycopg.connect(primary.url(), autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
            conn.execute("SELECT pg_reload_conf()")
            deadline = time.monotonic() + 30
            while conn.execute("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'").fetchone() != (1,):
                assert time.monotonic() < deadline, "the standby never became synchronous"
                time.sleep(0.05)
        yield primary, standby
    finally:
        if standby is not None:
            standby.close()
        primary.close()


def test_every_acknowledged_write_survives_a_failover_exactly_once(pair: tuple[PrivateServer, PrivateServer]) -> None:
    primary, standby = pair
    url = (
        f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/warp?target_session_attrs=read-write"
    )
    reached = threading.Event()
    killed_at: list[float] = []

    def fail_over() -> None:
        reached.wait(60)
        time.sleep(random.uniform(0, 0.005))
        primary.kill()
        killed_at.append(time.monotonic())
        time.sleep(PROMOTE_AFTER)
        standby.promote()

    orchestrator = threading.Thread(target=fail_over, name="failover")
    orchestrator.start()
    acknowledged: list[uuid.UUID] = []
    failed: list[tuple[uuid.UUID, ConnectionLost | ConnectionUnavailable]] = []
    recovered_at: float | None = None
    policy = RetryPolicy(retries=3, base_delay=0.05, max_delay=0.5)
    with Database(url, max_size=4, timeout=5, connect_timeout=2, statement_timeout=5, name="failover") as db:
        for i in range(WRITES):
            key = uuid.uuid4()
            create = LcrRateCreate(
                id=key, prefix=str(5_000_000 + i), rate=Decimal("0.05"), effective_date=date(2026, 4, 1)
            )
            if i == KILL_AT:
                reached.set()

            def write(conn: psycopg.Connection[Any], create: LcrRateCreate = create) -> None:
                LcrRateRepo(conn).insert(create)

            try:
                db.transaction(write, policy=policy)
            except (ConnectionLost, ConnectionUnavailable) as exc:
                failed.append((key, exc))
                continue
            acknowledged.append(key)
            if killed_at and recovered_at is None:
                recovered_at = time.monotonic()
    orchestrator.join(60)

    with psycopg.connect(standby.url("warp"), connect_timeout=5) as conn:
        row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        assert row == (False,), "the standby was promoted"
        counts: dict[uuid.UUID, int] = dict(
            conn.execute(
                "SELECT id, count(*) FROM lcr_rates WHERE id = ANY(%s) GROUP BY id",
                ([*acknowledged, *(key for key, _ in failed)],),
            ).fetchall()
        )
    assert killed_at and recovered_at is not None, "the stream went on after the failover"
    recovery = recovered_at - killed_at[0]
    lost = [key for key in acknowledged if counts.get(key) != 1]
    assert lost == [], f"{len(lost)} acknowledged writes missing or doubled"
    unknown = [key for key, exc in failed if isinstance(exc, ConnectionLost) and exc.committed is None]
    not_committed = [key for key, exc in failed if key not in unknown]
    assert [key for key in not_committed if counts.get(key)] == [], "a write reported as not committed is stored"
    assert len(acknowledged) + len(failed) == WRITES
    assert recovery < RECOVERY_BOUND, recovery
    # The figures docs/scale-out.md quotes (shown with pytest -s).
    print(
        f"\nfailover: {len(acknowledged)} acknowledged, {len(failed)} failed "
        f"({len(unknown)} with an unknown outcome, {len([k for k in unknown if counts.get(k)])} of them committed), "
        f"first write acknowledged {recovery:.2f} s after the kill (promotion at {PROMOTE_AFTER:g} s)"
    )
