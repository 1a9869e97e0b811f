# Generated from warp_repo/cache/_limiter_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Rate limiters: ``rate:api:{key_id}:{window}`` per API key and ``rate:calls:{trunk_id}:{window}`` per trunk.

Written once, as async code, in ``_limiter_async.py``; ``_limiter_sync.py`` is generated from it by
``tools/async_to_sync.py``.

Fixed windows, counted by one Lua script per hit (one round trip, ``EVALSHA``): it reads the limit from the
``:quota`` (API) or ``:max`` (calls) key, falling back to the limit the caller passes (from the database:
``api_keys.rate_limit``, ``organization_settings.rate_limits``), counts the hit only if it fits, and gives the
counter its TTL if it has none, all atomically. So under any concurrency exactly ``limit`` hits are admitted
per window, and no counter ever exists without a TTL: the "INCR, then EXPIRE" gap that leaves a counter
forever, locking its client out, cannot happen. The limit keys written by :meth:`RateLimiter.set_limit`
have a TTL too; when one lapses, the caller's fallback applies.

The window's length is the limiter's, not the key's: the seed's limit keys hold a bare number, and the
counter's name (which the script must be given) depends on the window. The window is taken from this
process's clock; clocks that differ by less than a second share counters (see ``COUNTER_GRACE``).

A hit is never re-sent: if Redis does not answer, the hit may or may not have been counted, and the limiter
answers by its fail mode (``"open"`` admits, ``"closed"`` refuses) with ``degraded=True``, within the client's
timeout.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

from redis import Redis

from warp_repo.cache import _scripts
from warp_repo.cache._base_sync import Store
from warp_repo.cache._common import ms, text
from warp_repo.cache._errors import CacheError
from warp_repo.cache._keys import CacheKeys
from warp_repo.cache._rate import FailMode, RateDecision, Window, check_window
from warp_repo.cache._values import RATE_LIMIT

__all__ = ["ApiRateLimiter", "CallRateLimiter", "RateLimiter"]


class RateLimiter(Store):
    """A fixed-window limiter; :class:`ApiRateLimiter` and :class:`CallRateLimiter` name its keys.

    Args:
        client: see :class:`Store`.
        window: the window's length, whole seconds.
        on_unavailable: ``"open"`` to admit or ``"closed"`` to refuse when Redis does not answer.
        keys: key names (namespace); the seed's by default.
        read_retries: tries after a failure for the limit keys' commands; hits are never retried.
        clock: the time in Unix seconds.
    """

    _what = "rate limiter"

    def __init__(
        self,
        client: Redis,
        *,
        window: timedelta,
        on_unavailable: FailMode = "open",
        keys: CacheKeys | None = None,
        read_retries: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(client, keys=keys, read_retries=read_retries, clock=clock)
        if on_unavailable not in ("open", "closed"):
            raise ValueError(f"on_unavailable must be 'open' or 'closed', not {on_unavailable!r}")
        self._window = check_window(window)
        self._on_unavailable = on_unavailable

    @property
    def window(self) -> timedelta:
        """The window's length."""
        return self._window

    @abstractmethod
    def _counter_key(self, subject: UUID, window_start: int) -> str: ...

    @abstractmethod
    def _limit_key(self, subject: UUID) -> str: ...

    def hit(self, subject: UUID, *, fallback_limit: int, cost: int = 1) -> RateDecision:
        """Count one request (or ``cost`` of them) against the subject's limit in the current window.

        Args:
            subject: the API key's id or the trunk's id.
            fallback_limit: the limit when the subject's limit key holds none (the database's value).
            cost: how many hits this one counts for.

        Returns:
            Whether to admit it, and the window's state. A refused hit is not counted.
        """
        if cost < 1 or fallback_limit < 0:
            raise ValueError(f"cost must be at least 1 and fallback_limit at least 0, not {cost}, {fallback_limit}")
        window = Window.at(self._clock(), self._window)
        keys = [self._counter_key(subject, window.start), self._limit_key(subject)]
        args = [fallback_limit, cost, ms(window.counter_ttl)]
        try:
            allowed, count, limit = self._once(
                "count a hit", lambda: self._script(_scripts.RATE_HIT)(keys=keys, args=args)
            )
        except CacheError:
            admitted = self._on_unavailable == "open"
            return RateDecision(admitted, fallback_limit, 0, window.reset_after, degraded=True)
        return RateDecision(bool(allowed), int(limit), int(count), window.reset_after)

    def count(self, subject: UUID) -> int:
        """Hits admitted so far in the current window.

        Raises:
            CacheUnavailable: Redis did not answer.
        """
        key = self._counter_key(subject, Window.at(self._clock(), self._window).start)
        value = self._idempotent("read a rate counter", lambda: self._client.get(key))
        return 0 if value is None else int(text(value))

    def set_limit(self, subject: UUID, limit: int, *, ttl: timedelta = timedelta(hours=1)) -> None:
        """Store the subject's limit per window in its ``:quota``/``:max`` key, for ``ttl``.

        Raises:
            ValueError: the limit is negative.
            CacheUnavailable: Redis did not answer.
        """
        value = RATE_LIMIT.validate_python(limit)
        key = self._limit_key(subject)
        self._idempotent("store a rate limit", lambda: self._client.set(key, value, px=ms(ttl)))

    def clear_limit(self, subject: UUID) -> None:
        """Remove the subject's limit key, so the caller's fallback applies.

        Raises:
            CacheUnavailable: Redis did not answer.
        """
        key = self._limit_key(subject)
        self._idempotent("remove a rate limit", lambda: self._client.delete(key))


class ApiRateLimiter(RateLimiter):
    """Requests per API key: ``rate:api:{key_id}:{window}``, limit in ``rate:api:{key_id}:quota``.

    ``key_id`` is the key's row id (``api_keys.id``), never the key (see :class:`~warp_repo.cache.CacheKeys`).
    The window is a minute by default, as ``api_keys.rate_limit`` counts requests per minute.
    """

    def __init__(
        self,
        client: Redis,
        *,
        window: timedelta = timedelta(minutes=1),
        on_unavailable: FailMode = "open",
        keys: CacheKeys | None = None,
        read_retries: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            client, window=window, on_unavailable=on_unavailable, keys=keys, read_retries=read_retries, clock=clock
        )

    def _counter_key(self, subject: UUID, window_start: int) -> str:
        return self._keys.api_rate(subject, window_start)

    def _limit_key(self, subject: UUID) -> str:
        return self._keys.api_quota(subject)


class CallRateLimiter(RateLimiter):
    """Call attempts per trunk: ``rate:calls:{trunk_id}:{window}``, limit in ``rate:calls:{trunk_id}:max``.

    The window is a second by default (``rate_limits.calls_per_second``).
    """

    def __init__(
        self,
        client: Redis,
        *,
        window: timedelta = timedelta(seconds=1),
        on_unavailable: FailMode = "open",
        keys: CacheKeys | None = None,
        read_retries: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            client, window=window, on_unavailable=on_unavailable, keys=keys, read_retries=read_retries, clock=clock
        )

    def _counter_key(self, subject: UUID, window_start: int) -> str:
        return self._keys.call_rate(subject, window_start)

    def _limit_key(self, subject: UUID) -> str:
        return self._keys.call_max(subject)
