"""Trunks: creation within the organization's limit, channel capacity under concurrency, failover, IP access lists.

Creating trunks and their access lists is the organization's work, on the application login. Channels, failover
chains and finding a trunk by user name or address are the SIP edge's, platform work on the platform login.
"""

from __future__ import annotations

import itertools
import random
import threading
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any
from uuid import UUID

import psycopg
import pytest

from tests.support import Conn, explain, new_org, new_trunk, plan_nodes, run_threads, unique, with_limits
from warp_models import SipTrunk, SipTrunkCreate, SipTrunkUpdate, TrunkAclCreate
from warp_repo.errors import Conflict, InvalidReference, LimitExceeded, NotFound
from warp_repo.repos import TrunkAclRepo, TrunkRepo
from warp_repo.trunks import Trunks
from warp_repo.trunks import _queries as q


def trunk_create(org: UUID, **values: Any) -> SipTrunkCreate:
    return SipTrunkCreate(org_id=org, name=unique("t-"), username=unique("sip-"), **values)


# --- limits --------------------------------------------------------------------------------------------------------


def test_creating_a_trunk_past_max_trunks_is_refused(conn: Conn) -> None:
    org = new_org(conn)
    with_limits(conn, org, max_trunks=2)
    trunks = Trunks(conn)
    first = trunks.create(trunk_create(org))
    trunks.create(trunk_create(org))
    with pytest.raises(LimitExceeded) as caught:
        trunks.create(trunk_create(org))
    error = caught.value
    assert (error.limit_name, error.limit, error.current, error.table) == ("max_trunks", 2, 2, "organization_settings")
    assert TrunkRepo(conn).for_org(org).count() == 2, "the refusal left the transaction usable"
    with pytest.raises(Conflict):  # room in another organization, but the SIP user name is taken
        trunks.create(SipTrunkCreate(org_id=new_org(conn), name="x", username=first.username))


def test_an_organization_without_settings_gets_the_default_limit_and_a_null_limit_is_none(conn: Conn) -> None:
    org = new_org(conn)
    trunks = Trunks(conn)
    for _ in range(10):  # the column default
        trunks.create(trunk_create(org))
    with pytest.raises(LimitExceeded):
        trunks.create(trunk_create(org))
    unlimited = new_org(conn)
    with_limits(conn, unlimited, max_trunks=None)
    for _ in range(12):
        trunks.create(trunk_create(unlimited))


def test_two_requests_racing_for_the_last_trunk_slot_one_wins(domain_url: str, autocommit: Conn) -> None:
    org = new_org(autocommit)
    with_limits(autocommit, org, max_trunks=3)
    new_trunk(autocommit, org)
    new_trunk(autocommit, org)
    outcomes: list[str] = []

    def create(i: int) -> None:
        with psycopg.connect(domain_url) as conn:
            try:
                Trunks(conn).create(trunk_create(org))
                conn.execute("SELECT pg_sleep(0.05)")  # hold the slot a moment before committing
                conn.commit()
                outcomes.append("created")
            except LimitExceeded:
                outcomes.append("refused")

    run_threads(4, create)
    assert sorted(outcomes) == ["created", "refused", "refused", "refused"]
    assert TrunkRepo(autocommit).for_org(org).count() == 3


# --- channels ------------------------------------------------------------------------------------------------------


def test_channels_are_taken_up_to_the_limit_and_given_back_down_to_zero(platform_conn: Conn) -> None:
    conn = platform_conn
    org = new_org(conn)
    trunk = new_trunk(conn, org, max_channels=2)
    trunks = Trunks(conn)
    first, second, third = (trunks.acquire_channel(trunk.id) for _ in range(3))
    assert [(s.changed, s.in_use) for s in (first, second, third)] == [(True, 1), (True, 2), (False, 2)]
    assert third.full and third.max_channels == 2 and not first.full
    released = [trunks.release_channel(trunk.id) for _ in range(3)]
    assert [(s.changed, s.in_use) for s in released] == [(True, 1), (True, 0), (False, 0)]
    with pytest.raises(NotFound):
        trunks.acquire_channel(UUID(int=3))
    with pytest.raises(NotFound):
        trunks.release_channel(UUID(int=3))


def test_an_inactive_trunk_gives_no_channel_and_a_null_limit_is_unlimited(platform_conn: Conn) -> None:
    conn = platform_conn
    org = new_org(conn)
    trunks = Trunks(conn)
    suspended = new_trunk(conn, org, status="suspended")
    refused = trunks.acquire_channel(suspended.id)
    assert (refused.changed, refused.in_use, refused.status) == (False, 0, "suspended")
    unlimited = new_trunk(conn, org)
    TrunkRepo(conn).for_org(org).update(unlimited.id, SipTrunkUpdate(max_channels=None))
    states = [trunks.acquire_channel(unlimited.id) for _ in range(150)]
    assert all(s.changed for s in states) and states[-1].in_use == 150 and not states[-1].full


def test_workers_hammering_one_trunk_never_pass_its_limit_nor_lose_a_count(
    domain_platform_url: str, autocommit: Conn, platform_autocommit: Conn
) -> None:
    org = new_org(autocommit)
    limit = 5
    trunk = new_trunk(autocommit, org, max_channels=limit)
    held = [0, 0, 0, 0]
    refusals = [0]
    lock = threading.Lock()

    def work(i: int) -> None:
        rng = random.Random(i)
        with psycopg.connect(domain_platform_url, autocommit=True) as conn:
            trunks = Trunks(conn)
            for _ in range(250):
                if rng.random() < 0.55:
                    state = trunks.acquire_channel(trunk.id)
                    assert 0 <= state.in_use <= limit, state
                    with lock:
                        held[i] += state.changed
                        refusals[0] += not state.changed
                else:
                    state = trunks.release_channel(trunk.id)
                    assert 0 <= state.in_use <= limit, state
                    if state.changed:
                        with lock:
                            # Channels are not owned: a release gives back any channel; count it against the worker
                            # that holds most, so the sum of holdings stays what the trunk counts.
                            held[held.index(max(held))] -= 1

    run_threads(len(held), work)
    current = TrunkRepo(autocommit).for_org(org).get_one(trunk.id).channels_in_use
    assert current == sum(held), (current, held)
    assert refusals[0] > 0, "the limit was reached at least once"
    for _ in range(limit + 2):
        Trunks(platform_autocommit).release_channel(trunk.id)
    assert TrunkRepo(autocommit).for_org(org).get_one(trunk.id).channels_in_use == 0


# --- failover ------------------------------------------------------------------------------------------------------


def chain_ids(conn: Conn, trunk_id: UUID) -> list[UUID]:
    return [t.id for t in Trunks(conn).failover_chain(trunk_id).trunks]


def test_the_failover_chain_follows_the_links_and_stops_at_a_loop(platform_conn: Conn) -> None:
    conn = platform_conn
    org = new_org(conn)
    a, b, c = (new_trunk(conn, org) for _ in range(3))
    repo = TrunkRepo(conn).for_org(org)
    repo.update(a.id, SipTrunkUpdate(failover_trunk_id=b.id))
    repo.update(b.id, SipTrunkUpdate(failover_trunk_id=c.id))
    chain = Trunks(conn).failover_chain(a.id)
    assert [t.id for t in chain.trunks] == [a.id, b.id, c.id]
    assert (chain.loops_to, chain.truncated) == (None, False)
    repo.update(c.id, SipTrunkUpdate(failover_trunk_id=a.id))  # a -> b -> c -> a
    looped = Trunks(conn).failover_chain(b.id)
    assert [t.id for t in looped.trunks] == [b.id, c.id, a.id] and looped.loops_to == b.id
    repo.update(a.id, SipTrunkUpdate(failover_trunk_id=a.id))
    assert Trunks(conn).failover_chain(a.id).loops_to == a.id and chain_ids(conn, a.id) == [a.id]
    with pytest.raises(NotFound):
        Trunks(conn).failover_chain(UUID(int=5))


def test_the_chain_stays_in_the_organization_and_is_bounded(autocommit: Conn, platform_conn: Conn) -> None:
    org, other = new_org(autocommit), new_org(autocommit)
    mine, theirs = new_trunk(autocommit, org), new_trunk(autocommit, other)
    repo = TrunkRepo(autocommit).for_org(org)
    with pytest.raises(InvalidReference), autocommit.transaction():  # the foreign key carries the organization
        repo.update(mine.id, SipTrunkUpdate(failover_trunk_id=theirs.id))
    assert chain_ids(platform_conn, mine.id) == [mine.id]
    line = [new_trunk(autocommit, org) for _ in range(q.MAX_FAILOVER_DEPTH + 3)]
    for here, there in itertools.pairwise(line):
        repo.update(here.id, SipTrunkUpdate(failover_trunk_id=there.id))
    long = Trunks(platform_conn).failover_chain(line[0].id)
    assert len(long.trunks) == q.MAX_FAILOVER_DEPTH + 1 and long.truncated


def test_the_first_available_trunk_of_a_chain(platform_conn: Conn) -> None:
    conn = platform_conn
    org = new_org(conn)
    full = new_trunk(conn, org, max_channels=1, channels_in_use=1)
    off = new_trunk(conn, org, status="inactive")
    spare = new_trunk(conn, org)
    TrunkRepo(conn).for_org(org).update(full.id, SipTrunkUpdate(failover_trunk_id=off.id))
    TrunkRepo(conn).for_org(org).update(off.id, SipTrunkUpdate(failover_trunk_id=spare.id))
    available = Trunks(conn).failover_chain(full.id).first_available()
    assert available is not None and available.id == spare.id


def test_a_trunk_is_found_by_its_sip_user_name(platform_conn: Conn) -> None:
    conn = platform_conn
    trunk = new_trunk(conn, new_org(conn))
    found = Trunks(conn).by_sip_username(trunk.username)
    assert found is not None and found.id == trunk.id
    assert Trunks(conn).by_sip_username(trunk.username.upper() + "x") is None


# --- access lists --------------------------------------------------------------------------------------------------


def allow(conn: Conn, trunk: SipTrunk, address: str, mask: int | None) -> None:
    acl = TrunkAclCreate(trunk_id=trunk.id, ip_address=ip_address(address), subnet_mask=mask)
    TrunkAclRepo(conn).for_org(trunk.org_id).insert(acl)


def test_source_addresses_against_a_trunks_access_list(platform_conn: Conn) -> None:
    conn = platform_conn
    org = new_org(conn)
    office, host, v6, anywhere, nothing = (new_trunk(conn, org) for _ in range(5))
    allow(conn, office, "198.51.100.77", 24)  # host bits in the address do not matter
    allow(conn, host, "203.0.113.9", 32)
    allow(conn, v6, "2001:db8:abcd::1", 48)
    allow(conn, anywhere, "0.0.0.0", 0)
    trunks = Trunks(conn)
    assert trunks.ip_allowed(office.id, "198.51.100.1") and trunks.ip_allowed(office.id, "198.51.100.255")
    assert not trunks.ip_allowed(office.id, "198.51.101.1")
    assert trunks.ip_allowed(host.id, "203.0.113.9") and not trunks.ip_allowed(host.id, "203.0.113.10")
    assert trunks.ip_allowed(v6.id, "2001:db8:abcd:ffff::2") and not trunks.ip_allowed(v6.id, "2001:db8:abce::1")
    assert trunks.ip_allowed(anywhere.id, "8.8.8.8") and trunks.ip_allowed(anywhere.id, ip_address("10.0.0.1"))
    assert not trunks.ip_allowed(anywhere.id, "2001:db8::1"), "a v4 /0 holds no v6 address"
    assert not trunks.ip_allowed(v6.id, "198.51.100.1")
    assert not trunks.ip_allowed(nothing.id, "198.51.100.1"), "an empty list allows nothing"
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        trunks.ip_allowed(office.id, "not-an-address")


def test_the_trunk_an_address_belongs_to_is_the_most_specific_match(platform_conn: Conn) -> None:
    conn = platform_conn
    org = new_org(conn)
    wide, narrow, twin = (new_trunk(conn, org) for _ in range(3))
    base = f"100.{random.randrange(64, 128)}.{random.randrange(256)}"
    allow(conn, wide, f"{base}.0", 24)
    allow(conn, narrow, f"{base}.16", 28)
    trunks = Trunks(conn)
    matches = trunks.acl_matches(f"{base}.20")
    assert [(m.trunk_id, m.network) for m in matches[:2]] == [
        (narrow.id, IPv4Network(f"{base}.16/28")),
        (wide.id, IPv4Network(f"{base}.0/24")),
    ]
    owner = trunks.trunk_for_ip(f"{base}.20")
    assert owner is not None and owner.id == narrow.id
    fallback = trunks.trunk_for_ip(f"{base}.200")
    assert fallback is not None and fallback.id == wide.id
    allow(conn, twin, f"{base}.16", 28)
    assert trunks.trunk_for_ip(f"{base}.20") is None, "two trunks share the most specific network"
    v6 = new_trunk(conn, org)
    allow(conn, v6, "2001:db8:77::", 128)
    assert [m.network for m in trunks.acl_matches("2001:db8:77::")] == [IPv6Network("2001:db8:77::/128")]
    exact = trunks.trunk_for_ip("2001:db8:77::")
    assert exact is not None and exact.id == v6.id
    assert trunks.trunk_for_ip("2001:db8:77::1") is None, "a /128 holds one address"


def test_acl_lookups_use_the_network_index_on_a_large_list(admin_conn: Conn) -> None:
    conn = admin_conn  # emptying a table, bulk rows in SQL and ANALYZE are the owner's
    org = new_org(conn)
    # Emptied in this transaction, the table gets new files, which the rollback discards whole.
    conn.execute("TRUNCATE trunk_acl")
    conn.execute(
        """
        INSERT INTO sip_trunks (id, org_id, name, username)
        SELECT ('20000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, %s, 'bulk ' || g, 'bulk-' || g
        FROM generate_series(1, 500) AS g
        """,
        [org],
    )
    conn.execute(
        """
        INSERT INTO trunk_acl (id, trunk_id, ip_address, subnet_mask)
        SELECT ('30000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
               ('20000000-0000-4000-8000-' || lpad(to_hex(1 + g % 500), 12, '0'))::uuid,
               CASE WHEN g % 4 = 0 THEN '2001:db8::'::inet + (g::bigint << 16) ELSE '10.0.0.0'::inet + g * 256 END,
               CASE WHEN g % 4 = 0 THEN 112 WHEN g % 3 = 0 THEN 32 ELSE 24 END
        FROM generate_series(1, 150000) AS g
        """
    )
    conn.execute("ANALYZE trunk_acl")
    address = ip_address("10.0.31.77")  # in 10.0.31.0/24, the network of g = 31 (a /24 row)
    found = Trunks(conn).acl_matches(address)
    assert [str(m.network) for m in found] == ["10.0.31.0/24"]
    for sql, params in ((q.ACL_MATCHES, {"ip": address}), (q.IP_ALLOWED, {"ip": address, "trunk": found[0].trunk_id})):
        plan = explain(conn, sql, params)
        scans = [n for n in plan_nodes(plan) if n.get("Relation Name") == "trunk_acl"]
        assert scans and all(n["Node Type"] != "Seq Scan" for n in scans), plan
    plan = explain(conn, q.ACL_MATCHES, {"ip": address})
    assert any(n.get("Index Name") == "trunk_acl_network_idx" for n in plan_nodes(plan)), plan
