"""The lease-row migration lock: exclusion, renewal while held, takeover only after a dead holder's lease expires."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from warp_models.errors import ConfigurationError, MigrationError
from warp_repo.migrations import (
    AdvisoryLock,
    LeaseLock,
    MigrationLock,
    MigrationLockLost,
    default_lock,
    migrate,
)

from .testkit import scalar, write_migration

HOLDER = textwrap.dedent(
    """
    import sys, time
    from warp_repo.migrations import LeaseLock

    lock = LeaseLock(sys.argv[1], ttl=float(sys.argv[2]), heartbeat=0.3)
    lock.acquire()
    print(lock.holder, flush=True)
    time.sleep(600)
    """
)


def _lease(url: str) -> tuple[str, dt.datetime, dt.datetime, dt.datetime]:
    """holder, acquired_at, expires_at, and the server's now()."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT holder, acquired_at, expires_at, now() FROM schema_migrations_lease WHERE name = 'migrations'"
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3]


def test_a_lease_excludes_a_second_holder_until_released(empty_admin_url: str) -> None:
    with LeaseLock(empty_admin_url, ttl=5) as first:
        assert first.held and _lease(empty_admin_url)[0] == first.holder
        second = LeaseLock(empty_admin_url, ttl=5, poll=0.05, timeout=0.3)
        with pytest.raises(MigrationError, match="migration lease"):
            second.acquire()
        assert not second.held
    assert scalar(empty_admin_url, "SELECT count(*) FROM schema_migrations_lease") == 0
    with LeaseLock(empty_admin_url, ttl=5, timeout=0.3) as third:
        assert third.held


def test_the_heartbeat_keeps_a_live_holders_lease_past_its_ttl(empty_admin_url: str) -> None:
    with LeaseLock(empty_admin_url, ttl=1, heartbeat=0.2) as holder:
        first_expiry = _lease(empty_admin_url)[2]
        contender = LeaseLock(empty_admin_url, ttl=1, poll=0.05, timeout=2.5)
        with pytest.raises(MigrationError):
            contender.acquire()  # 2.5 ttls passed: only renewals kept the lease
        assert holder.held
        assert _lease(empty_admin_url)[2] > first_expiry + dt.timedelta(seconds=1.5)


def test_a_killed_holders_lease_is_taken_over_after_it_expires_never_before(empty_admin_url: str) -> None:
    ttl = 3.0
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, empty_admin_url, str(ttl)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        dead_holder = process.stdout.readline().strip()
        assert dead_holder, "the holder process did not take the lease"
        time.sleep(ttl)  # longer than the ttl: the holder's heartbeat renews it
        holder, _, expires_before_kill, _ = _lease(empty_admin_url)
        assert holder == dead_holder
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    _, _, expires, now = _lease(empty_admin_url)
    assert expires >= expires_before_kill and expires > now  # still valid right after the kill

    early = LeaseLock(empty_admin_url, ttl=ttl, poll=0.05, timeout=0.5)
    with pytest.raises(MigrationError):
        early.acquire()
    successor = LeaseLock(empty_admin_url, ttl=ttl, poll=0.05, timeout=ttl * 3)
    started = time.monotonic()
    successor.acquire()
    try:
        waited = time.monotonic() - started
        holder, acquired_at, _, _ = _lease(empty_admin_url)
        assert holder == successor.holder
        assert acquired_at >= expires  # taken over after the dead holder's lease expired, by the server's clock
        assert waited < ttl * 2
    finally:
        successor.release()


def test_migrate_uses_the_lock_the_setting_names(
    empty_admin_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_migration(tmp_path, "20261122_001", "one", "CREATE TABLE one (id INT);", "DROP TABLE one;")
    write_migration(tmp_path, "20261122_002", "two", "CREATE TABLE two (id INT);", "DROP TABLE two;")
    monkeypatch.delenv("WARP_MIGRATION_LOCK", raising=False)
    with LeaseLock(empty_admin_url, ttl=5):
        # The advisory lock (the default) knows nothing of the lease.
        assert migrate(empty_admin_url, migrations_dir=tmp_path, target="20261122_001").versions == ["20261122_001"]
        monkeypatch.setenv("WARP_MIGRATION_LOCK", "lease")
        outcome: list[list[str]] = []
        waiter = threading.Thread(
            target=lambda: outcome.append(migrate(empty_admin_url, migrations_dir=tmp_path).versions)
        )
        waiter.start()
        time.sleep(1.0)
        assert waiter.is_alive() and outcome == []
        assert scalar(empty_admin_url, "SELECT to_regclass('two') IS NULL")
    waiter.join(timeout=15)
    assert outcome == [["20261122_002"]]
    assert scalar(empty_admin_url, "SELECT count(*) FROM schema_migrations_lease") == 0


def test_default_lock_reads_the_setting(empty_admin_url: str) -> None:
    assert isinstance(default_lock(empty_admin_url, {}), AdvisoryLock)
    assert isinstance(default_lock(empty_admin_url, {"WARP_MIGRATION_LOCK": "advisory"}), AdvisoryLock)
    assert isinstance(default_lock(empty_admin_url, {"WARP_MIGRATION_LOCK": " Lease "}), LeaseLock)
    with pytest.raises(ConfigurationError, match="WARP_MIGRATION_LOCK='redis'"):
        default_lock(empty_admin_url, {"WARP_MIGRATION_LOCK": "redis"})
    assert isinstance(LeaseLock(empty_admin_url), MigrationLock)


@pytest.mark.parametrize(("ttl", "heartbeat"), [(0, None), (5, 5), (5, 0), (-1, 1)])
def test_a_lease_needs_a_heartbeat_shorter_than_its_ttl(
    empty_admin_url: str, ttl: float, heartbeat: float | None
) -> None:
    with pytest.raises(ConfigurationError):
        LeaseLock(empty_admin_url, ttl=ttl, heartbeat=heartbeat)


def test_a_lease_taken_over_mid_run_stops_the_run_before_the_next_migration(
    empty_admin_url: str, tmp_path: Path
) -> None:
    # The first migration takes the lease over as another run would (a direct UPDATE of the row), then works on
    # while the heartbeat finds the row gone.
    steal = (
        "UPDATE schema_migrations_lease SET holder = 'another run', expires_at = now() + INTERVAL '1 hour';\n"
        "SELECT pg_sleep(1.0);"
    )
    write_migration(tmp_path, "20261122_001", "steal", steal, "SELECT 1;", no_transaction=True)
    write_migration(tmp_path, "20261122_002", "two", "CREATE TABLE two (id INT);", "DROP TABLE two;")
    lock = LeaseLock(empty_admin_url, ttl=5, heartbeat=0.2)
    with pytest.raises(MigrationLockLost, match=r"before applying .*20261122_002.*another run took it over") as info:
        migrate(empty_admin_url, migrations_dir=tmp_path, lock=lock)
    assert (info.value.version, info.value.path) == ("20261122_002", next(tmp_path.rglob("20261122_002_*.sql")))
    assert scalar(empty_admin_url, "SELECT to_regclass('two') IS NULL")  # stopped before the next migration
    assert scalar(empty_admin_url, "SELECT success FROM schema_migrations WHERE version = '20261122_001'") is True
    assert not lock.held
    assert _lease(empty_admin_url)[0] == "another run"  # release left the other run's row alone


def test_a_heartbeat_that_cannot_renew_for_a_ttl_loses_the_lease_and_stops_the_run(
    empty_admin_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_migration(tmp_path, "20261122_001", "slow", "SELECT pg_sleep(2.5);", "SELECT 1;")
    write_migration(tmp_path, "20261122_002", "two", "CREATE TABLE two (id INT);", "DROP TABLE two;")
    lock = LeaseLock(empty_admin_url, ttl=1.5, heartbeat=0.3)
    lock.acquire()
    caplog.set_level(logging.WARNING, logger="warp_repo.migrations")
    with psycopg.connect(empty_admin_url) as blocker:
        # A transaction that keeps the lease row locked: every renewal waits on it (as on a stalled server).
        blocker.execute("SELECT * FROM schema_migrations_lease FOR UPDATE")
        started = time.monotonic()
        with pytest.raises(MigrationLockLost, match=r"before applying .*20261122_002.*no renewal succeeded for 1.5 s"):
            migrate(empty_admin_url, migrations_dir=tmp_path, lock=lock)
        elapsed = time.monotonic() - started
        blocker.rollback()
    assert elapsed < 2.5 + 4.0, elapsed  # the release did not wait for the blocked renewal
    assert scalar(empty_admin_url, "SELECT to_regclass('two') IS NULL")
    assert not lock.held
    timeouts = [r for r in caplog.records if r.exc_info and getattr(r.exc_info[1], "sqlstate", None) == "57014"]
    assert timeouts, "each renewal is bounded by the lock connection's statement_timeout (a third of the ttl)"


def test_a_lease_still_held_at_the_end_is_released_without_error(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "slow", "SELECT pg_sleep(2.0);", "SELECT 1;")
    write_migration(tmp_path, "20261122_002", "two", "CREATE TABLE two (id INT);", "DROP TABLE two;")
    lock = LeaseLock(empty_admin_url, ttl=1.5, heartbeat=0.2)
    assert migrate(empty_admin_url, migrations_dir=tmp_path, lock=lock).versions == ["20261122_001", "20261122_002"]
    assert not lock.held
    assert scalar(empty_admin_url, "SELECT count(*) FROM schema_migrations_lease") == 0


SERIALIZATION_FAILURES = """
CREATE SEQUENCE lease_attempts;
CREATE FUNCTION lease_conflict() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('lease_attempts') <= {failures} THEN
        RAISE EXCEPTION 'restart transaction: contention' USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER lease_conflict BEFORE INSERT ON schema_migrations_lease
    FOR EACH ROW EXECUTE FUNCTION lease_conflict();
"""


@pytest.mark.parametrize("failures", [2, 1_000_000])
def test_serialization_failures_while_taking_the_lease_are_tried_again(empty_admin_url: str, failures: int) -> None:
    with LeaseLock(empty_admin_url, ttl=5):
        pass  # creates the table
    with psycopg.connect(empty_admin_url, autocommit=True) as conn:
        conn.execute(SERIALIZATION_FAILURES.format(failures=failures).encode())
    lock = LeaseLock(empty_admin_url, ttl=5, poll=0.05, timeout=1.0)
    if failures == 2:
        with lock:
            assert lock.held
            assert scalar(empty_admin_url, "SELECT last_value FROM lease_attempts") == 3
    else:
        with pytest.raises(MigrationError, match="migration lease for over 1.0 s"):
            lock.acquire()  # contention that never ends: a typed error once the timeout ran out
        assert not lock.held


def test_the_lease_keeps_the_connection_options_it_was_given(empty_admin_url: str) -> None:
    with psycopg.connect(empty_admin_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA leases")
    url = make_conninfo(empty_admin_url, options="-c search_path=leases")
    with LeaseLock(url, ttl=5) as lock:
        assert lock.held
        assert scalar(empty_admin_url, "SELECT count(*) FROM leases.schema_migrations_lease") == 1
        assert scalar(empty_admin_url, "SELECT to_regclass('public.schema_migrations_lease') IS NULL")


def _create_lease_tables_at_once(url: str, runs: int) -> list[BaseException]:
    """``runs`` locks create the lease table at the same instant; the errors they raised."""
    start = threading.Barrier(runs)
    failures: list[BaseException] = []

    def create() -> None:
        lock = LeaseLock(url)
        with psycopg.connect(url, autocommit=True) as conn:
            start.wait()
            try:
                lock._ensure_table(conn)
            except BaseException as exc:
                failures.append(exc)

    threads = [threading.Thread(target=create) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_runs_creating_the_lease_table_at_the_same_instant_all_get_it(empty_admin_url: str) -> None:
    """Eight locks create the missing table at once, ten times over: every one gets it, whichever of the table's
    name, its row type (42710) or its index the losers collide on."""
    for _ in range(10):
        with psycopg.connect(empty_admin_url, autocommit=True) as admin:
            admin.execute("DROP TABLE IF EXISTS schema_migrations_lease")
        assert _create_lease_tables_at_once(empty_admin_url, 8) == []
        assert scalar(empty_admin_url, "SELECT count(*) FROM pg_class WHERE relname = 'schema_migrations_lease'") == 1
