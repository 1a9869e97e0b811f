"""Redis down or frozen: every store answers within its bound, as its purpose needs, and never re-sends a hit.

Each test runs its own server and kills or freezes it (SIGKILL, SIGSTOP); the shared server is never touched.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from ipaddress import IPv4Address
from uuid import uuid4

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from warp_models.organizations import ApiKey
from warp_repo.cache import (
    ApiKeyCache,
    ApiRateLimiter,
    AsyncApiKeyCache,
    AsyncCallRateLimiter,
    AsyncSessionStore,
    CacheKeys,
    CacheUnavailable,
    CallRateLimiter,
    CustomRouteValue,
    FailMode,
    LcrRoute,
    RegistrationCache,
    RegistrationValue,
    RouteCache,
    SessionStore,
    SessionValue,
    _scripts,
    async_connect,
    connect,
)

from .support import ApiKeyTable, PrivateRedis

TIMEOUT = 0.2
BOUND = 1.0  # seconds: two attempts of TIMEOUT each, with room for a loaded machine


@contextmanager
def within(seconds: float) -> Iterator[None]:
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"took {elapsed:.2f} s, more than {seconds} s"


@contextmanager
def frozen(server: PrivateRedis) -> Iterator[None]:
    server.pause()
    try:
        yield
    finally:
        server.resume()


def _session() -> SessionValue:
    return SessionValue(
        user_id=uuid4(), org_id=uuid4(), ip=IPv4Address("192.0.2.1"), expires=datetime.now(UTC) + timedelta(hours=1)
    )


@pytest.mark.parametrize("failure", ["killed", "frozen"])
def test_session_reads_fail_with_a_typed_error_in_bounded_time(private_redis: PrivateRedis, failure: str) -> None:
    with connect(private_redis.url, timeout=TIMEOUT) as client:
        sessions = SessionStore(client)
        sid = sessions.create(_session())
        if failure == "killed":
            private_redis.kill()
            with within(BOUND), pytest.raises(CacheUnavailable, match="session store could not read a session"):
                sessions.get(sid)
        else:
            with frozen(private_redis), within(BOUND), pytest.raises(CacheUnavailable) as caught:
                sessions.get(sid)
            assert caught.value.operation == "read a session"
            assert isinstance(caught.value.__cause__, redis.RedisError)
            assert sessions.get(sid) is not None  # the same client recovers once Redis answers


def test_async_session_reads_fail_the_same_way(private_redis: PrivateRedis) -> None:
    async def main() -> None:
        client = async_connect(private_redis.url, timeout=TIMEOUT)
        try:
            sessions = AsyncSessionStore(client)
            sid = await sessions.create(_session())
            private_redis.kill()
            with within(BOUND), pytest.raises(CacheUnavailable):
                await sessions.get(sid)
        finally:
            await client.aclose()

    asyncio.run(main())


def test_registration_cache_raises_too(private_redis: PrivateRedis) -> None:
    with connect(private_redis.url, timeout=TIMEOUT) as client:
        registrations = RegistrationCache(client)
        private_redis.kill()
        value = RegistrationValue(contact="sip:a@h", expires=datetime.now(UTC) + timedelta(minutes=1))
        with within(BOUND), pytest.raises(CacheUnavailable):
            registrations.register(uuid4(), value)
        with within(BOUND), pytest.raises(CacheUnavailable):
            registrations.online()


@pytest.mark.parametrize("failure", ["killed", "frozen"])
def test_the_api_key_cache_falls_through_to_the_database(
    private_redis: PrivateRedis, api_keys: ApiKeyTable, failure: str
) -> None:
    key_hash, key_id = api_keys.add()
    with connect(private_redis.url, timeout=TIMEOUT) as client:
        cache = ApiKeyCache(client, api_keys.load)
        assert cache.get(key_hash) is not None
        api_keys.loads.clear()
        if failure == "killed":
            private_redis.kill()
            for _ in range(2):
                with within(BOUND):
                    value = cache.get(key_hash)
                assert value is not None and value.key_id == key_id
        else:
            with frozen(private_redis), within(2 * BOUND):
                assert cache.get(key_hash) is not None
                assert cache.get("0" * 64) is None
        assert len(api_keys.loads) == 2  # every read went to the database
        if failure == "killed":
            with within(BOUND), pytest.raises(CacheUnavailable):
                cache.invalidate(key_hash)  # a revocation that did not reach the cache is reported


def test_the_async_api_key_cache_falls_through_too(private_redis: PrivateRedis, api_keys: ApiKeyTable) -> None:
    key_hash, key_id = api_keys.add()

    async def load(h: str) -> ApiKey | None:
        return api_keys.load(h)

    async def main() -> None:
        client = async_connect(private_redis.url, timeout=TIMEOUT)
        try:
            cache = AsyncApiKeyCache(client, load)
            private_redis.kill()
            with within(BOUND):
                value = await cache.get(key_hash)
            assert value is not None and value.key_id == key_id
        finally:
            await client.aclose()

    asyncio.run(main())


def test_route_reads_miss_fills_skip_and_invalidations_raise(private_redis: PrivateRedis) -> None:
    org = uuid4()
    with connect(private_redis.url, timeout=TIMEOUT) as client:
        routes = RouteCache(client)
        routes.fill_lcr("1", [LcrRoute(carrier_id=org, rate=Decimal("0.01"), priority=1)])
        with frozen(private_redis):
            with within(BOUND):
                assert routes.lcr("1") is None
            with within(BOUND):
                assert routes.fill_custom(org, "+1*", CustomRouteValue(action="route")) is False
            with within(BOUND), pytest.raises(CacheUnavailable):
                routes.invalidate_lcr("1")
            with within(BOUND), pytest.raises(CacheUnavailable):
                routes.invalidate_custom(org)


@pytest.mark.parametrize("mode", ["open", "closed"])
@pytest.mark.parametrize("failure", ["killed", "frozen"])
def test_limiters_fail_open_or_closed_as_configured(private_redis: PrivateRedis, mode: FailMode, failure: str) -> None:
    with connect(private_redis.url, timeout=TIMEOUT) as client:
        limiter = ApiRateLimiter(client, on_unavailable=mode)
        assert limiter.hit(uuid4(), fallback_limit=10).degraded is False
        if failure == "killed":
            private_redis.kill()
            with within(BOUND):
                decision = limiter.hit(uuid4(), fallback_limit=10)
        else:
            with frozen(private_redis), within(BOUND):
                decision = limiter.hit(uuid4(), fallback_limit=10)
        assert decision.degraded is True
        assert decision.allowed is (mode == "open")
        assert decision.limit == 10 and decision.count == 0


def test_the_async_limiter_fails_closed_as_configured(private_redis: PrivateRedis) -> None:
    async def main() -> bool:
        client = async_connect(private_redis.url, timeout=TIMEOUT)
        try:
            limiter = AsyncCallRateLimiter(client, on_unavailable="closed")
            private_redis.kill()
            decision = await limiter.hit(uuid4(), fallback_limit=100)
            return decision.allowed or not decision.degraded
        finally:
            await client.aclose()

    assert asyncio.run(main()) is False


STALL = 0.75  # seconds the server stays frozen: longer than one timeout, shorter than two


def _hits_counted_after_a_stall(server: PrivateRedis, hit: Callable[[], object]) -> int:
    """Freeze the server for ``STALL`` while one hit is made, then count what the server counted."""
    server.pause()
    thaw = threading.Timer(STALL, server.resume)
    thaw.start()
    try:
        hit()
    finally:
        thaw.join()
    time.sleep(0.3)  # let the thawed server run whatever was queued on its sockets
    with redis.Redis.from_url(server.url, decode_responses=True) as raw:
        return sum(int(raw.get(k) or 0) for k in raw.scan_iter("rate:calls:*") if not k.endswith(":max"))


def test_a_hit_whose_answer_is_lost_is_not_sent_again(private_redis: PrivateRedis) -> None:
    trunk = uuid4()
    decisions = []
    with connect(private_redis.url, timeout=0.5) as client:
        limiter = CallRateLimiter(client, window=timedelta(minutes=1))
        limiter.hit(uuid4(), fallback_limit=100)  # warm-up: loads the script and opens the connection
        counted = _hits_counted_after_a_stall(
            private_redis, lambda: decisions.append(limiter.hit(trunk, fallback_limit=100))
        )
    assert decisions[0].degraded  # the answer was lost ...
    assert counted == 1 + 1  # ... and the hit was counted once, by the command sent before the stall


def test_a_client_that_retries_by_itself_counts_a_hit_twice(private_redis: PrivateRedis) -> None:
    """The hazard the SDK's clients avoid: redis-py's own retries re-send the counting script after a timeout."""
    keys, trunk = CacheKeys(), uuid4()
    with redis.Redis.from_url(
        private_redis.url, socket_timeout=0.5, retry=Retry(NoBackoff(), 3), decode_responses=True
    ) as retrying:
        script = retrying.register_script(_scripts.RATE_HIT)
        script(keys=[keys.call_rate(uuid4(), 0), keys.call_max(trunk)], args=[100, 1, 60_000])  # warm-up
        counted = _hits_counted_after_a_stall(
            private_redis,
            lambda: script(keys=[keys.call_rate(trunk, 0), keys.call_max(trunk)], args=[100, 1, 60_000]),
        )
    assert counted == 1 + 2  # one logical hit, counted by the first send and by the retry


def test_idempotent_reads_are_retried_once(private_redis: PrivateRedis) -> None:
    """The first read times out while the server is frozen; the retry gets the answer once it thaws."""
    with connect(private_redis.url, timeout=1.0) as client:
        sessions = SessionStore(client, read_retries=1)
        sid = sessions.create(_session())
        private_redis.pause()
        thaw = threading.Timer(1.5, private_redis.resume)
        thaw.start()
        started = time.monotonic()
        try:
            value = sessions.get(sid)
        finally:
            thaw.join()
        elapsed = time.monotonic() - started
    assert value is not None
    assert 1.0 <= elapsed < 2.5  # the first attempt timed out, the second answered
