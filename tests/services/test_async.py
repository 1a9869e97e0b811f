"""The async services, the source of the sync ones, answer the same way over an ``AsyncConnection``.

Tenant work runs on the application login, platform work (channels, the inventory, trees, rate decks) on the
platform login; rows the other connections must see are committed.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from tests.support import Conn, add_rates, last_month, month_range, new_number, new_org, new_trunk, unique, with_limits
from warp_models import BillingAccountCreate, CdrCreate, LcrRateCreate, MessageCreate, RoutingRuleCreate
from warp_models.routing import TransformRules
from warp_repo.billing._async import AsyncBilling
from warp_repo.cdrs._async import AsyncCallRecords
from warp_repo.errors import InvalidTransition, LimitExceeded
from warp_repo.messaging._async import AsyncMessaging
from warp_repo.numbers._async import AsyncNumberInventory
from warp_repo.organizations._async import AsyncOrganizations
from warp_repo.repos import BillingAccountRepo, CdrRepo, MessageRepo, RoutingRuleRepo
from warp_repo.routing._async import AsyncRouting
from warp_repo.trunks._async import AsyncTrunks


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_channels_taken_concurrently_by_async_workers_stop_at_the_limit(
    domain_platform_url: str, autocommit: Conn
) -> None:
    org = new_org(autocommit)
    trunk = new_trunk(autocommit, org, max_channels=7)

    async def worker() -> list[bool]:
        async with await psycopg.AsyncConnection.connect(domain_platform_url, autocommit=True) as conn:
            trunks = AsyncTrunks(conn)
            return [(await trunks.acquire_channel(trunk.id)).changed for _ in range(6)]

    async def scenario() -> list[list[bool]]:
        return list(await asyncio.gather(worker(), worker(), worker()))

    granted = sum(sum(results) for results in run(scenario()))
    assert granted == 7

    async def release_all() -> int:
        async with await psycopg.AsyncConnection.connect(domain_platform_url, autocommit=True) as conn:
            states = [await AsyncTrunks(conn).release_channel(trunk.id) for _ in range(9)]
            return sum(s.changed for s in states)

    assert run(release_all()) == 7


def test_async_routing_lcr_and_rules(
    domain_url: str, domain_platform_url: str, autocommit: Conn, platform_autocommit: Conn
) -> None:
    org = new_org(autocommit)
    base = "8" + str(random.randrange(10**5)).zfill(5)
    add_rates(
        platform_autocommit,
        [
            LcrRateCreate(carrier_id=org, prefix=base, rate=Decimal("0.02"), effective_date=date(2026, 1, 1)),
            LcrRateCreate(carrier_id=org, prefix=base + "1", rate=Decimal("0.03"), effective_date=date(2026, 1, 1)),
        ],
    )
    rules = RoutingRuleRepo(autocommit).for_org(org)
    rule = rules.insert(
        RoutingRuleCreate(
            org_id=org, name="r", match_pattern=base, action="route", transform_rules=TransformRules(prepend="9")
        )
    )

    async def scenario() -> tuple[Any, Any, Any]:
        async with await psycopg.AsyncConnection.connect(domain_url) as aconn:
            routing = AsyncRouting(aconn)
            rates = await routing.lcr_rates(f"+{base}12", date(2026, 6, 1))
            routes = await routing.route(org, f"+{base}12", datetime.now(UTC), random.Random(1))
            await aconn.rollback()
        async with await psycopg.AsyncConnection.connect(domain_platform_url) as platform:  # the deck: platform work
            deck = AsyncRouting(platform)
            load = await deck.load_rate_deck(org, [{"prefix": base, "rate": "0.01", "effective_date": "2026-01-01"}])
            after = await deck.lcr_rates(f"+{base}12", date(2026, 6, 1))
            await platform.rollback()
        return rates, routes, (load, after)

    rates, routes, (load, after) = run(scenario())
    assert [(r.prefix, r.rate) for r in rates] == [(base + "1", Decimal("0.030000"))]
    assert [(c.rule.id, c.number) for c in routes] == [(rule.id, f"9+{base}12")]
    assert (load.replaced, load.loaded, [r.rate for r in after]) == (2, 1, [Decimal("0.010000")])


def test_async_limits_numbers_and_trees(domain_platform_url: str, autocommit: Conn, platform_autocommit: Conn) -> None:
    org = new_org(autocommit)
    child = new_org(platform_autocommit, parent_org_id=org)  # attaching an organization is the platform's
    with_limits(autocommit, org, max_numbers=1)
    first, second = new_number(platform_autocommit), new_number(platform_autocommit)

    async def scenario() -> tuple[Any, ...]:
        async with await psycopg.AsyncConnection.connect(domain_platform_url) as aconn:
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
    CdrRepo(conn).for_org(org).insert_many(
        [CdrCreate(call_id=unique(), org_id=org, start_time=start + timedelta(minutes=m)) for m in range(3)]
    )
    BillingAccountRepo(conn).for_org(org).insert(BillingAccountCreate(org_id=org, credit_limit=Decimal("5.00")))
    messages = MessageRepo(conn).for_org(org)
    msg = messages.insert(
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
