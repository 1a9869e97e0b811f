"""The async services, the source of the sync ones, answer the same way over an ``AsyncConnection``."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from warp_models import BillingAccountCreate, CdrCreate, LcrRateCreate, MessageCreate, RoutingRuleCreate
from warp_models.routing import TransformRules
from warp_repo._aio.billing import AsyncBilling
from warp_repo._aio.cdrs import AsyncCallRecords
from warp_repo._aio.messaging import AsyncMessaging
from warp_repo._aio.numbers import AsyncNumberInventory
from warp_repo._aio.organizations import AsyncOrganizations
from warp_repo._aio.routing import AsyncRouting
from warp_repo._aio.trunks import AsyncTrunks
from warp_repo.errors import InvalidTransition, LimitExceeded
from warp_repo.repos import BillingAccountRepo, CdrRepo, LcrRateRepo, MessageRepo, RoutingRuleRepo

from .support import Conn, last_month, month_range, new_number, new_org, new_trunk, unique, with_limits


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_channels_taken_concurrently_by_async_workers_stop_at_the_limit(domain_url: str, autocommit: Conn) -> None:
    org = new_org(autocommit)
    trunk = new_trunk(autocommit, org, max_channels=7)

    async def worker() -> list[bool]:
        async with await psycopg.AsyncConnection.connect(domain_url, autocommit=True) as conn:
            trunks = AsyncTrunks(conn)
            return [(await trunks.acquire_channel(trunk.id)).changed for _ in range(6)]

    async def scenario() -> list[list[bool]]:
        return list(await asyncio.gather(worker(), worker(), worker()))

    granted = sum(sum(results) for results in run(scenario()))
    assert granted == 7

    async def release_all() -> int:
        async with await psycopg.AsyncConnection.connect(domain_url, autocommit=True) as conn:
            states = [await AsyncTrunks(conn).release_channel(trunk.id) for _ in range(9)]
            return sum(s.changed for s in states)

    assert run(release_all()) == 7


def test_async_routing_lcr_and_rules(domain_url: str, conn: Conn) -> None:
    org = new_org(conn)
    base = "8" + str(random.randrange(10**5)).zfill(5)
    LcrRateRepo(conn).insert_many(
        [
            LcrRateCreate(carrier_id=org, prefix=base, rate=Decimal("0.02"), effective_date=date(2026, 1, 1)),
            LcrRateCreate(carrier_id=org, prefix=base + "1", rate=Decimal("0.03"), effective_date=date(2026, 1, 1)),
        ]
    )
    rule = RoutingRuleRepo(conn).insert(
        RoutingRuleCreate(
            org_id=org, name="r", match_pattern=base, action="route", transform_rules=TransformRules(prepend="9")
        )
    )
    conn.commit()

    async def scenario() -> tuple[Any, Any, Any]:
        async with await psycopg.AsyncConnection.connect(domain_url) as aconn:
            routing = AsyncRouting(aconn)
            rates = await routing.lcr_rates(f"+{base}12", date(2026, 6, 1))
            routes = await routing.route(org, f"+{base}12", datetime.now(UTC), random.Random(1))
            load = await routing.load_rate_deck(org, [{"prefix": base, "rate": "0.01", "effective_date": "2026-01-01"}])
            after = await routing.lcr_rates(f"+{base}12", date(2026, 6, 1))
            await aconn.rollback()
            return rates, routes, (load, after)

    rates, routes, (load, after) = run(scenario())
    assert [(r.prefix, r.rate) for r in rates] == [(base + "1", Decimal("0.030000"))]
    assert [(c.rule.id, c.number) for c in routes] == [(rule.id, f"9+{base}12")]
    assert (load.replaced, load.loaded, [r.rate for r in after]) == (2, 1, [Decimal("0.010000")])


def test_async_limits_numbers_and_trees(domain_url: str, conn: Conn) -> None:
    org = new_org(conn)
    child = new_org(conn, parent_org_id=org)
    with_limits(conn, org, max_numbers=1)
    first, second = new_number(conn), new_number(conn)
    conn.commit()

    async def scenario() -> tuple[Any, ...]:
        async with await psycopg.AsyncConnection.connect(domain_url) as aconn:
            inventory = AsyncNumberInventory(aconn)
            assigned = await inventory.assign(first, org)
            with pytest.raises(LimitExceeded):
                await inventory.assign(second, org)
            with pytest.raises(InvalidTransition):
                await inventory.assign(first, child)
            tree = await AsyncOrganizations(aconn).descendants(org)
            await aconn.rollback()
            return assigned, tree

    assigned, tree = run(scenario())
    assert assigned.org_id == org
    assert [n.organization.id for n in tree] == [child]


def test_async_calls_billing_and_messages(domain_url: str, conn: Conn) -> None:
    org = new_org(conn)
    start, end = month_range(last_month())
    CdrRepo(conn).insert_many(
        [CdrCreate(call_id=unique(), org_id=org, start_time=start + timedelta(minutes=m)) for m in range(3)]
    )
    BillingAccountRepo(conn).insert(BillingAccountCreate(org_id=org, credit_limit=Decimal("5.00")))
    msg = MessageRepo(conn).insert(
        MessageCreate(
            message_id=unique(), org_id=org, from_number="+14155550100", to_number="+14155550101", direction="outbound"
        )
    )
    conn.commit()

    async def scenario() -> tuple[Any, ...]:
        async with await psycopg.AsyncConnection.connect(domain_url) as aconn:
            records = AsyncCallRecords(aconn)
            page = await records.calls(org, start, end, limit=2)
            rest = await records.calls(org, start, end, limit=2, after=page.next_cursor)
            stats = await records.stats(org, start, end)
            claimed = await records.claim_unbilled(org, start, end)
            balance = await AsyncBilling(aconn).charge(org, Decimal("5.00"))
            with pytest.raises(LimitExceeded):
                await AsyncBilling(aconn).charge(org, Decimal("0.01"))
            change = await AsyncMessaging(aconn).transition(org, msg.id, "sent", at=datetime.now(UTC))
            await aconn.rollback()
            return page, rest, stats, claimed, balance, change

    page, rest, stats, claimed, balance, change = run(scenario())
    assert len(page.items) == 2 and len(rest.items) == 1 and rest.next_cursor is None
    assert stats.calls == 3 and len(claimed) == 3
    assert balance.current_balance == Decimal("5.00")
    assert change.changed and change.message.status == "sent"
