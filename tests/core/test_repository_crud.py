"""The generic repository's operations as a caller uses them: filters, ordering, batches, upserts, deletes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.conftest import PLATFORM_REACH
from warp_models import (
    CdrCreate,
    CdrUpdate,
    LcrRateCreate,
    OrganizationCreate,
    SipTrunk,
    SipTrunkCreate,
    SipTrunkUpdate,
)
from warp_repo._core.statements import Eq, Ge, Gt, In, IsNull, Le, Lt, Ne, Order, Range
from warp_repo.errors import TenantScopeError
from warp_repo.repos import CdrRepo, LcrRateRepo, OrganizationRepo, TrunkRepo

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
c = TrunkRepo.c


@pytest.fixture
def org_id(conn: psycopg.Connection[Any]) -> uuid.UUID:
    return OrganizationRepo(conn).insert(OrganizationCreate(name="Acme")).id


@pytest.fixture
def trunks(conn: psycopg.Connection[Any], org_id: uuid.UUID) -> TrunkRepo:
    return TrunkRepo(conn).for_org(org_id)


def new_trunk(org_id: uuid.UUID, name: str, **values: Any) -> SipTrunkCreate:
    return SipTrunkCreate(org_id=org_id, name=name, username=f"{name}-{uuid.uuid4().hex[:6]}", **values)


def names(rows: list[SipTrunk]) -> list[str]:
    return [r.name for r in rows]


def test_filters_select_rows_by_value(trunks: TrunkRepo, org_id: uuid.UUID) -> None:
    trunks.insert_many(
        [
            new_trunk(org_id, "a", max_channels=10, status="active"),
            new_trunk(org_id, "b", max_channels=20, status="inactive", outbound_proxy="proxy.example.com"),
            new_trunk(org_id, "c", max_channels=30, status="suspended"),
        ]
    )
    order = ("name",)
    assert names(trunks.list(c.status == "active", order_by=order)) == ["a"]
    assert names(trunks.list(Eq("status", "active"), order_by=order)) == ["a"]
    assert names(trunks.list(c.status != "active", order_by=order)) == ["b", "c"]
    assert names(trunks.list(Ne("outbound_proxy", "proxy.example.com"), order_by=order)) == ["a", "c"]
    assert names(trunks.list(c.max_channels > 10, order_by=order)) == ["b", "c"]
    assert names(trunks.list(c.max_channels >= 20, c.max_channels < 30, order_by=order)) == ["b"]
    assert names(trunks.list(Gt("max_channels", 10), Le("max_channels", 20), order_by=order)) == ["b"]
    assert names(trunks.list(Lt("max_channels", 20), order_by=order)) == ["a"]
    assert names(trunks.list(Ge("max_channels", 30), order_by=order)) == ["c"]
    assert names(trunks.list(In("name", ["a", "c", "zz"]), order_by=order)) == ["a", "c"]
    assert names(trunks.list(c.name.in_([]), order_by=order)) == []
    assert names(trunks.list(Range("max_channels", 10, 30), order_by=order)) == ["a", "b"]
    assert names(trunks.list(Range("max_channels", start=20), order_by=order)) == ["b", "c"]
    assert names(trunks.list(c.max_channels.between(11, 31), order_by=order)) == ["b", "c"]
    assert names(trunks.list(IsNull("outbound_proxy"), order_by=order)) == ["a", "c"]
    assert names(trunks.list(c.outbound_proxy.is_not_null(), order_by=order)) == ["b"]
    assert names(trunks.list(Eq("outbound_proxy", None), order_by=order)) == ["a", "c"]


def test_order_and_limit(trunks: TrunkRepo, org_id: uuid.UUID) -> None:
    trunks.insert_many([new_trunk(org_id, n, max_channels=m) for n, m in [("a", 2), ("b", 1), ("c", 2)]])
    assert names(trunks.list(order_by=["-name"])) == ["c", "b", "a"]
    assert names(trunks.list(order_by=[c.max_channels.desc(), "name"])) == ["a", "c", "b"]
    assert names(trunks.list(order_by=[Order("max_channels"), Order("name", descending=True)])) == ["b", "c", "a"]
    assert names(trunks.list(order_by=["name"], limit=2)) == ["a", "b"]
    assert trunks.count() == 3
    assert trunks.count(c.max_channels == 2) == 2
    assert trunks.exists(c.name == "b") is True
    assert trunks.exists(c.name == "z") is False


def test_insert_many_and_get_many_keep_the_callers_order(trunks: TrunkRepo, org_id: uuid.UUID) -> None:
    creates = [new_trunk(org_id, f"t{i}") for i in range(5)]
    # Mixed column sets are sent as separate batches, the order is still the caller's.
    creates.insert(2, new_trunk(org_id, "with-proxy", outbound_proxy="p.example.com", transport="TLS"))
    rows = trunks.insert_many(creates)
    assert names(rows) == [c.name for c in creates]
    assert rows[2].transport == "TLS"
    assert rows[3].transport == "UDP", "left out, the server default applies"
    ids = [r.id for r in reversed(rows)]
    assert trunks.get_many([*ids, uuid.uuid4(), ids[0]]) == list(reversed(rows))
    assert trunks.get_many([]) == []
    assert trunks.insert_many([]) == []


def test_update_changes_only_given_fields_and_stamps_updated_at_in_utc(
    conn: psycopg.Connection[Any], trunks: TrunkRepo, org_id: uuid.UUID
) -> None:
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    row = trunks.insert(new_trunk(org_id, "a", outbound_proxy="p.example.com", updated_at=long_ago))
    assert row.updated_at == long_ago
    conn.execute("SET LOCAL TimeZone = 'America/New_York'")  # must not shift what is stored
    updated = trunks.update(row.id, SipTrunkUpdate(max_channels=7, outbound_proxy=None))
    assert (updated.max_channels, updated.outbound_proxy) == (7, None)
    assert updated.model_dump(exclude={"max_channels", "outbound_proxy", "updated_at"}) == row.model_dump(
        exclude={"max_channels", "outbound_proxy", "updated_at"}
    )
    now_utc = conn.execute("SELECT now()").fetchone()
    assert now_utc is not None
    assert updated.updated_at == now_utc[0].astimezone(UTC)
    assert trunks.update(row.id, SipTrunkUpdate()) == updated, "an empty patch changes nothing"


def test_upsert_inserts_then_updates_the_row_holding_the_key(trunks: TrunkRepo, org_id: uuid.UUID) -> None:
    first = trunks.upsert(SipTrunkCreate(org_id=org_id, name="a", username="acme-a"), on=("username",))
    second = trunks.upsert(SipTrunkCreate(org_id=org_id, name="b", username="acme-a", max_channels=9), on=["username"])
    assert second.id == first.id
    assert (second.name, second.max_channels) == ("b", 9)
    assert trunks.count() == 1
    again = trunks.upsert(SipTrunkCreate(id=first.id, org_id=org_id, name="c", username="acme-a"))
    assert (again.id, again.name) == (first.id, "c"), "the primary key is the default conflict target"
    many = trunks.upsert_many(
        [
            SipTrunkCreate(org_id=org_id, name="d", username="acme-a"),
            SipTrunkCreate(org_id=org_id, name="e", username="acme-e"),
        ],
        on=("username",),
    )
    assert [r.name for r in many] == ["d", "e"]
    assert many[0].id == first.id
    assert trunks.count() == 2


def test_upsert_when_only_the_key_is_given_returns_the_existing_row(platform_conn: psycopg.Connection[Any]) -> None:
    platform_conn.execute(PLATFORM_REACH)  # the rate deck is written by the platform only
    rates = LcrRateRepo(platform_conn)
    create = LcrRateCreate(prefix="1415", rate=Decimal("0.01"), effective_date=date(2026, 1, 1))
    stored = rates.insert(create)
    same = rates.upsert(
        LcrRateCreate(id=stored.id, prefix="1415", rate=Decimal("0.01"), effective_date=date(2026, 1, 1))
    )
    assert same == stored


def test_partitioned_tables_are_addressed_by_id_alone(conn: psycopg.Connection[Any], org_id: uuid.UUID) -> None:
    cdrs = CdrRepo(conn).for_org(org_id)
    rows = cdrs.insert_many(
        [CdrCreate(call_id=f"c{i}", org_id=org_id, start_time=WHEN + timedelta(days=40 * i)) for i in range(3)]
    )
    assert cdrs.get(rows[1].id) == rows[1]
    moved = cdrs.update(rows[1].id, CdrUpdate(start_time=WHEN - timedelta(days=400)))
    assert moved.start_time == WHEN - timedelta(days=400), "the row moved to another partition"
    assert cdrs.get(rows[1].id) == moved
    assert cdrs.delete(rows[2].id) is True
    assert cdrs.count() == 2


def test_delete_where_returns_how_many_rows_went(trunks: TrunkRepo, org_id: uuid.UUID) -> None:
    trunks.insert_many([new_trunk(org_id, n, max_channels=m) for n, m in [("a", 1), ("b", 2), ("c", 3)]])
    assert trunks.delete_where(c.max_channels >= 2) == 2
    assert names(trunks.list()) == ["a"]
    assert trunks.delete_where(c.name == "zz") == 0


def test_a_repository_never_commits(database_url: str, org_id: uuid.UUID, trunks: TrunkRepo) -> None:
    row = trunks.insert(new_trunk(org_id, "uncommitted"))
    with psycopg.connect(database_url) as other:
        assert TrunkRepo(other).for_org(org_id).get(row.id) is None
    trunks.connection.rollback()
    assert trunks.get(row.id) is None


def test_statements_are_compiled_once_per_shape(trunks: TrunkRepo, org_id: uuid.UUID) -> None:
    from warp_repo._core import statements as _sql

    trunks.list(c.status == "active", order_by=["name"], limit=3)
    before = _sql.select_rows.cache_info()
    for status in ("active", "inactive", "suspended"):
        trunks.list(c.status == status, order_by=["name"], limit=5)
    after = _sql.select_rows.cache_info()
    assert after.misses == before.misses
    assert after.hits == before.hits + 3


def test_a_scoped_upsert_batch_meeting_another_organizations_row_writes_nothing(
    conn: psycopg.Connection[Any], trunks: TrunkRepo, org_id: uuid.UUID
) -> None:
    other = OrganizationRepo(conn).insert(OrganizationCreate(name="Other")).id
    theirs = TrunkRepo(conn).for_org(other).insert(new_trunk(other, "theirs"))
    batch = [
        SipTrunkCreate(org_id=org_id, name="mine", username="acme-mine"),
        SipTrunkCreate(org_id=org_id, name="grab", username=theirs.username),
    ]
    with pytest.raises(TenantScopeError, match="another organization"):
        trunks.upsert_many(batch, on=("username",))
    assert trunks.count() == 0, "the first row of the batch was undone"
    assert TrunkRepo(conn).for_org(other).get(theirs.id) == theirs
