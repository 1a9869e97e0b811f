"""A service's write validates the rows it returns while the write can still be kept from staying.

A call record whose ``codecs_used`` holds a codec the model refuses (written by another system) is claimed by a
billing run: the claim must raise ``RowNotWritten`` and leave the call unbilled, on an autocommit connection (the
call's own transaction is rolled back) and inside a caller's transaction (which is aborted, so nothing commits).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from pydantic import ValidationError

from tests.support import last_month, month_range, new_org, unique
from warp_models import CdrCreate
from warp_repo._core.statements import written_by
from warp_repo.cdrs import CallRecords
from warp_repo.errors import RowNotWritten
from warp_repo.repos import CdrRepo


@pytest.fixture
def admin(admin_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def foreign_call(database_url: str, admin: psycopg.Connection[Any]) -> tuple[UUID, UUID]:
    """An unbilled call of last month whose codecs another system wrote: ``["VP8"]``, no codec the model knows."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        org = new_org(conn)
        start, _ = month_range(last_month())
        cdr = CdrRepo(conn).for_org(org).insert(CdrCreate(call_id=unique("call-"), org_id=org, start_time=start))
    admin.execute("UPDATE cdrs SET codecs_used = '[\"VP8\"]' WHERE id = %s", (cdr.id,))
    return org, cdr.id


def billed(admin: psycopg.Connection[Any], key: UUID) -> bool:
    found = admin.execute("SELECT billed FROM cdrs WHERE id = %s", (key,)).fetchone()
    assert found is not None
    return bool(found[0])


def claim(conn: psycopg.Connection[Any], org: UUID) -> object:
    start, end = month_range(last_month())
    return CallRecords(conn).claim_unbilled(org, start, end - timedelta(microseconds=1))


def test_on_an_autocommit_connection_a_refused_claim_stays_unbilled(
    database_url: str, admin: psycopg.Connection[Any], foreign_call: tuple[UUID, UUID]
) -> None:
    org, key = foreign_call
    with psycopg.connect(database_url, autocommit=True) as conn:
        with pytest.raises(RowNotWritten) as caught:
            claim(conn, org)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert billed(admin, key) is False
    assert isinstance(caught.value.__cause__, ValidationError)
    assert caught.value.table == "cdrs"
    assert "UPDATE cdrs" in str(caught.value) and "codecs_used" in str(caught.value)
    assert "nothing was stored" in str(caught.value)


def test_inside_a_callers_transaction_a_refused_claim_aborts_it(
    database_url: str, admin: psycopg.Connection[Any], foreign_call: tuple[UUID, UUID]
) -> None:
    org, key = foreign_call
    with psycopg.connect(database_url) as conn:
        with pytest.raises(RowNotWritten) as caught:
            claim(conn, org)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        conn.commit()
    assert billed(admin, key) is False
    assert "the transaction was aborted" in str(caught.value)


def test_a_callers_savepoint_around_a_refused_claim_recovers(
    database_url: str, admin: psycopg.Connection[Any], foreign_call: tuple[UUID, UUID]
) -> None:
    org, key = foreign_call
    with psycopg.connect(database_url) as conn:
        with pytest.raises(RowNotWritten), conn.transaction():
            claim(conn, org)
        conn.execute("SELECT 1")  # the transaction carries on
        conn.commit()
    assert billed(admin, key) is False


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM cdrs WHERE billed", None),
        ("SELECT id FROM jobs ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", None),
        ("SELECT id FROM jobs FOR NO KEY UPDATE", None),
        ("SELECT 'UPDATE jobs SET x = 1' AS text", None),
        ("SELECT updated_at, last_update FROM t", None),
        (
            "WITH c AS (SELECT id FROM jobs FOR UPDATE SKIP LOCKED) UPDATE jobs SET n = 1 RETURNING *",
            ("UPDATE", "jobs"),
        ),
        ("update ONLY cdrs AS c SET billed = true RETURNING c.id", ("UPDATE", "cdrs")),
        ("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2 RETURNING *", ("INSERT INTO", "t")),
        ('DELETE FROM "lcr_rates" WHERE true RETURNING id', ("DELETE FROM", "lcr_rates")),
    ],
)
def test_a_write_is_recognised_from_its_statement(sql: str, expected: tuple[str, str] | None) -> None:
    assert written_by(sql) == expected
