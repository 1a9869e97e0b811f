"""The route caches: ``route:lcr:{prefix}`` (JSON arrays) and ``route:custom:{org_id}:{pattern}`` (hashes).

Written once, as async code, in ``_routes_async.py``; ``_routes_sync.py`` is generated from it by
``tools/async_to_sync.py``.

The caller owns the queries: on a miss it reads the database and hands the rows to ``fill_*``. When rates or
rules change, the code that changed them calls ``invalidate_*`` after its transaction commits; the bulk forms
walk the key space with ``SCAN`` (never ``KEYS``, which blocks the server) and delete with ``UNLINK``. Entries
also expire (``ttl``), which bounds how long a missed invalidation can serve stale routes.

Reads and fills never raise for Redis being down or stalled: a read reports a miss and the caller goes to
the database; a fill reports that nothing was stored. Invalidations raise
:class:`~warp_repo.cache.CacheUnavailable`, because stale routes must not pass unnoticed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from uuid import UUID

from redis.asyncio import Redis as AsyncRedis

from warp_repo.cache import _scripts
from warp_repo.cache._base_async import AsyncStore
from warp_repo.cache._common import flat, ms
from warp_repo.cache._errors import CacheError
from warp_repo.cache._keys import CacheKeys
from warp_repo.cache._values import CustomRouteValue, LcrRoute, LcrRoutes

__all__ = ["AsyncRouteCache"]


class AsyncRouteCache(AsyncStore):
    """Least-cost routes per dialed prefix and custom routes per organization and pattern.

    Args:
        client: see :class:`AsyncStore`.
        ttl: how long an entry lives unless a fill says otherwise.
        scan_count: keys asked of each ``SCAN`` step and deleted per ``UNLINK`` in bulk invalidations.
        keys: key names (namespace); the seed's by default.
        read_retries: tries after a failure, for the commands that are safe to repeat (all of this store's).
        clock: the time in Unix seconds.
    """

    _what = "route cache"

    def __init__(
        self,
        client: AsyncRedis,
        *,
        ttl: timedelta = timedelta(minutes=5),
        scan_count: int = 500,
        keys: CacheKeys | None = None,
        read_retries: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(client, keys=keys, read_retries=read_retries, clock=clock)
        if ttl <= timedelta(0) or scan_count < 1:
            raise ValueError(f"ttl and scan_count must be positive, not {ttl} and {scan_count}")
        self._ttl = ttl
        self._scan_count = scan_count

    # --- least-cost routes -------------------------------------------------------------------------------------

    async def lcr(self, prefix: str) -> tuple[LcrRoute, ...] | None:
        """The cached routes for a dialed prefix, best first; ``None`` on a miss (or Redis unavailable).

        An empty tuple is a cached answer: no carrier serves the prefix.
        """
        key = self._keys.lcr_route(prefix)
        try:
            raw = await self._idempotent("read LCR routes", lambda: self._client.get(key))
        except CacheError:
            return None
        if raw is None:
            return None
        try:
            return LcrRoutes.from_redis(raw).root
        except ValueError:
            return None  # unreadable: a miss; the caller's fill replaces it

    async def fill_lcr(self, prefix: str, routes: Iterable[LcrRoute], *, ttl: timedelta | None = None) -> bool:
        """Cache the routes for a prefix (ordered best first). Returns whether they were stored."""
        key = self._keys.lcr_route(prefix)
        value = LcrRoutes.ordered(routes).to_redis()
        try:
            await self._idempotent("cache LCR routes", lambda: self._client.set(key, value, px=ms(ttl or self._ttl)))
        except CacheError:
            return False
        return True

    async def invalidate_lcr(self, starting_with: str = "", *, exact: bool = False) -> int:
        """Drop cached LCR routes after the rate deck changed. Returns how many entries were dropped.

        Args:
            starting_with: the prefix whose rates changed. Every cached prefix that starts with it is dropped,
                since a longer prefix's routes may include the shorter one's rates; ``""`` drops them all.
            exact: drop only ``route:lcr:{starting_with}`` itself.

        Raises:
            CacheUnavailable: Redis did not answer; some entries may remain until their TTL ends.
        """
        if exact:
            key = self._keys.lcr_route(starting_with)
            return int(await self._idempotent("invalidate LCR routes", lambda: self._client.unlink(key)))
        return await self._unlink_matching("invalidate LCR routes", self._keys.lcr_route_match(starting_with))

    # --- custom routes -----------------------------------------------------------------------------------------

    async def custom(self, org_id: UUID, pattern: str) -> CustomRouteValue | None:
        """The cached custom route of an organization for a pattern; ``None`` on a miss (or Redis unavailable)."""
        key = self._keys.custom_route(org_id, pattern)
        try:
            fields = await self._idempotent("read a custom route", lambda: self._client.hgetall(key))
        except CacheError:
            return None
        if not fields:
            return None
        try:
            return CustomRouteValue.from_redis(fields)
        except ValueError:
            return None  # unreadable: a miss; the caller's fill replaces it

    async def fill_custom(
        self, org_id: UUID, pattern: str, value: CustomRouteValue, *, ttl: timedelta | None = None
    ) -> bool:
        """Cache an organization's custom route for a pattern. Returns whether it was stored."""
        keys = [self._keys.custom_route(org_id, pattern)]
        args: list[str | int] = [ms(ttl or self._ttl), *flat(value.to_redis())]
        try:
            await self._run_script("cache a custom route", _scripts.HASH_REPLACE, keys, args)
        except CacheError:
            return False
        return True

    async def invalidate_custom(self, org_id: UUID, pattern: str | None = None) -> int:
        """Drop an organization's cached custom routes after its rules changed; one pattern, or all of them.

        Returns:
            How many entries were dropped.

        Raises:
            CacheUnavailable: Redis did not answer; some entries may remain until their TTL ends.
        """
        if pattern is not None:
            key = self._keys.custom_route(org_id, pattern)
            return int(await self._idempotent("invalidate a custom route", lambda: self._client.unlink(key)))
        return await self._unlink_matching("invalidate custom routes", self._keys.custom_route_match(org_id))

    async def _unlink_matching(self, operation: str, match: str) -> int:
        async def run() -> int:
            removed = 0
            batch: list[str] = []
            async for key in self._client.scan_iter(match=match, count=self._scan_count):
                batch.append(key)
                if len(batch) >= self._scan_count:
                    removed += await self._client.unlink(*batch)
                    batch.clear()
            if batch:
                removed += await self._client.unlink(*batch)
            return removed

        return await self._idempotent(operation, run)
