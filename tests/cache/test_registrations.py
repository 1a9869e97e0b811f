"""Registrations: a hash per trunk that expires with the registration, and a ``trunks:online`` set that follows."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import redis

from warp_repo.cache import (
    AsyncRegistrationCache,
    CacheDataError,
    RegistrationCache,
    RegistrationValue,
    async_connect,
)


def _registration(lasting: timedelta = timedelta(minutes=10), **extra: str) -> RegistrationValue:
    return RegistrationValue(
        contact="sip:acme-primary@198.51.100.20:5060;transport=udp",
        expires=datetime.now(UTC) + lasting,
        user_agent="Asterisk PBX 20.5",
        **extra,
    )


@pytest.fixture
def registrations(client: redis.Redis) -> RegistrationCache:
    return RegistrationCache(client)


def test_the_sip_proxy_reads_a_registration_with_hgetall(registrations: RegistrationCache, raw: redis.Redis) -> None:
    trunk = uuid4()
    value = _registration()
    registrations.register(trunk, value)
    assert raw.hgetall(f"registration:{trunk}") == {
        "contact": "sip:acme-primary@198.51.100.20:5060;transport=udp",
        "expires": str(int(value.expires.timestamp())),
        "user_agent": "Asterisk PBX 20.5",
    }
    assert abs(raw.ttl(f"registration:{trunk}") - (value.expires.timestamp() - time.time())) <= 1
    assert raw.smembers("trunks:online") == {str(trunk)}
    assert raw.sismember("trunks:online", str(trunk))
    assert registrations.get(trunk) == value
    assert registrations.is_online(trunk)


def test_a_new_registration_replaces_every_field(registrations: RegistrationCache, raw: redis.Redis) -> None:
    trunk = uuid4()
    registrations.register(trunk, _registration(received="203.0.113.9:5060"))
    registrations.register(trunk, RegistrationValue(contact="sip:b@h", expires=datetime.now(UTC) + timedelta(hours=1)))
    assert set(raw.hgetall(f"registration:{trunk}")) == {"contact", "expires"}
    assert 3590 <= raw.ttl(f"registration:{trunk}") <= 3600


def test_an_expired_registration_is_not_reported_online(registrations: RegistrationCache, raw: redis.Redis) -> None:
    staying, leaving = uuid4(), uuid4()
    registrations.register(staying, _registration())
    registrations.register(leaving, _registration())
    raw.pexpire(f"registration:{leaving}", 1)
    time.sleep(0.01)
    assert raw.smembers("trunks:online") == {str(staying), str(leaving)}  # Redis cannot expire a member
    assert not registrations.is_online(leaving)
    assert registrations.get(leaving) is None
    assert registrations.online() == frozenset({staying})
    assert raw.smembers("trunks:online") == {str(staying)}  # the read pruned it


def test_members_written_by_another_component_are_checked_too(
    registrations: RegistrationCache, raw: redis.Redis
) -> None:
    by_proxy, stale = uuid4(), uuid4()
    raw.hset(f"registration:{by_proxy}", mapping={"contact": "sip:x@h", "expires": str(int(time.time()) + 60)})
    raw.expire(f"registration:{by_proxy}", 60)
    raw.sadd("trunks:online", str(by_proxy), str(stale))
    assert registrations.online() == frozenset({by_proxy})


def test_unregister_removes_both(registrations: RegistrationCache, raw: redis.Redis) -> None:
    trunk = uuid4()
    registrations.register(trunk, _registration())
    assert registrations.unregister(trunk) is True
    assert registrations.unregister(trunk) is False
    assert not raw.exists(f"registration:{trunk}")
    assert not raw.sismember("trunks:online", str(trunk))
    assert registrations.online() == frozenset()


def test_refusals(registrations: RegistrationCache, raw: redis.Redis) -> None:
    with pytest.raises(ValueError, match="not in the future"):
        registrations.register(uuid4(), _registration(lasting=-timedelta(seconds=5)))
    raw.sadd("trunks:online", "not-a-uuid")
    raw.hset("registration:not-a-uuid", "contact", "sip:x@h")
    with pytest.raises(CacheDataError, match="trunks:online"):
        registrations.online()
    trunk = uuid4()
    raw.hset(f"registration:{trunk}", mapping={"contact": "tel:+14155550100", "expires": "1"})
    with pytest.raises(CacheDataError):
        registrations.get(trunk)


def test_the_async_cache(redis_url: str, raw: redis.Redis) -> None:
    trunk = uuid4()
    value = _registration()

    async def main() -> tuple[RegistrationValue | None, frozenset[UUID], bool]:
        client = async_connect(redis_url)
        try:
            cache = AsyncRegistrationCache(client)
            await cache.register(trunk, value)
            got, online = await cache.get(trunk), await cache.online()
            return got, online, await cache.unregister(trunk)
        finally:
            await client.aclose()

    assert asyncio.run(main()) == (value, frozenset({trunk}), True)
    assert not raw.exists(f"registration:{trunk}", "trunks:online")
