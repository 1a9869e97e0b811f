"""COPY ingest: rows stream in validated; one bad row, of any kind, leaves none of them and the transaction usable."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from typing import Any

import psycopg
import pytest
from pydantic import ValidationError

from warp_models import CdrCreate, OrganizationCreate, SipTrunkCreate, TrunkAclCreate
from warp_repo.errors import Conflict, TenantScopeError
from warp_repo.repos import AsyncCdrRepo, AsyncOrganizationRepo, CdrRepo, OrganizationRepo, TrunkAclRepo, TrunkRepo

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def new_org(conn: psycopg.Connection[Any]) -> uuid.UUID:
    return OrganizationRepo(conn).insert(OrganizationCreate(name="Acme")).id


def cdr_rows(org: uuid.UUID, count: int, bad: int | None = None) -> Iterator[dict[str, Any]]:
    """CDR mappings as an ingest feed produces them; row ``bad`` has a start time that is no time."""
    for i in range(count):
        start: Any = "not a time" if i == bad else WHEN + timedelta(seconds=i)
        yield {"call_id": f"{i}@feed.example.com", "org_id": org, "start_time": start, "duration": i % 600}


def test_copy_in_streams_rows_and_fills_server_defaults(conn: psycopg.Connection[Any]) -> None:
    org = new_org(conn)
    cdrs = CdrRepo(conn).for_org(org)
    mixed: list[CdrCreate | dict[str, Any]] = [
        CdrCreate(call_id="a", org_id=org, start_time=WHEN),
        {"call_id": "b", "start_time": WHEN, "billed": True},  # no org_id: the scope's is used
        {"call_id": "c", "org_id": org, "start_time": WHEN, "billed": True, "metadata": {"src": "feed"}},
        CdrCreate(call_id="d", org_id=org, start_time=WHEN, codecs_used=["PCMU"]),
    ]
    assert cdrs.copy_in(mixed) == 4
    rows = {r.call_id: r for r in cdrs.list()}
    assert set(rows) == {"a", "b", "c", "d"}
    assert rows["a"].billed is False, "left out, the server default applies"
    assert rows["b"].billed is True
    assert rows["c"].metadata == {"src": "feed"}
    assert rows["d"].codecs_used == ["PCMU"]
    assert rows["a"].codecs_used == []
    assert rows["b"].org_id == org


def test_copy_in_on_an_empty_feed_writes_nothing(conn: psycopg.Connection[Any]) -> None:
    assert CdrRepo(conn).copy_in([]) == 0


def test_one_invalid_row_in_100k_names_its_row_and_field_and_leaves_no_row(conn: psycopg.Connection[Any]) -> None:
    org = new_org(conn)
    cdrs = CdrRepo(conn).for_org(org)
    with pytest.raises(ValidationError) as raised:
        cdrs.copy_in(cdr_rows(org, 100_000, bad=50_001))
    errors = raised.value.errors()
    assert len(errors) == 1
    assert errors[0]["loc"] == (50_001, "start_time")
    assert "row 50001" in str(raised.value)
    assert cdrs.count() == 0, "no row of the failed ingest stays"
    # The caller's transaction is still usable, and a valid feed then goes in whole.
    started = time.perf_counter()
    assert cdrs.copy_in(cdr_rows(org, 100_000)) == 100_000
    assert time.perf_counter() - started < 60, "100k rows should stream in seconds (about 2 s on a laptop)"
    assert cdrs.count() == 100_000


def test_a_database_error_mid_stream_leaves_no_row(conn: psycopg.Connection[Any]) -> None:
    org = new_org(conn)
    cdrs = CdrRepo(conn).for_org(org)
    cdrs.insert(CdrCreate(call_id="kept", org_id=org, start_time=WHEN))
    feed = [*cdr_rows(org, 500), {"call_id": "0@feed.example.com", "org_id": org, "start_time": WHEN}]
    with pytest.raises(Conflict) as raised:
        cdrs.copy_in(feed)
    assert raised.value.columns == ("call_id", "start_time")
    assert [r.call_id for r in cdrs.list()] == ["kept"], "rows before the failure were rolled back, older rows kept"


def test_a_row_of_another_organization_stops_the_ingest(conn: psycopg.Connection[Any]) -> None:
    mine, theirs = new_org(conn), new_org(conn)
    cdrs = CdrRepo(conn).for_org(mine)
    feed = [*cdr_rows(mine, 10), {"call_id": "x", "org_id": theirs, "start_time": WHEN}]
    with pytest.raises(TenantScopeError):
        cdrs.copy_in(feed)
    assert cdrs.count() == 0
    assert CdrRepo(conn).by_org(theirs) == []


def test_a_child_row_under_another_organizations_parent_stops_the_ingest(conn: psycopg.Connection[Any]) -> None:
    mine, theirs = new_org(conn), new_org(conn)
    my_trunks, their_trunks = TrunkRepo(conn).for_org(mine), TrunkRepo(conn).for_org(theirs)
    my_trunk = my_trunks.insert(SipTrunkCreate(org_id=mine, name="a", username=f"a{mine.hex[:8]}"))
    their_trunk = their_trunks.insert(SipTrunkCreate(org_id=theirs, name="b", username=f"b{theirs.hex[:8]}"))
    acl = TrunkAclRepo(conn).for_org(mine)
    ok = [{"trunk_id": my_trunk.id, "ip_address": f"203.0.113.{i}"} for i in range(1, 5)]
    assert acl.copy_in(ok) == 4
    with pytest.raises(TenantScopeError):
        acl.copy_in([{"trunk_id": my_trunk.id, "ip_address": "198.51.100.1"}, {**ok[0], "trunk_id": their_trunk.id}])
    assert len(acl.list()) == 4
    assert TrunkAclRepo(conn).by_org(theirs) == []
    assert acl.copy_in([TrunkAclCreate(trunk_id=my_trunk.id, ip_address=IPv4Address("198.51.100.2"))]) == 1


def test_on_an_autocommit_connection_the_ingest_is_one_transaction(database_url: str, admin_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        org = new_org(conn)
        cdrs = CdrRepo(conn).for_org(org)
        with pytest.raises(ValidationError):
            cdrs.copy_in(cdr_rows(org, 2_000, bad=1_999))
        assert cdrs.count() == 0
        assert cdrs.copy_in(cdr_rows(org, 2_000)) == 2_000
    with psycopg.connect(database_url) as other:
        assert CdrRepo(other).for_org(org).count() == 2_000
    with psycopg.connect(admin_url) as admin:  # clean-up: services never delete the audit trail
        admin.execute("DELETE FROM cdrs WHERE org_id = %s", (org,))
        admin.execute("DELETE FROM audit_logs WHERE org_id = %s", (org,))  # the writes' audit trail references it
        admin.execute("DELETE FROM organizations WHERE id = %s", (org,))


def test_async_copy_in_matches(database_url: str) -> None:
    async def scenario() -> tuple[int, int, tuple[Any, ...]]:
        conn = await psycopg.AsyncConnection.connect(database_url)
        try:
            org_id = (await AsyncOrganizationRepo(conn).insert(OrganizationCreate(name="Async"))).id
            cdrs = AsyncCdrRepo(conn).for_org(org_id)
            written = await cdrs.copy_in(cdr_rows(org_id, 1_000))
            with pytest.raises(ValidationError) as raised:
                await cdrs.copy_in(cdr_rows(org_id, 1_000, bad=999))
            return written, await cdrs.count(), raised.value.errors()[0]["loc"]
        finally:
            await conn.close()

    written, count, loc = asyncio.run(scenario())
    assert (written, count) == (1_000, 1_000)
    assert loc == (999, "start_time")
