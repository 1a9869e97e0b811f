"""The API-key cache in front of a real ``api_keys`` table: hits, misses, revocation, negative entries."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import redis
from psycopg.rows import dict_row

from warp_models.organizations import ApiKey
from warp_repo.cache import ApiKeyCache, ApiKeyValue, AsyncApiKeyCache, CacheKeys, async_connect

from .support import ApiKeyTable, sdk_key_hash


def test_a_miss_loads_once_then_the_hash_serves(api_keys: ApiKeyTable, client: redis.Redis, raw: redis.Redis) -> None:
    key_hash, key_id = api_keys.add(rate_limit=250)
    cache = ApiKeyCache(client, api_keys.load, ttl=timedelta(minutes=5))
    first = cache.get(key_hash)
    assert first is not None
    assert (first.key_id, first.org_id, first.rate_limit, first.permissions) == (
        key_id,
        api_keys.org_id,
        250,
        ("trunks:read",),
    )
    assert api_keys.loads == [key_hash]
    assert cache.get(key_hash) == first
    assert api_keys.loads == [key_hash]  # served from Redis
    stored = raw.hgetall(f"api_key:{key_hash}")
    assert stored["org_id"] == str(api_keys.org_id)
    assert stored["permissions"] == '["trunks:read"]'
    assert stored["rate_limit"] == "250"
    assert 290 <= raw.ttl(f"api_key:{key_hash}") <= 300
    assert not raw.exists(f"lease:api_key:{key_hash}")  # the fill consumed its lease


def test_an_entry_lives_no_longer_than_its_key(api_keys: ApiKeyTable, client: redis.Redis, raw: redis.Redis) -> None:
    key_hash, _ = api_keys.add(expires_in="20 seconds")
    value = ApiKeyCache(client, api_keys.load, ttl=timedelta(minutes=5)).get(key_hash)
    assert value is not None and value.expires_at is not None
    assert 15 <= raw.ttl(f"api_key:{key_hash}") <= 20


def test_revocation_takes_effect_at_once(api_keys: ApiKeyTable, client: redis.Redis, raw: redis.Redis) -> None:
    key_hash, _ = api_keys.add()
    cache = ApiKeyCache(client, api_keys.load)
    assert (cached := cache.get(key_hash)) is not None and cached.is_usable(datetime.now(UTC))
    api_keys.revoke(key_hash)
    cache.invalidate(key_hash)
    assert not raw.exists(f"api_key:{key_hash}")
    again = cache.get(key_hash)
    assert again is not None and again.status == "revoked" and not again.is_usable(datetime.now(UTC))
    assert raw.hget(f"api_key:{key_hash}", "status") == "revoked"


def test_a_slow_reader_cannot_put_a_revoked_key_back(
    api_keys: ApiKeyTable, client: redis.Redis, raw: redis.Redis
) -> None:
    """The reader loads the active row, the key is revoked and invalidated, then the reader fills: it must not."""
    key_hash, _ = api_keys.add()
    loaded, release = threading.Event(), threading.Event()

    def slow_load(h: str) -> ApiKey | None:
        row = api_keys.load(h)
        loaded.set()
        release.wait(10)
        return row

    reader_saw: list[ApiKeyValue | None] = []
    reader = threading.Thread(target=lambda: reader_saw.append(ApiKeyCache(client, slow_load).get(key_hash)))
    reader.start()
    assert loaded.wait(10)
    api_keys.revoke(key_hash)
    ApiKeyCache(client, api_keys.load).invalidate(key_hash)
    release.set()
    reader.join(10)
    assert reader_saw[0] is not None and reader_saw[0].status == "active"  # it answered with what it read
    assert not raw.exists(f"api_key:{key_hash}")  # but did not cache it
    fresh = ApiKeyCache(client, api_keys.load).get(key_hash)
    assert fresh is not None and fresh.status == "revoked"


def test_unknown_keys_are_cached_briefly(api_keys: ApiKeyTable, client: redis.Redis, raw: redis.Redis) -> None:
    cache = ApiKeyCache(client, api_keys.load, negative_ttl=timedelta(seconds=30))
    unknown, other = sdk_key_hash(), sdk_key_hash()
    assert cache.get(unknown) is None
    assert cache.get(unknown) is None
    assert api_keys.loads == [unknown]
    assert raw.hgetall(f"api_key:{unknown}") == {"absent": "1"}
    assert 25 <= raw.ttl(f"api_key:{unknown}") <= 30
    # negative caching off: every miss asks the database, nothing is stored
    off = ApiKeyCache(client, api_keys.load, negative_ttl=timedelta(0))
    assert off.get(other) is None and off.get(other) is None
    assert api_keys.loads.count(other) == 2
    assert not raw.exists(f"api_key:{other}")


def test_a_key_created_after_a_negative_entry_is_found_once_invalidated(
    api_keys: ApiKeyTable, client: redis.Redis
) -> None:
    cache = ApiKeyCache(client, api_keys.load)
    key_hash = sdk_key_hash()
    assert cache.get(key_hash) is None
    api_keys.conn.execute(
        "INSERT INTO api_keys (org_id, key_hash, name) VALUES (%s, %s, 'late')", (api_keys.org_id, key_hash)
    )
    assert cache.get(key_hash) is None  # still the negative entry
    cache.invalidate(key_hash)
    assert cache.get(key_hash) is not None


def test_negative_ttl_is_bounded_by_ttl(api_keys: ApiKeyTable, client: redis.Redis) -> None:
    with pytest.raises(ValueError, match="negative_ttl"):
        ApiKeyCache(client, api_keys.load, ttl=timedelta(seconds=10), negative_ttl=timedelta(minutes=1))


def test_a_hash_that_is_not_an_api_key_is_a_miss(api_keys: ApiKeyTable, client: redis.Redis, raw: redis.Redis) -> None:
    key_hash, key_id = api_keys.add()
    raw.hset(f"api_key:{key_hash}", mapping={"org_id": "not-a-uuid"})
    value = ApiKeyCache(client, api_keys.load).get(key_hash)
    assert value is not None and value.key_id == key_id
    assert raw.hget(f"api_key:{key_hash}", "org_id") == str(api_keys.org_id)


def test_the_async_cache_with_an_async_loader(
    api_keys: ApiKeyTable, migrated_db_url: str, redis_url: str, raw: redis.Redis
) -> None:
    key_hash, key_id = api_keys.add()
    unknown = sdk_key_hash()
    loads: list[str] = []

    async def main() -> tuple[ApiKeyValue | None, ApiKeyValue | None, ApiKeyValue | None]:
        async with await psycopg.AsyncConnection.connect(migrated_db_url, row_factory=dict_row) as conn:

            async def load(h: str) -> ApiKey | None:
                loads.append(h)
                cursor = await conn.execute("SELECT * FROM api_keys WHERE key_hash = %s", (h,))
                row = await cursor.fetchone()
                await conn.rollback()
                return None if row is None else ApiKey.from_db(row)

            client = async_connect(redis_url)
            try:
                cache = AsyncApiKeyCache(client, load, keys=CacheKeys("async"))
                first, second = await cache.get(key_hash), await cache.get(key_hash)
                await cache.invalidate(key_hash)
                missing = await cache.get(unknown)
            finally:
                await client.aclose()
            return first, second, missing

    first, second, missing = asyncio.run(main())
    assert first is not None and first.key_id == key_id and second == first
    assert missing is None
    assert loads == [key_hash, unknown]
    assert not raw.exists(f"async:api_key:{key_hash}")
    assert raw.hgetall(f"async:api_key:{unknown}") == {"absent": "1"}
