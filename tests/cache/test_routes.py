"""Route caches: LCR routes as a JSON array per prefix, custom routes as a hash per org and pattern."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from uuid import uuid4

import pytest
import redis

from warp_models.routing import TransformRules
from warp_repo.cache import AsyncRouteCache, CustomRouteValue, LcrRoute, RouteCache, async_connect

CHEAP, DEAR = uuid4(), uuid4()
ROUTES = [
    LcrRoute(carrier_id=DEAR, rate=Decimal("0.020000"), priority=2),
    LcrRoute(carrier_id=CHEAP, rate=Decimal("0.010000"), priority=1),
]


@pytest.fixture
def routes(client: redis.Redis) -> RouteCache:
    return RouteCache(client, scan_count=100)


def test_lcr_routes_are_a_json_array_under_the_seeds_name(routes: RouteCache, raw: redis.Redis) -> None:
    assert routes.lcr("1415") is None
    assert routes.fill_lcr("1415", ROUTES) is True
    assert raw.type("route:lcr:1415") == "string"
    assert json.loads(raw.get("route:lcr:1415") or "") == [
        {"carrier_id": str(CHEAP), "rate": "0.010000", "priority": 1},
        {"carrier_id": str(DEAR), "rate": "0.020000", "priority": 2},
    ]
    assert 290 <= raw.ttl("route:lcr:1415") <= 300
    assert routes.lcr("1415") == (ROUTES[1], ROUTES[0])


def test_no_route_is_a_cached_answer(routes: RouteCache, raw: redis.Redis) -> None:
    routes.fill_lcr("999", [])
    assert raw.get("route:lcr:999") == "[]"
    assert routes.lcr("999") == ()


def test_invalidating_a_prefix_drops_every_longer_prefix(routes: RouteCache, raw: redis.Redis) -> None:
    for prefix in ("1", "14", "1415", "14155", "44", "4420"):
        routes.fill_lcr(prefix, ROUTES)
    assert routes.invalidate_lcr("14") == 3
    assert sorted(raw.scan_iter("route:lcr:*")) == ["route:lcr:1", "route:lcr:44", "route:lcr:4420"]
    assert routes.invalidate_lcr("44", exact=True) == 1
    assert sorted(raw.scan_iter("route:lcr:*")) == ["route:lcr:1", "route:lcr:4420"]
    assert routes.invalidate_lcr() == 2
    assert list(raw.scan_iter("route:lcr:*")) == []


def test_bulk_invalidation_walks_many_scan_pages(routes: RouteCache, raw: redis.Redis) -> None:
    for n in range(1000):
        routes.fill_lcr(f"1{n:03d}", ROUTES)
    routes.fill_lcr("2000", ROUTES)
    raw.set("route:lcrx", "not ours")
    assert routes.invalidate_lcr("1") == 1000
    assert raw.dbsize() == 2
    assert raw.exists("route:lcr:2000", "route:lcrx") == 2


def test_custom_routes_are_hashes_per_org_and_pattern(routes: RouteCache, raw: redis.Redis) -> None:
    org = uuid4()
    value = CustomRouteValue(
        action="forward", destination="sip:pbx.acme.example", transform=TransformRules(prepend="9")
    )
    assert routes.custom(org, "+1415*") is None
    assert routes.fill_custom(org, "+1415*", value) is True
    key = f"route:custom:{org}:+1415*"
    assert raw.hgetall(key) == {
        "action": "forward",
        "destination": "sip:pbx.acme.example",
        "transform": '{"prepend":"9","strip_digits":0}',
    }
    assert 290 <= raw.ttl(key) <= 300
    assert routes.custom(org, "+1415*") == value
    # a fill replaces the whole hash
    routes.fill_custom(org, "+1415*", CustomRouteValue(action="reject"))
    assert set(raw.hgetall(key)) == {"action", "transform"}


def test_invalidating_an_org_leaves_other_orgs(routes: RouteCache, raw: redis.Redis) -> None:
    acme, other = uuid4(), uuid4()
    for pattern in ("+1*", "+44*", "^sip:.*[0-9]$", "exact?"):
        routes.fill_custom(acme, pattern, CustomRouteValue(action="route"))
    routes.fill_custom(other, "+1*", CustomRouteValue(action="route"))
    assert routes.invalidate_custom(acme, "+44*") == 1
    assert routes.invalidate_custom(acme) == 3
    assert list(raw.scan_iter(f"route:custom:{acme}:*")) == []
    assert raw.exists(f"route:custom:{other}:+1*")


def test_unreadable_entries_are_misses(routes: RouteCache, raw: redis.Redis) -> None:
    org = uuid4()
    raw.set("route:lcr:1", "{not json")
    raw.hset(f"route:custom:{org}:1", "action", "teleport")
    assert routes.lcr("1") is None
    assert routes.custom(org, "1") is None


def test_the_async_cache(redis_url: str, raw: redis.Redis) -> None:
    org = uuid4()

    async def main() -> tuple[object, ...]:
        client = async_connect(redis_url)
        try:
            cache = AsyncRouteCache(client, scan_count=2)
            await cache.fill_lcr("33", ROUTES)
            await cache.fill_custom(org, "+33*", CustomRouteValue(action="voicemail"))
            got = (await cache.lcr("33"), await cache.custom(org, "+33*"))
            dropped = (await cache.invalidate_lcr("3"), await cache.invalidate_custom(org))
            return got, dropped
        finally:
            await client.aclose()

    got, dropped = asyncio.run(main())
    assert got == ((ROUTES[1], ROUTES[0]), CustomRouteValue(action="voicemail"))
    assert dropped == (1, 1)
    assert raw.dbsize() == 0
