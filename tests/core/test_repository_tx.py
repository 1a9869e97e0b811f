"""transaction(): a unit of work that loses a race is run again, from BEGIN, and committed exactly once."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from warp_models import OrganizationCreate, RoutingRuleCreate
from warp_repo._core.database_async import async_transaction
from warp_repo._core.database_sync import transaction
from warp_repo._core.retry import RetryPolicy, is_retryable
from warp_repo.errors import QueryError, SerializationFailure, translating
from warp_repo.repos import AsyncOrganizationRepo, OrganizationRepo, RoutingRuleRepo

FAST = RetryPolicy(retries=5, base_delay=0.001, max_delay=0.01)
INJECT_40001 = "DO $$ BEGIN RAISE EXCEPTION 'injected conflict' USING ERRCODE = '40001'; END $$"


def committed(admin_url: str, name: str) -> int:
    """How many organizations named ``name`` are stored (read as the superuser: every organization's row)."""
    with psycopg.connect(admin_url) as conn:
        row = conn.execute("SELECT count(*) FROM organizations WHERE name = %s", (name,)).fetchone()
        assert row is not None
        return int(row[0])


def test_a_unit_of_work_failing_twice_succeeds_on_the_third_try_and_writes_once(
    database_url: str, admin_url: str
) -> None:
    name = f"retried-{uuid.uuid4().hex[:8]}"
    attempts: list[int] = []

    def unit(conn: psycopg.Connection[Any]) -> uuid.UUID:
        attempts.append(len(attempts) + 1)
        org = OrganizationRepo(conn).insert(OrganizationCreate(name=name))
        if len(attempts) < 3:
            conn.execute(INJECT_40001)  # a real 40001 from the server, after the row was written
        return org.id

    with psycopg.connect(database_url) as conn:
        org_id = transaction(conn, unit, policy=FAST)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert attempts == [1, 2, 3]
    assert committed(admin_url, name) == 1
    with psycopg.connect(database_url) as conn:
        assert OrganizationRepo(conn).for_org(org_id).get_one(org_id).name == name


def test_the_sdks_own_serialization_failure_is_retried_too(database_url: str, admin_url: str) -> None:
    name = f"translated-{uuid.uuid4().hex[:8]}"
    attempts: list[int] = []

    def unit(conn: psycopg.Connection[Any]) -> None:
        attempts.append(1)
        OrganizationRepo(conn).insert(OrganizationCreate(name=name))
        if len(attempts) == 1:
            with translating():
                conn.execute(INJECT_40001)

    with psycopg.connect(database_url, autocommit=True) as conn:
        transaction(conn, unit, policy=FAST)
    assert len(attempts) == 2
    assert committed(admin_url, name) == 1


def test_giving_up_after_the_last_retry_says_how_many_attempts_ran(database_url: str, admin_url: str) -> None:
    name = f"doomed-{uuid.uuid4().hex[:8]}"
    attempts: list[int] = []

    def unit(conn: psycopg.Connection[Any]) -> None:
        attempts.append(1)
        OrganizationRepo(conn).insert(OrganizationCreate(name=name))
        conn.execute(INJECT_40001)

    with psycopg.connect(database_url) as conn, pytest.raises(SerializationFailure) as raised:
        transaction(conn, unit, retries=2, policy=FAST)
    assert raised.value.attempts == 3 == len(attempts)
    assert isinstance(raised.value.__cause__, pg_errors.SerializationFailure)
    assert committed(admin_url, name) == 0


def test_other_errors_are_not_retried(database_url: str, admin_url: str) -> None:
    name = f"bug-{uuid.uuid4().hex[:8]}"
    attempts: list[int] = []

    def unit(conn: psycopg.Connection[Any]) -> None:
        attempts.append(1)
        OrganizationRepo(conn).insert(OrganizationCreate(name=name))
        raise ValueError("a bug, not a race")

    with psycopg.connect(database_url) as conn, pytest.raises(ValueError, match="a bug"):
        transaction(conn, unit, policy=FAST)
    assert len(attempts) == 1
    assert committed(admin_url, name) == 0


def test_a_connection_inside_a_transaction_is_refused(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT 1")
        with pytest.raises(QueryError, match="outside any transaction"):
            transaction(conn, lambda c: None)


def test_a_pool_lends_the_connection(database_url: str, admin_url: str) -> None:
    name = f"pooled-{uuid.uuid4().hex[:8]}"
    attempts: list[int] = []

    def unit(conn: psycopg.Connection[Any]) -> str:
        attempts.append(1)
        OrganizationRepo(conn).insert(OrganizationCreate(name=name))
        if len(attempts) == 1:
            conn.execute(INJECT_40001)
        return "done"

    with ConnectionPool(database_url, min_size=1, max_size=1, open=True) as pool:
        assert transaction(pool, unit, policy=FAST) == "done"
    assert committed(admin_url, name) == 1


def test_concurrent_serializable_transactions_converge_with_retries(database_url: str) -> None:
    """Two "create it unless it exists" units race; the loser is retried, sees the winner's row, adds none."""
    name = f"raced-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url) as conn:
        org = OrganizationRepo(conn).insert(OrganizationCreate(name="Racing")).id
    barrier = threading.Barrier(2, timeout=10)
    runs: list[str] = []
    failures: list[BaseException] = []

    def unit(conn: psycopg.Connection[Any]) -> None:
        runs.append(threading.current_thread().name)
        rules = RoutingRuleRepo(conn).for_org(org)
        found = rules.count(RoutingRuleRepo.c.name == name)
        if runs.count(threading.current_thread().name) == 1:
            barrier.wait()  # both have read before either writes
        if found == 0:
            rules.insert(RoutingRuleCreate(org_id=org, name=name, match_pattern="1", action="lcr"))

    def worker() -> None:
        try:
            with psycopg.connect(database_url) as conn:
                conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
                transaction(conn, unit, policy=FAST)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, name=f"w{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert failures == []
    with psycopg.connect(database_url) as conn:
        assert RoutingRuleRepo(conn).for_org(org).count(RoutingRuleRepo.c.name == name) == 1
    assert sorted(set(runs)) == ["w0", "w1"]
    # At least one of the two ran again; under load the loser may meet the winner's commit more than once.
    assert len(runs) >= 3, "one of the two ran again"


def test_async_transaction_retries_the_same_way(database_url: str, admin_url: str) -> None:
    name = f"async-{uuid.uuid4().hex[:8]}"
    attempts: list[int] = []

    async def unit(conn: psycopg.AsyncConnection[Any]) -> uuid.UUID:
        attempts.append(1)
        org = await AsyncOrganizationRepo(conn).insert(OrganizationCreate(name=name))
        if len(attempts) < 3:
            await conn.execute(INJECT_40001)
        return org.id

    async def scenario() -> uuid.UUID:
        conn = await psycopg.AsyncConnection.connect(database_url)
        try:
            return await async_transaction(conn, unit, policy=FAST)
        finally:
            await conn.close()

    org_id = asyncio.run(scenario())
    assert len(attempts) == 3
    assert committed(admin_url, name) == 1
    with psycopg.connect(database_url) as conn:
        assert OrganizationRepo(conn).for_org(org_id).get_one(org_id).name == name


def test_backoff_is_jittered_exponential_and_bounded() -> None:
    policy = RetryPolicy(retries=10, base_delay=0.01, max_delay=0.05)
    for attempt in range(1, 11):
        ceiling = min(0.05, 0.01 * 2 ** (attempt - 1))
        delays = {policy.delay(attempt) for _ in range(50)}
        assert all(0 <= d <= ceiling for d in delays)
        assert len(delays) > 1, "jittered, not lockstep"
    with pytest.raises(ValueError, match="retries"):
        RetryPolicy(retries=-1)
    with pytest.raises(ValueError, match="max_delay"):
        RetryPolicy(base_delay=2, max_delay=1)


def test_only_serialization_failures_and_deadlocks_are_retryable() -> None:
    assert is_retryable(SerializationFailure("lost a race"))
    assert not is_retryable(ValueError("a bug"))
    chained = RuntimeError("wrapped")
    chained.__cause__ = SerializationFailure("inner")
    assert is_retryable(chained)
