"""Database: pooled connections that are checked, reset when returned, read-only for reads, bounded in waiting."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors

from warp_models import OrganizationCreate
from warp_models.errors import ConfigurationError
from warp_repo._core.database_async import AsyncDatabase
from warp_repo._core.database_sync import Database
from warp_repo._core.retry import RetryPolicy
from warp_repo._settings import Timeouts, resolve_timeouts
from warp_repo.errors import ConnectionUnavailable, TransactionStateError
from warp_repo.repos import AsyncOrganizationRepo, OrganizationRepo


def committed(admin_url: str, name: str) -> int:
    """How many organizations named ``name`` are stored (read as the superuser: every organization's row)."""
    with psycopg.connect(admin_url) as conn:
        row = conn.execute("SELECT count(*) FROM organizations WHERE name = %s", (name,)).fetchone()
        assert row is not None
        return int(row[0])


def test_a_connection_block_is_the_unit_of_work(database_url: str, admin_url: str) -> None:
    name, failed = f"db-{uuid.uuid4().hex[:8]}", f"db-failed-{uuid.uuid4().hex[:8]}"
    with Database(database_url, max_size=2, timeout=5) as db:
        with db.connection() as conn:
            OrganizationRepo(conn).insert(OrganizationCreate(name=name))

        def failing_unit() -> None:
            with db.connection() as conn:
                OrganizationRepo(conn).insert(OrganizationCreate(name=failed))
                raise RuntimeError("the unit of work failed")

        with pytest.raises(RuntimeError):
            failing_unit()
    assert committed(admin_url, name) == 1
    assert committed(admin_url, failed) == 0


def test_sessions_run_in_utc_and_are_reset_when_returned(database_url: str) -> None:
    with Database(database_url, min_size=1, max_size=1, timeout=5) as db:
        with db.connection() as conn:
            first_pid = conn.info.backend_pid
            conn.execute("SELECT set_config('warp.org_id', %s, false)", (str(uuid.uuid4()),))  # session-wide
            conn.execute("SET search_path TO nowhere")
            conn.execute("SET TimeZone TO 'Asia/Tokyo'")
        with db.connection() as conn:
            assert conn.info.backend_pid == first_pid, "the same pooled connection"
            row = conn.execute(
                "SELECT current_setting('warp.org_id', true), current_setting('search_path'), "
                "current_setting('TimeZone')"
            ).fetchone()
    assert row is not None
    assert row[0] in (None, "")
    assert row[1] == '"$user", public'
    assert row[2] == "UTC"


def test_reads_are_read_only(database_url: str) -> None:
    with (
        Database(database_url, read_url=database_url, max_size=1, timeout=5) as db,
        db.read_connection() as conn,
        pytest.raises(TransactionStateError) as refused,
    ):
        OrganizationRepo(conn).insert(OrganizationCreate(name="nope"))
    assert isinstance(refused.value.__cause__, pg_errors.ReadOnlySqlTransaction)
    with Database(database_url, max_size=1, timeout=5) as db:
        with db.read_connection() as conn:
            assert conn.execute("SELECT count(*) FROM organizations").fetchone() is not None
            with pytest.raises(TransactionStateError) as refused:
                OrganizationRepo(conn).insert(OrganizationCreate(name="nope"))
            assert isinstance(refused.value.__cause__, pg_errors.ReadOnlySqlTransaction)
        with db.connection() as conn:
            assert conn.read_only is False, "the write pool's connection is writable again"


def test_waiting_for_a_connection_is_bounded_and_says_why(database_url: str) -> None:
    with Database(database_url, max_size=1, timeout=0.3) as db, db.connection():
        started = time.perf_counter()
        with pytest.raises(ConnectionUnavailable, match="max_size=1") as raised, db.connection():
            pass
        assert time.perf_counter() - started < 5
        assert raised.value.__cause__ is not None


def test_a_broken_connection_is_replaced_before_it_is_lent(database_url: str, admin_url: str) -> None:
    with Database(database_url, min_size=1, max_size=1, timeout=5) as db:
        with db.connection() as conn:
            pid = conn.info.backend_pid
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.1)
        with db.connection() as conn:
            assert conn.info.backend_pid != pid
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_database_transactions_are_retried(database_url: str, admin_url: str) -> None:
    name = f"db-tx-{uuid.uuid4().hex[:8]}"
    attempts: list[int] = []

    def unit(conn: psycopg.Connection[Any]) -> None:
        attempts.append(1)
        OrganizationRepo(conn).insert(OrganizationCreate(name=name))
        if len(attempts) == 1:
            conn.execute("DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '40001'; END $$")

    with Database(database_url, max_size=1, timeout=5) as db:
        db.transaction(unit, policy=RetryPolicy(base_delay=0.001, max_delay=0.01))
    assert len(attempts) == 2
    assert committed(admin_url, name) == 1


def test_the_async_database_behaves_the_same(database_url: str, admin_url: str) -> None:
    name = f"adb-{uuid.uuid4().hex[:8]}"

    async def scenario() -> tuple[bool, str | None]:
        async with AsyncDatabase(database_url, read_url=database_url, max_size=1, timeout=0.3) as db:
            async with db.connection() as conn:
                await AsyncOrganizationRepo(conn).insert(OrganizationCreate(name=name))
                try:
                    async with db.connection():
                        pass
                except ConnectionUnavailable:
                    exhausted = True
                else:
                    exhausted = False
            async with db.read_connection() as conn:
                row = await (await conn.execute("SELECT current_setting('transaction_read_only')")).fetchone()
            return exhausted, row[0] if row else None

    assert asyncio.run(scenario()) == (True, "on")
    assert committed(admin_url, name) == 1


def test_timeouts_come_from_the_argument_then_the_environment_then_the_defaults(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_timeouts(environ={}) == Timeouts(connect=5.0, statement=30.0)
    env = {"WARP_DB_CONNECT_TIMEOUT": "3", "WARP_DB_STATEMENT_TIMEOUT": "0"}
    assert resolve_timeouts(environ=env) == Timeouts(connect=3.0, statement=None)
    assert resolve_timeouts(7, 1.5, environ=env) == Timeouts(connect=7.0, statement=1.5)
    with pytest.raises(ConfigurationError, match="WARP_DB_STATEMENT_TIMEOUT"):
        resolve_timeouts(environ={"WARP_DB_STATEMENT_TIMEOUT": "soon"})
    with pytest.raises(ConfigurationError, match="above 0"):
        resolve_timeouts(0)
    monkeypatch.setenv("WARP_DB_STATEMENT_TIMEOUT", "4.5")
    with Database(database_url, max_size=1, timeout=5, connect_timeout=1) as db, db.connection() as conn:
        row = conn.execute("SELECT current_setting('statement_timeout')").fetchone()
    assert row == ("4500ms",)
    assert (db.connect_timeout, db.statement_timeout) == (2, 4.5), "libpq counts connect_timeout from 2 s"
    with Database(database_url, max_size=1, timeout=5, statement_timeout=0) as db, db.connection() as conn:
        row = conn.execute("SELECT current_setting('statement_timeout')").fetchone()
    assert row == ("0",)
