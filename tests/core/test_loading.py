"""The repositories' read loaders give exactly what psycopg's own loaders give, and timestamps arrive as UTC.

Every value is sent through the server and loaded twice, by psycopg's default loader and by the repositories'
(``warp_repo._core.loading``), and the two must be equal and of the same type.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from warp_models import CdrCreate, OrganizationCreate, SipTrunkCreate
from warp_repo._core.loading import session_in_utc, use_read_loaders
from warp_repo._core.repository_sync import _KEPT_CURSOR
from warp_repo.errors import ConnectionLost, RepositoryError
from warp_repo.repos import AsyncTrunkRepo, CdrRepo, OrganizationRepo, TrunkRepo

ADDRESSES = [
    "192.0.2.1",
    "0.0.0.0",
    "255.255.255.255",
    "2001:db8::1",
    "::",
    "::1",
    "::ffff:192.0.2.1",  # an IPv4-mapped IPv6 address
    "fe80::1:2:3:4",
    "10.0.0.0/8",  # a mask: an interface, as psycopg gives
    "2001:db8::/32",
    "192.0.2.7/24",
]

DOCUMENTS = [
    "{}",
    "[]",
    '{"a": [1, 2.5, null, true, false, "x"], "b": {"c": "d"}}',
    '"just a string"',
    "12345678901234567890123",
    '{"emoji": "\\ud83d\\ude00 \\u00e9t\\u00e9", "nested": [[[]]]}',
    "1e308",
    "-0.0",
]


def load_both(conn: psycopg.Connection[Any], sql: str, values: list[str]) -> tuple[list[Any], list[Any]]:
    query = f"SELECT {sql} FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n"
    with conn.cursor() as cur:
        default = [r[0] for r in cur.execute(query, (values,)).fetchall()]
    with conn.cursor() as cur:
        use_read_loaders(cur)
        ours = [r[0] for r in cur.execute(query, (values,)).fetchall()]
    return default, ours


@pytest.mark.parametrize("cast", ["inet", "jsonb", "json"])
def test_the_read_loaders_give_what_psycopg_gives(admin_conn: psycopg.Connection[Any], cast: str) -> None:
    values = ADDRESSES if cast == "inet" else DOCUMENTS
    default, ours = load_both(admin_conn, f"v::{cast}", values)
    assert len(ours) == len(values)
    for text, a, b in zip(values, default, ours, strict=True):
        assert type(a) is type(b), text
        assert a == b, text
        assert repr(a) == repr(b), text
    # Twice: the second time from the addresses already seen.
    assert load_both(admin_conn, f"v::{cast}", values)[1] == default


def test_addresses_seen_before_are_shared_values(admin_conn: psycopg.Connection[Any]) -> None:
    _, ours = load_both(admin_conn, "v::inet", ["198.51.100.7", "198.51.100.7"])
    assert ours[0] is ours[1]


def test_a_session_in_utc_is_recognized_by_its_setting(admin_conn: psycopg.Connection[Any]) -> None:
    admin_conn.execute("SET TimeZone = 'UTC'")
    assert session_in_utc(admin_conn)
    # Another spelling of UTC makes psycopg give a ZoneInfo, which is not the UTC a model holds.
    for zone in ("Etc/UTC", "America/New_York", "Asia/Kolkata"):
        admin_conn.execute(f"SET TimeZone = '{zone}'")
        assert not session_in_utc(admin_conn)
    admin_conn.rollback()


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_reads_hold_utc_timestamps_whatever_the_session_zone(database_url: str, zone: str) -> None:
    """On a session in UTC the driver makes the values aware; in any other zone the stored ones are made UTC, the
    years 1 and 9999 included (a ``timestamptz`` in such a zone could not hold them)."""
    with psycopg.connect(database_url, options=f"-c TimeZone={zone}") as conn:
        org = OrganizationRepo(conn).insert(OrganizationCreate(name=f"zone {zone}")).id
        edges = [
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(2026, 3, 8, 10, 30, 0, 123456, tzinfo=UTC),
        ]
        repo = CdrRepo(conn).for_org(org)
        made = [repo.insert(CdrCreate(call_id=f"{zone}-{i}", org_id=org, start_time=t)) for i, t in enumerate(edges)]
        by_list = {r.id: r for r in repo.list()}
        page = repo.page(order_by=["start_time"], limit=10)
        for cdr, instant in zip(made, edges, strict=True):
            for read in (repo.get_one(cdr.id), by_list[cdr.id], repo.get_many([cdr.id])[0]):
                assert read.start_time == instant
                assert read.start_time.tzinfo is UTC
                assert read.created_at is not None and read.created_at.tzinfo is UTC
                assert read == cdr
        assert [r.start_time for r in page.items] == edges[:1] + edges[2:] + edges[1:2]
        conn.rollback()


def test_an_unknown_session_zone_never_reaches_a_model(database_url: str) -> None:
    with psycopg.connect(database_url, options="-c TimeZone=Asia/Kolkata") as conn:
        org = OrganizationRepo(conn).insert(OrganizationCreate(name="zone")).id
        assert isinstance(org, uuid.UUID)
        read = OrganizationRepo(conn).get_one(org)
        assert read.created_at is not None and read.created_at.tzinfo is UTC
        conn.rollback()


# --- The connection's kept cursor: small reads share it, concurrent calls never do -------------------------------


def made_trunks(conn: psycopg.Connection[Any], count: int) -> tuple[uuid.UUID, list[uuid.UUID]]:
    org = OrganizationRepo(conn).insert(OrganizationCreate(name="kept cursor")).id
    repo = TrunkRepo(conn).for_org(org)
    ids = [
        repo.insert(SipTrunkCreate(org_id=org, name=f"t{i}", username=f"kept{i}-{org.hex[:6]}")).id
        for i in range(count)
    ]
    conn.commit()
    return org, ids


def test_small_reads_reuse_one_cursor_of_the_connection(conn: psycopg.Connection[Any]) -> None:
    org, ids = made_trunks(conn, 3)
    repo = TrunkRepo(conn).for_org(org)
    assert repo.get_one(ids[0]).id == ids[0]
    kept = getattr(conn, _KEPT_CURSOR)
    assert repo.get_one(ids[1]).id == ids[1]
    assert repo.page(limit=2).items[0].id in ids
    assert getattr(conn, _KEPT_CURSOR) is kept
    assert not kept.lock.locked()
    # A read that fails (here, in an aborted transaction) leaves the cursor free and usable.
    with pytest.raises(psycopg.errors.DivisionByZero):
        conn.execute("SELECT 1/0")
    with pytest.raises(RepositoryError):
        repo.get(ids[0])
    conn.rollback()
    assert not kept.lock.locked()
    assert repo.get_one(ids[2]).id == ids[2]
    conn.rollback()


def test_threads_sharing_a_connection_each_read_their_own_rows(admin_url: str) -> None:
    """Unscoped gets (one statement each, no pipeline) from 8 threads on one connection: each gets its own row,
    whether it took the kept cursor or, while another call held it, a cursor of its own. As the superuser: an
    unscoped get needs no tenant context there (the application role would see no row, by design), and a scoped
    call pipelines two statements, which one connection cannot serve to concurrent callers (docs/database.md)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        _, ids = made_trunks(conn, 20)
        repo = TrunkRepo(conn)

        def read(key: uuid.UUID) -> uuid.UUID:
            return repo.get_one(key).id

        with ThreadPoolExecutor(8) as pool:
            for _ in range(5):
                assert list(pool.map(read, ids)) == ids
        assert not getattr(conn, _KEPT_CURSOR).lock.locked()


def test_tasks_sharing_an_async_connection_each_read_their_own_rows(admin_url: str) -> None:
    async def scenario() -> list[list[uuid.UUID]]:
        with psycopg.connect(admin_url, autocommit=True) as setup:
            _, ids = made_trunks(setup, 20)
        async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as conn:
            repo = AsyncTrunkRepo(conn)

            async def read(key: uuid.UUID) -> uuid.UUID:
                return (await repo.get_one(key)).id

            got = [await asyncio.gather(*(read(k) for k in ids)) for _ in range(5)]
            assert all(g == ids for g in got)
            return got

    assert len(asyncio.run(scenario())) == 5


# --- Sessions the fast timestamp path must not be used on ------------------------------------------------------


def made_edge_cdr(conn: psycopg.Connection[Any], name: str) -> tuple[uuid.UUID, uuid.UUID]:
    org = OrganizationRepo(conn).insert(OrganizationCreate(name=name)).id
    instant = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    cdr = CdrRepo(conn).for_org(org).insert(CdrCreate(call_id=f"{name}-edge", org_id=org, start_time=instant))
    return org, cdr.id


@pytest.mark.parametrize(
    "setting",
    [
        "SET DateStyle = 'SQL, DMY'",  # timestamptz text the driver cannot parse
        "SET DateStyle = 'German'",
        "SET TIME ZONE INTERVAL '+03:00' HOUR TO MINUTE",  # a zone psycopg cannot name, taken as UTC
        "SET TimeZone = 'Etc/UTC'",
    ],
)
def test_sessions_outside_utc_and_iso_read_the_stored_values(database_url: str, setting: str) -> None:
    with psycopg.connect(database_url, options="-c TimeZone=UTC") as conn:
        org, key = made_edge_cdr(conn, setting)
        conn.execute(setting)
        assert not session_in_utc(conn)
        repo = CdrRepo(conn).for_org(org)
        for read in (repo.get_one(key), repo.list()[0], repo.page(limit=5).items[0]):
            assert read.start_time == datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
            assert read.start_time.tzinfo is UTC
        conn.rollback()


def test_a_closed_connection_is_connection_lost_before_any_read(database_url: str) -> None:
    conn = psycopg.connect(database_url)
    conn.close()
    assert not session_in_utc(conn)
    for read in (
        lambda: OrganizationRepo(conn).get(uuid.uuid4()),
        lambda: CdrRepo(conn).for_org(uuid.uuid4()).list(),
        lambda: CdrRepo(conn).for_org(uuid.uuid4()).page(),
    ):
        with pytest.raises(ConnectionLost):
            read()


def test_to_db_passes_on_a_value_it_cannot_convert_as_before() -> None:
    """A model built without validation (``model_construct``) may hold anything; the conversion does not fail on
    it (the driver or the server says what is wrong)."""
    for odd in ("2026-01-01 00:00", 17, datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Kolkata"))):
        made = CdrCreate.model_construct(call_id="x", org_id=uuid.uuid4(), start_time=odd)  # type: ignore[arg-type]  # on purpose
        sent = made.to_db()["start_time"]
        if isinstance(odd, datetime):
            assert sent == datetime(2025, 12, 31, 18, 30) and sent.tzinfo is None
        else:
            assert sent == odd
