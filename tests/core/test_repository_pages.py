"""Keyset pages: every row exactly once in the requested order, NULLs included; cursors that cannot be forged."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warp_models import CdrCreate, OrganizationCreate, SipTrunk, SipTrunkCreate
from warp_repo._core.cursor import cursor_key
from warp_repo.errors import InvalidCursor, QueryError, TenantScopeError
from warp_repo.repos import CdrRepo, OrganizationRepo, TrunkRepo

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def module_conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(database_url)
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def conn(module_conn: psycopg.Connection[Any]) -> Iterator[psycopg.Connection[Any]]:
    try:
        yield module_conn
    finally:
        module_conn.rollback()


def new_org(conn: psycopg.Connection[Any]) -> uuid.UUID:
    return OrganizationRepo(conn).insert(OrganizationCreate(name="Acme")).id


def all_pages(repo: TrunkRepo, limit: int, order_by: list[str]) -> list[list[SipTrunk]]:
    pages = []
    page = repo.page(limit=limit, order_by=order_by)
    pages.append(page.items)
    while page.next_cursor is not None:
        page = repo.page(after=page.next_cursor, limit=limit, order_by=order_by)
        pages.append(page.items)
    return pages


def test_pages_cover_every_row_once_in_order(conn: psycopg.Connection[Any]) -> None:
    org = new_org(conn)
    cdrs = CdrRepo(conn).for_org(org)
    cdrs.insert_many(
        [CdrCreate(call_id=f"c{i}", org_id=org, start_time=WHEN + timedelta(minutes=i % 7)) for i in range(25)]
    )
    seen = []
    page = cdrs.page(limit=10, order_by=["-start_time"])
    sizes = [len(page.items)]
    seen += page.items
    while page.has_more:
        assert page.next_cursor is not None
        page = cdrs.page(after=page.next_cursor, limit=10, order_by=["-start_time"])
        sizes.append(len(page.items))
        seen += page.items
    assert sizes == [10, 10, 5]
    assert seen == cdrs.list(order_by=["-start_time", "-id"])
    assert len({r.id for r in seen}) == 25


def test_rows_added_before_the_cursor_do_not_shift_later_pages(conn: psycopg.Connection[Any]) -> None:
    org = new_org(conn)
    trunks = TrunkRepo(conn).for_org(org)
    trunks.insert_many([SipTrunkCreate(org_id=org, name=f"n{i:02}", username=f"u{org.hex[:6]}{i}") for i in range(10)])
    first = trunks.page(limit=4, order_by=["name"])
    trunks.insert(SipTrunkCreate(org_id=org, name="a-first", username=f"x{org.hex[:6]}"))
    assert first.next_cursor is not None
    second = trunks.page(after=first.next_cursor, limit=4, order_by=["name"])
    assert [t.name for t in second.items] == ["n04", "n05", "n06", "n07"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    proxies=st.lists(st.sampled_from([None, "a.example", "b.example", "c.example"]), min_size=0, max_size=12),
    channels=st.lists(st.sampled_from([None, 1, 2]), min_size=12, max_size=12),
    order_by=st.permutations(["outbound_proxy", "-max_channels", "name"]).map(lambda p: list(p[:2])),
    limit=st.integers(1, 5),
)
def test_keyset_pages_equal_one_ordered_list_whatever_the_nulls(
    module_conn: psycopg.Connection[Any],
    proxies: list[str | None],
    channels: list[int | None],
    order_by: list[str],
    limit: int,
) -> None:
    conn = module_conn
    try:
        org = new_org(conn)
        trunks = TrunkRepo(conn).for_org(org)
        trunks.insert_many(
            [
                SipTrunkCreate(
                    org_id=org,
                    name=f"t{(i * 7) % 12:02}",
                    username=f"u{org.hex[:8]}{i}",
                    outbound_proxy=p,
                    max_channels=m,
                )
                for i, (p, m) in enumerate(zip(proxies, channels, strict=False))
            ]
        )
        pages = all_pages(trunks, limit, order_by)
        flat = [row for page in pages for row in page]
        assert flat == trunks.list(order_by=order_by)
        assert all(len(page) <= limit for page in pages)
        assert len(flat) == len(proxies)
    finally:
        conn.rollback()


@pytest.fixture
def trunk_pages(conn: psycopg.Connection[Any]) -> tuple[TrunkRepo, str, uuid.UUID]:
    org = new_org(conn)
    trunks = TrunkRepo(conn).for_org(org)
    trunks.insert_many([SipTrunkCreate(org_id=org, name=f"n{i}", username=f"p{org.hex[:6]}{i}") for i in range(3)])
    cursor = trunks.page(limit=1, order_by=["name"]).next_cursor
    assert cursor is not None
    return trunks, cursor, org


def test_a_tampered_cursor_is_refused(trunk_pages: tuple[TrunkRepo, str, uuid.UUID]) -> None:
    trunks, cursor, _ = trunk_pages
    body, mac = cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["k"][0] = "a"  # skip ahead to a chosen position
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidCursor, match="signature"):
        trunks.page(after=f"{forged}.{mac}", limit=1, order_by=["name"])
    for garbage in ("", "nonsense", "a.b.c", cursor[:-2], f"{body}.{mac[:-1]}x"):
        with pytest.raises(InvalidCursor):
            trunks.page(after=garbage, limit=1, order_by=["name"])


def test_a_cursor_belongs_to_its_table_scope_and_ordering(
    conn: psycopg.Connection[Any], trunk_pages: tuple[TrunkRepo, str, uuid.UUID]
) -> None:
    trunks, cursor, org = trunk_pages
    assert len(trunks.page(after=cursor, limit=1, order_by=["name"]).items) == 1
    with pytest.raises(InvalidCursor, match="another query"):
        trunks.page(after=cursor, limit=1, order_by=["-name"])
    with pytest.raises(InvalidCursor, match="another query"):
        TrunkRepo(conn).for_org(new_org(conn)).page(after=cursor, limit=1, order_by=["name"])
    with pytest.raises(InvalidCursor, match="another query"):
        TrunkRepo(conn).unscoped_platform_page(after=cursor, limit=1, order_by=["name"])
    by_creation = trunks.page(limit=1, order_by=["created_at"]).next_cursor
    assert by_creation is not None
    with pytest.raises(InvalidCursor, match="table sip_trunks"):
        CdrRepo(conn).for_org(org).page(after=by_creation, limit=1, order_by=["created_at"])


def test_a_cursor_signed_with_another_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, trunk_pages: tuple[TrunkRepo, str, uuid.UUID]
) -> None:
    trunks, cursor, _ = trunk_pages
    monkeypatch.setenv("WARP_CURSOR_KEY", "rotated")
    cursor_key.cache_clear()
    try:
        with pytest.raises(InvalidCursor, match="WARP_CURSOR_KEY"):
            trunks.page(after=cursor, limit=1, order_by=["name"])
        fresh = trunks.page(limit=1, order_by=["name"]).next_cursor
        assert fresh is not None
        assert len(trunks.page(after=fresh, limit=1, order_by=["name"]).items) == 1
    finally:
        cursor_key.cache_clear()


def test_pages_refuse_what_they_cannot_order_or_scope(conn: psycopg.Connection[Any]) -> None:
    trunks = TrunkRepo(conn)
    with pytest.raises(TenantScopeError):
        trunks.page()
    scoped = trunks.for_org(new_org(conn))
    with pytest.raises(QueryError, match="not sortable"):
        scoped.page(order_by=["codecs"])
    with pytest.raises(QueryError, match="not sortable"):
        scoped.page(order_by=["password_hash"])
    with pytest.raises(QueryError, match="at least one row"):
        scoped.page(limit=0)


def test_platform_pages_cross_organizations(platform_conn: psycopg.Connection[Any]) -> None:
    made = []
    for _ in range(2):
        org = new_org(platform_conn)
        trunk = SipTrunkCreate(org_id=org, name="x", username=f"x{org.hex[:10]}")
        made.append(TrunkRepo(platform_conn).for_org(org).insert(trunk))
    trunks = TrunkRepo(platform_conn)  # its unscoped_platform_* methods ask for the platform reach
    page = trunks.unscoped_platform_page(TrunkRepo.c.id.in_([t.id for t in made]), limit=1)
    assert page.next_cursor is not None
    rest = trunks.unscoped_platform_page(TrunkRepo.c.id.in_([t.id for t in made]), after=page.next_cursor, limit=1)
    assert sorted([*page.items, *rest.items], key=lambda t: t.id) == sorted(made, key=lambda t: t.id)
    assert rest.next_cursor is None
