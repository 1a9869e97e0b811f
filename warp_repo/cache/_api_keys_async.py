"""The API-key cache: ``api_key:{key_hash}`` in front of the ``api_keys`` table (cache-aside).

Written once, as async code, in ``_api_keys_async.py``; ``_api_keys_sync.py`` is generated from it by
``tools/async_to_sync.py``.

A read tries the cache, and on a miss asks the loader (the database) and stores what it said, including "no
such key" for a short while (negative caching), so a flood of bad keys reaches the database once per
``negative_ttl`` per key, and a key created meanwhile is found at most ``negative_ttl`` late (or at once, if its
creator calls :meth:`invalidate`).

Revocation must take effect at once, and a plain delete is not enough for that: a reader that loaded the row
just before the revocation committed would put the old row back after the delete. So each miss takes a lease
(``lease:api_key:{key_hash}``, a random token) before asking the loader, and the fill writes only if that lease
still stands; :meth:`invalidate` deletes the entry and the lease together.

When Redis is down or stalled the cache steps aside: reads go to the loader within the client's timeout and
nothing is stored. Only :meth:`invalidate` raises, because a revocation that did not reach the cache must be
known.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import Protocol

from pydantic import SecretStr
from redis.asyncio import Redis as AsyncRedis

from warp_models.organizations import ApiKey
from warp_repo.cache import _scripts
from warp_repo.cache._base_async import AsyncStore
from warp_repo.cache._common import flat, ms
from warp_repo.cache._errors import CacheError
from warp_repo.cache._keys import CacheKeys
from warp_repo.cache._values import NO_SUCH_KEY, ApiKeyValue, api_key_entry

__all__ = ["AsyncApiKeyCache", "AsyncApiKeyLoader"]


class AsyncApiKeyLoader(Protocol):
    """Finds the ``api_keys`` row with a given ``key_hash``, or ``None``; e.g. a repository's lookup."""

    async def __call__(self, key_hash: str, /) -> ApiKey | None:
        """The row whose ``key_hash`` is ``key_hash``, or ``None`` when there is none."""
        ...


class AsyncApiKeyCache(AsyncStore):
    """Cache-aside lookups of API keys by hash.

    Args:
        client: see :class:`AsyncStore`.
        loader: reads the database on a miss.
        ttl: how long a found key is cached (less when the key expires sooner).
        negative_ttl: how long "no such key" is cached; at most ``ttl``; zero turns negative caching off.
        lease_ttl: how long a reader may take between its miss and its fill; a slower loader's answer is
            returned but not cached.
        keys: key names (namespace); the seed's by default.
        read_retries: tries after a failure, for the commands that are safe to repeat.
        clock: the time in Unix seconds.
    """

    _what = "API-key cache"

    def __init__(
        self,
        client: AsyncRedis,
        loader: AsyncApiKeyLoader,
        *,
        ttl: timedelta = timedelta(minutes=5),
        negative_ttl: timedelta = timedelta(seconds=30),
        lease_ttl: timedelta = timedelta(seconds=10),
        keys: CacheKeys | None = None,
        read_retries: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(client, keys=keys, read_retries=read_retries, clock=clock)
        if ttl <= timedelta(0) or lease_ttl <= timedelta(0):
            raise ValueError(f"ttl and lease_ttl must be positive, not {ttl} and {lease_ttl}")
        if not timedelta(0) <= negative_ttl <= ttl:
            raise ValueError(f"negative_ttl must be between zero and ttl ({ttl}), not {negative_ttl}")
        self._loader = loader
        self._ttl = ttl
        self._negative_ttl = negative_ttl
        self._lease_ttl = lease_ttl

    async def get(self, key_hash: str | SecretStr) -> ApiKeyValue | None:
        """The key with this hash, from the cache or else from the loader; ``None`` when there is none.

        The value says whether the key may be used now (:meth:`ApiKeyValue.is_usable`): a revoked or expired
        key is returned as such, not hidden.

        Args:
            key_hash: ``api_keys.key_hash`` as stored: one of ``api_key_lookup_hashes(token, peppers)``, or
                ``issue_api_key(...).key_hash``.

        Raises:
            ValueError: ``key_hash`` is empty or holds spaces or control characters (the message never shows it).
            Whatever the loader raises (the database being down, say); never a Redis error.
        """
        key = self._keys.api_key(key_hash)
        key_hash = _text(key_hash)
        try:
            fields = await self._idempotent("read an API key", lambda: self._client.hgetall(key))
        except CacheError:
            return await self._load(key_hash)  # Redis is unavailable: the database answers, nothing is cached
        if fields:
            with suppress(ValueError):  # unreadable (not ours, or an older release's): a miss, then overwritten
                return api_key_entry(fields)
        return await self._load_and_fill(key_hash, key)

    async def invalidate(self, key_hash: str | SecretStr) -> None:
        """Drop the cached entry now; call it after the transaction that revokes, changes or creates the key.

        Raises:
            ValueError: ``key_hash`` is empty or holds spaces or control characters (the message never shows it).
            CacheUnavailable: Redis did not answer; the old entry may live until its TTL ends.
        """
        key, lease = self._keys.api_key(key_hash), self._keys.api_key_lease(key_hash)
        await self._idempotent("invalidate an API key", lambda: self._client.delete(key, lease))

    async def _load(self, key_hash: str) -> ApiKeyValue | None:
        row = await self._loader(key_hash)
        return None if row is None else ApiKeyValue.from_row(row)

    async def _load_and_fill(self, key_hash: str, key: str) -> ApiKeyValue | None:
        lease, token, lease_ms = self._keys.api_key_lease(key_hash), secrets.token_hex(16), ms(self._lease_ttl)
        try:
            await self._idempotent("take a fill lease", lambda: self._client.set(lease, token, px=lease_ms))
        except CacheError:
            return await self._load(key_hash)
        value = await self._load(key_hash)
        ttl = self._entry_ttl(value)
        if ttl > timedelta(0):
            fields = NO_SUCH_KEY if value is None else value.to_redis()
            args: list[str | int] = [token, ms(ttl), *flat(fields)]
            with suppress(CacheError):  # not cached: the answer stands, and the next read tries again
                await self._run_script("cache an API key", _scripts.API_KEY_FILL, [key, lease], args)
        return value

    def _entry_ttl(self, value: ApiKeyValue | None) -> timedelta:
        if value is None:
            return self._negative_ttl
        if value.expires_at is None:
            return self._ttl
        remaining = timedelta(seconds=value.expires_at.timestamp() - self._clock())
        return min(self._ttl, remaining) if remaining > timedelta(0) else self._negative_ttl


def _text(key_hash: str | SecretStr) -> str:
    return key_hash.get_secret_value() if isinstance(key_hash, SecretStr) else key_hash
