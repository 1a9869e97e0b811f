"""Under row-level security: the services work for the roles they are meant for, and stay inside their reach.

The assertions run on LOGIN roles that are members of ``warp_app`` or ``warp_platform``, never as the superuser
(row-level security never applies to a superuser). The rows are prepared by the superuser and committed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from ipaddress import ip_address
from typing import Any

import psycopg
import pytest

from tests.support import Conn, last_month, month_range, new_number, new_org, new_trunk, unique
from warp_models import (
    BillingAccountCreate,
    CdrCreate,
    LcrRateCreate,
    MessageCreate,
    SipTrunkCreate,
    TrunkAclCreate,
)
from warp_repo.billing import Billing
from warp_repo.cdrs import CallRecords
from warp_repo.errors import NotFound
from warp_repo.messaging import Messaging
from warp_repo.numbers import NumberInventory, NumberQuery
from warp_repo.organizations import Organizations
from warp_repo.repos import BillingAccountRepo, CdrRepo, LcrRateRepo, MessageRepo, TrunkAclRepo
from warp_repo.routing import Routing
from warp_repo.trunks import Trunks


@pytest.fixture(scope="module")
def world(domain_admin_url: str) -> dict[str, Any]:
    """Two organizations' rows, committed by the superuser."""
    with psycopg.connect(domain_admin_url, autocommit=True) as conn:
        mine, theirs = new_org(conn, "mine"), new_org(conn, "theirs")
        child = new_org(conn, "child", parent_org_id=mine)
        trunk = new_trunk(conn, mine, max_channels=1)
        TrunkAclRepo(conn).insert(
            TrunkAclCreate(trunk_id=trunk.id, ip_address=ip_address("192.0.2.44"), subnet_mask=32)
        )
        start, end = month_range(last_month())
        CdrRepo(conn).insert_many(
            [CdrCreate(call_id=unique(), org_id=org, start_time=start + timedelta(hours=1)) for org in (mine, theirs)]
        )
        parties: dict[str, Any] = {"from_number": "+14155550100", "to_number": "+14155550101", "direction": "outbound"}
        message = MessageRepo(conn).insert(MessageCreate(message_id=unique(), org_id=theirs, **parties))
        BillingAccountRepo(conn).insert(BillingAccountCreate(org_id=mine, credit_limit=Decimal("10.00")))
        state = "VT"
        numbers = [new_number(conn, state=state, rate_center=unique("RC ")) for _ in range(2)]
        carrier = new_org(conn, "carrier")
        prefix = "7" + str(uuid.uuid4().int % 10**5).zfill(5)
        LcrRateRepo(conn).insert(
            LcrRateCreate(carrier_id=carrier, prefix=prefix, rate=Decimal("0.01"), effective_date=date(2026, 1, 1))
        )
    return {
        "mine": mine,
        "theirs": theirs,
        "child": child,
        "trunk": trunk,
        "start": start,
        "end": end,
        "their_message": message.id,
        "numbers": numbers,
        "carrier": carrier,
        "prefix": prefix,
    }


def test_an_application_login_works_in_its_organization_and_sees_no_other(
    domain_url: str, world: dict[str, Any]
) -> None:
    mine, start, end = world["mine"], world["start"], world["end"]
    with psycopg.connect(domain_url) as conn:
        created = Trunks(conn).create(SipTrunkCreate(org_id=mine, name=unique(), username=unique("app-")))
        assert created.org_id == mine
        assert CallRecords(conn).stats(mine, start, end).calls == 1, "only its own call"
        assert [c.org_id for c in CallRecords(conn).calls(mine, start, end).items] == [mine]
        assert Billing(conn).charge(mine, Decimal("4.00")).current_balance == Decimal("4.00")
        assert {e.org_id for e in Organizations(conn).audit_trail(mine).items} == {mine}, "its own writes only"
        assert Routing(conn).lcr_rates(f"+{world['prefix']}1234", date(2026, 6, 1))[0].carrier_id == world["carrier"]
        with pytest.raises(NotFound):
            Messaging(conn).transition(mine, world["their_message"], "sent", at=datetime.now(UTC))
        conn.rollback()
        # Platform work gets nothing from an application login, even when it asks for the platform reach.
        with pytest.raises(NotFound):
            Trunks(conn).acquire_channel(world["trunk"].id)
        assert Trunks(conn).by_sip_username(world["trunk"].username) is None
        assert Trunks(conn).trunk_for_ip("192.0.2.44") is None
        assert Organizations(conn).descendants(mine) == []
        assert NumberInventory(conn).search(NumberQuery(state="VT")).items == []
        with pytest.raises(NotFound):
            NumberInventory(conn).assign(world["numbers"][0], mine)
        conn.rollback()


def test_a_platform_login_reaches_every_organization(
    domain_platform_url: str, world: dict[str, Any], autocommit: Conn
) -> None:
    mine, trunk = world["mine"], world["trunk"]
    with psycopg.connect(domain_platform_url, autocommit=True) as conn:
        trunks = Trunks(conn)
        found = trunks.by_sip_username(trunk.username)
        assert found is not None and found.id == trunk.id
        owner = trunks.trunk_for_ip("192.0.2.44")
        assert owner is not None and owner.id == trunk.id
        assert trunks.acquire_channel(trunk.id).changed and not trunks.acquire_channel(trunk.id).changed
        assert trunks.release_channel(trunk.id).in_use == 0
        assert [t.id for t in trunks.failover_chain(trunk.id).trunks] == [trunk.id]
        assert [n.organization.id for n in Organizations(conn).descendants(mine)] == [world["child"]]
        inventory = NumberInventory(conn)
        available = inventory.search(NumberQuery(state="VT"), limit=500).items
        assert set(world["numbers"]) <= {n.id for n in available}
        assigned = inventory.assign(world["numbers"][1], mine)
        assert assigned.org_id == mine
        assert inventory.release(assigned.id, mine).org_id is None
        load = Routing(conn).load_rate_deck(
            world["carrier"], [{"prefix": world["prefix"], "rate": "0.02", "effective_date": "2026-01-01"}]
        )
        assert (load.replaced, load.loaded) == (1, 1)
    assert Routing(autocommit).lcr_rates(f"+{world['prefix']}1", date(2026, 6, 1))[0].rate == Decimal("0.020000")
