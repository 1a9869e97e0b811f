"""Rate limiters: exact under concurrency, every ``rate:`` key always with a TTL, limits from the limit keys."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from uuid import UUID, uuid4

import pytest
import redis

from warp_repo.cache import (
    ApiRateLimiter,
    AsyncApiRateLimiter,
    AsyncCallRateLimiter,
    CallRateLimiter,
    RateDecision,
    async_connect,
    connect,
)

NOW = 1_800_000_030.25  # 30.25 s into a minute, so a whole test stays in one window
MINUTE_START = 1_800_000_000


class Clock:
    """A clock the test moves."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@contextmanager
def watching_rate_ttls(url: str) -> Iterator[list[int]]:
    """Sample the PTTL of every ``rate:`` key until the block ends; yields the samples, all checked after."""
    samples: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        with redis.Redis.from_url(url, decode_responses=True) as watcher:
            while not stop.is_set():
                for key in watcher.scan_iter("rate:*", count=1000):
                    samples.append(watcher.pttl(key))

    thread = threading.Thread(target=watch)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join(10)
    assert -1 not in samples, "a rate: key was seen without a TTL"


def _all_rate_keys_have_ttls(raw: redis.Redis) -> list[str]:
    keys = sorted(raw.scan_iter("rate:*"))
    assert keys, "no rate: key to check"
    for key in keys:
        assert raw.pttl(key) > 0, key
    return keys


def test_a_thousand_threads_against_a_limit_of_a_hundred(redis_url: str, raw: redis.Redis) -> None:
    key_id = uuid4()
    with connect(redis_url, timeout=5, max_connections=64) as client:
        limiter = ApiRateLimiter(client, clock=Clock())
        limiter.set_limit(key_id, 100, ttl=timedelta(minutes=10))
        start = threading.Barrier(100)

        def ten_hits() -> list[RateDecision]:
            start.wait()
            return [limiter.hit(key_id, fallback_limit=1000) for _ in range(10)]

        with watching_rate_ttls(redis_url) as samples, ThreadPoolExecutor(100) as pool:
            decisions = [d for batch in pool.map(lambda _: ten_hits(), range(100)) for d in batch]
    assert len(decisions) == 1000
    assert sum(d.allowed for d in decisions) == 100
    assert not any(d.degraded for d in decisions)
    assert {d.limit for d in decisions} == {100}  # from rate:api:{key_id}:quota, not the fallback
    assert sorted(d.count for d in decisions if d.allowed) == list(range(1, 101))
    assert samples, "the watcher saw no rate: key"
    counter = f"rate:api:{key_id}:{MINUTE_START}"
    assert raw.get(counter) == "100"
    assert raw.get(f"rate:api:{key_id}:quota") == "100"
    assert _all_rate_keys_have_ttls(raw) == [counter, f"rate:api:{key_id}:quota"]
    assert 29_000 < raw.pttl(counter) <= 30_750 + 1000  # to the end of the window, plus a second of grace


def test_a_thousand_tasks_against_a_limit_of_a_hundred(redis_url: str, raw: redis.Redis) -> None:
    trunk = uuid4()

    async def main() -> list[RateDecision]:
        client = async_connect(redis_url, timeout=5, max_connections=50)
        try:
            limiter = AsyncCallRateLimiter(client, window=timedelta(minutes=1), clock=Clock())
            return await asyncio.gather(*(limiter.hit(trunk, fallback_limit=100) for _ in range(1000)))
        finally:
            await client.aclose()

    with watching_rate_ttls(redis_url) as samples:
        decisions = asyncio.run(main())
    assert sum(d.allowed for d in decisions) == 100
    assert {d.limit for d in decisions} == {100}  # no rate:calls:{trunk}:max: the fallback
    assert samples
    counter = f"rate:calls:{trunk}:{MINUTE_START}"
    assert raw.get(counter) == "100"
    assert _all_rate_keys_have_ttls(raw) == [counter]


def test_the_limit_key_wins_over_the_fallback_and_lapses(client: redis.Redis, raw: redis.Redis) -> None:
    trunk = uuid4()
    limiter = CallRateLimiter(client, clock=Clock())
    limiter.set_limit(trunk, 2, ttl=timedelta(seconds=30))
    assert raw.get(f"rate:calls:{trunk}:max") == "2"
    assert 25_000 < raw.pttl(f"rate:calls:{trunk}:max") <= 30_000
    assert [limiter.hit(trunk, fallback_limit=5).allowed for _ in range(3)] == [True, True, False]
    limiter.clear_limit(trunk)
    assert [limiter.hit(trunk, fallback_limit=5).allowed for _ in range(4)] == [True, True, True, False]
    raw.set(f"rate:calls:{trunk}:max", "lots", ex=30)  # unreadable: the fallback applies
    assert limiter.hit(trunk, fallback_limit=6).allowed
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        limiter.set_limit(trunk, -1)


def test_refused_hits_are_not_counted_and_windows_roll(client: redis.Redis, raw: redis.Redis) -> None:
    trunk, clock = uuid4(), Clock(1_800_000_000.5)
    limiter = CallRateLimiter(client, clock=clock)  # one-second windows
    first = [limiter.hit(trunk, fallback_limit=3) for _ in range(5)]
    assert [d.allowed for d in first] == [True, True, True, False, False]
    assert first[-1].count == 3 and first[-1].remaining == 0
    assert first[-1].reset_after == timedelta(seconds=0.5)
    assert limiter.count(trunk) == 3
    clock.now += 1
    assert limiter.hit(trunk, fallback_limit=3).allowed
    assert raw.get(f"rate:calls:{trunk}:1800000000") == "3"
    assert raw.get(f"rate:calls:{trunk}:1800000001") == "1"
    assert all(0 < raw.pttl(k) <= 2000 for k in _all_rate_keys_have_ttls(raw))


def test_a_hit_may_cost_more_than_one(client: redis.Redis) -> None:
    key_id = uuid4()
    limiter = ApiRateLimiter(client, clock=Clock())
    assert limiter.hit(key_id, fallback_limit=10, cost=7).allowed
    refused = limiter.hit(key_id, fallback_limit=10, cost=4)
    assert not refused.allowed and refused.count == 7 and refused.remaining == 3
    assert limiter.hit(key_id, fallback_limit=10, cost=3).count == 10


def test_a_limit_of_zero_refuses_without_leaving_a_key(client: redis.Redis, raw: redis.Redis) -> None:
    decision = ApiRateLimiter(client, clock=Clock()).hit(uuid4(), fallback_limit=0)
    assert not decision.allowed
    assert raw.dbsize() == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda c: ApiRateLimiter(c, window=timedelta(milliseconds=1500)),
        lambda c: CallRateLimiter(c, window=timedelta(0)),
        lambda c: CallRateLimiter(c, on_unavailable="maybe"),  # type: ignore[arg-type]
    ],
)
def test_bad_settings_are_refused(client: redis.Redis, make: Callable[[redis.Redis], object]) -> None:
    with pytest.raises(ValueError, match="window|on_unavailable"):
        make(client)


def test_the_async_api_limiter_names_keys_by_key_id(redis_url: str, raw: redis.Redis) -> None:
    key_id: UUID = uuid4()

    async def main() -> RateDecision:
        client = async_connect(redis_url)
        try:
            limiter = AsyncApiRateLimiter(client, clock=Clock())
            await limiter.set_limit(key_id, 5)
            return await limiter.hit(key_id, fallback_limit=1)
        finally:
            await client.aclose()

    decision = asyncio.run(main())
    assert (decision.allowed, decision.limit, decision.count) == (True, 5, 1)
    assert _all_rate_keys_have_ttls(raw) == [f"rate:api:{key_id}:{MINUTE_START}", f"rate:api:{key_id}:quota"]
