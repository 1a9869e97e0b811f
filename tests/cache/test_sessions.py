"""Sessions: stored under ``session:{id}`` until ``expires``, extended by touch, revoked one by one or all."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from ipaddress import IPv6Address
from uuid import UUID, uuid4

import pytest
import redis

from warp_repo.cache import (
    AsyncSessionStore,
    CacheDataError,
    CacheKeys,
    SessionStore,
    SessionValue,
    async_connect,
    connect,
)

HOUR = timedelta(hours=1)


def _session(user_id: UUID | None = None, *, lasting: timedelta = HOUR) -> SessionValue:
    return SessionValue(
        user_id=user_id or uuid4(),
        org_id=uuid4(),
        ip=IPv6Address("2001:db8::7"),
        expires=datetime.now(UTC) + lasting,
    )


@pytest.fixture
def sessions(client: redis.Redis) -> SessionStore:
    return SessionStore(client, idle_timeout=timedelta(minutes=30))


def test_a_session_is_a_hash_under_the_seeds_name_that_expires_with_it(
    sessions: SessionStore, raw: redis.Redis
) -> None:
    value = _session()
    sid = sessions.create(value)
    assert raw.type(f"session:{sid}") == "hash"
    assert raw.hgetall(f"session:{sid}") == {
        "user_id": str(value.user_id),
        "org_id": str(value.org_id),
        "ip": "2001:db8::7",
        "expires": str(int(value.expires.timestamp())),
    }
    assert abs(raw.ttl(f"session:{sid}") - (value.expires.timestamp() - time.time())) <= 1
    assert sessions.get(sid) == value
    assert sessions.get("no-such-session") is None


def test_the_user_index_lists_live_sessions_and_expires_with_the_last(sessions: SessionStore, raw: redis.Redis) -> None:
    user = uuid4()
    short = sessions.create(_session(user, lasting=timedelta(minutes=5)))
    long = sessions.create(_session(user, lasting=HOUR))
    index = f"sessions:user:{user}"
    assert raw.type(index) == "zset"
    assert raw.zrange(index, 0, -1) == [short, long]
    assert 3590 <= raw.ttl(index) <= 3600
    assert sessions.sessions_of(user) == [short, long]


def test_expired_sessions_are_gone_and_leave_the_index(
    sessions: SessionStore, client: redis.Redis, raw: redis.Redis
) -> None:
    user = uuid4()
    sid = sessions.create(_session(user))
    raw.pexpire(f"session:{sid}", 1)
    time.sleep(0.01)
    assert sessions.get(sid) is None
    assert sessions.touch(sid) is None
    assert not raw.exists(f"session:{sid}")  # touch did not bring it back
    # the next write for the user drops index members whose expiry has passed
    clock_after = time.time() + 2 * 3600
    later = SessionStore(client, clock=lambda: clock_after)
    new = later.create(_session(user, lasting=3 * HOUR))
    assert raw.zrange(f"sessions:user:{user}", 0, -1) == [new]


def test_touch_slides_the_expiry_of_the_hash_the_key_and_the_index(sessions: SessionStore, raw: redis.Redis) -> None:
    value = _session(lasting=timedelta(minutes=1))
    sid = sessions.create(value)
    new_expiry = sessions.touch(sid, ttl=timedelta(hours=2))
    assert new_expiry is not None
    assert abs(new_expiry.timestamp() - (time.time() + 7200)) <= 2
    assert raw.hget(f"session:{sid}", "expires") == str(int(new_expiry.timestamp()))
    assert 7190 <= raw.ttl(f"session:{sid}") <= 7200
    assert raw.zscore(f"sessions:user:{value.user_id}", sid) == new_expiry.timestamp()
    assert 7190 <= raw.ttl(f"sessions:user:{value.user_id}") <= 7200
    # a shorter touch never shortens the session
    assert sessions.touch(sid, ttl=timedelta(minutes=1)) == new_expiry
    assert 7190 <= raw.ttl(f"session:{sid}") <= 7200
    # the default extension is the idle timeout
    fresh = sessions.create(_session(lasting=timedelta(seconds=30)))
    sessions.touch(fresh)
    assert 1790 <= raw.ttl(f"session:{fresh}") <= 1800


def test_revoke_one_and_revoke_all(sessions: SessionStore, raw: redis.Redis) -> None:
    user, other = uuid4(), uuid4()
    first, second, third = (sessions.create(_session(user)) for _ in range(3))
    bystander = sessions.create(_session(other))
    assert sessions.revoke(first) is True
    assert sessions.revoke(first) is False
    assert set(raw.zrange(f"sessions:user:{user}", 0, -1)) == {second, third}
    assert not raw.exists(f"session:{first}")
    assert sessions.revoke_all(user) == 2
    assert raw.exists(f"session:{second}", f"session:{third}", f"sessions:user:{user}") == 0
    assert sessions.get(bystander) is not None
    assert sessions.revoke_all(user) == 0


def test_create_refuses_a_session_already_over(sessions: SessionStore) -> None:
    with pytest.raises(ValueError, match="not in the future"):
        sessions.create(_session(lasting=-timedelta(seconds=1)))


def test_a_hash_that_is_not_a_session_is_reported(sessions: SessionStore, raw: redis.Redis) -> None:
    raw.hset("session:forged", mapping={"user_id": "root"})
    with pytest.raises(CacheDataError, match=r"a session:\* entry does not hold a session") as caught:
        sessions.get("forged")
    assert "forged" not in str(caught.value)  # the session id is a credential: only the attribute holds it
    assert caught.value.key == "session:forged"


def test_a_namespace_keeps_sessions_apart(redis_url: str, raw: redis.Redis) -> None:
    with connect(redis_url) as client:
        tenant_a = SessionStore(client, keys=CacheKeys("a"))
        tenant_b = SessionStore(client, keys=CacheKeys("b"))
        sid = tenant_a.create(_session())
        assert raw.exists(f"a:session:{sid}") and not raw.exists(f"session:{sid}")
        assert tenant_b.get(sid) is None
        assert tenant_a.get(sid) is not None


def test_the_async_store_shares_the_format(redis_url: str, raw: redis.Redis) -> None:
    value = _session()

    async def main() -> tuple[str, SessionValue | None, datetime | None, int]:
        client = async_connect(redis_url, timeout=2)
        try:
            store = AsyncSessionStore(client)
            sid = await store.create(value)
            got = await store.get(sid)
            touched = await store.touch(sid, ttl=2 * HOUR)
            revoked = await store.revoke_all(value.user_id)
            return sid, got, touched, revoked
        finally:
            await client.aclose()

    sid, got, touched, revoked = asyncio.run(main())
    assert got == value
    assert touched is not None and touched > value.expires
    assert revoked == 1
    assert not raw.exists(f"session:{sid}")
    # and what the async store writes, the sync one reads
    with connect(redis_url) as client:
        sid = asyncio.run(_create_async(redis_url, value))
        assert SessionStore(client).get(sid) == value
        assert raw.hgetall(f"session:{sid}")["user_id"] == str(value.user_id)


async def _create_async(url: str, value: SessionValue) -> str:
    client = async_connect(url)
    try:
        return await AsyncSessionStore(client).create(value)
    finally:
        await client.aclose()
