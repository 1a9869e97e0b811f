# Generated from warp_repo/cache/_base_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Redis clients for the cache, and what every store shares: bounded time, typed failures, no blind re-sends.

Written once, as async code, in ``_base_async.py``; ``_base_sync.py`` is generated from it by
``tools/async_to_sync.py`` (run it after every edit; CI runs it with ``--check``).

Retries
    redis-py's default client re-sends *any* command after a timeout or a dropped connection, up to three
    times. For ``INCRBY`` or the rate limiter's script that counts one hit up to four times, because a command
    that timed out may well have run. The clients made by :func:`async_connect` therefore never retry, and the
    stores retry by themselves, ``read_retries`` times and only commands that give the same result when run
    twice: reads, and writes of absolute values (``HSET`` of given fields, ``EXPIREAT``, ``DEL``). A counting
    command is sent once; if its answer is lost, the store reports so instead of guessing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Final, TypeVar

from redis import BlockingConnectionPool, Redis
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.exceptions import RedisError
from redis.retry import Retry

from warp_repo._settings import resolve_redis_url
from warp_repo.cache._common import translate
from warp_repo.cache._errors import CacheUnavailable
from warp_repo.cache._keys import CacheKeys

__all__ = ["DEFAULT_TIMEOUT", "Store", "connect"]

T = TypeVar("T")

DEFAULT_TIMEOUT: Final = 0.5
"""Seconds to wait for a connection, for a free pooled connection and for each reply."""


def connect(
    url: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_connections: int = 64,
    environ: Mapping[str, str] | None = None,
) -> Redis:
    """A client set up for the cache stores: bounded waits, no automatic retries, text replies.

    Args:
        url: the server (``redis://``, ``rediss://``, ``unix://``); found as :func:`resolve_redis_url` finds it
            when omitted (``WARP_REDIS_URL``, ``REDIS_URL``, else the embedded server).
        timeout: seconds allowed to connect, to get a pooled connection and for each reply. A store call
            therefore fails within about ``timeout * (1 + read_retries)`` when Redis is down or stalled.
        max_connections: the pool's size; a burst beyond it waits (up to ``timeout``) instead of opening more.
        environ: the variables to read instead of ``os.environ``.

    Returns:
        A client; close it with ``close()`` (it owns its pool).
    """
    resolved = resolve_redis_url(url, environ=environ)
    pool = BlockingConnectionPool.from_url(
        resolved.url,
        max_connections=max_connections,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )
    return Redis.from_pool(pool)


class Store:
    """The base of every store: its client, its key names, its clock and how it runs commands.

    Args:
        client: a client from :func:`async_connect`, or one configured the same way (socket timeouts, and
            ``retry=Retry(NoBackoff(), 0)``: a client that retries by itself defeats the no-re-send rule).
        keys: key names, with the namespace of a shared instance; the seed's names by default.
        read_retries: how many times an idempotent command is tried again after Redis failed to answer.
        clock: the time in Unix seconds (tests pass a fixed one).
    """

    _what: ClassVar[str] = "cache"
    """The store's name in error messages."""

    def __init__(
        self,
        client: Redis,
        *,
        keys: CacheKeys | None = None,
        read_retries: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if read_retries < 0:
            raise ValueError(f"read_retries must be 0 or more, not {read_retries}")
        self._client = client
        self._keys = keys or CacheKeys()
        self._read_retries = read_retries
        self._clock = clock
        self._scripts: dict[str, Script] = {}

    @property
    def keys(self) -> CacheKeys:
        """The key names this store uses."""
        return self._keys

    def __repr__(self) -> str:
        return f"<{type(self).__name__} namespace={self._keys.namespace!r}>"

    def _script(self, source: str) -> Script:
        """The script, registered once per store (``EVALSHA``, loading it when the server does not know it)."""
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = self._client.register_script(source)
        return script

    def _run_script(self, operation: str, source: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """Run one of the scripts that are safe to repeat (all but the rate limiter's), retried as reads are."""
        script = self._script(source)
        return self._idempotent(operation, lambda: script(keys=keys, args=args))

    def _idempotent(self, operation: str, command: Callable[[], T]) -> T:
        """Run a command that has the same effect when run twice; try it again after Redis failed to answer."""
        attempt = 0
        while True:
            try:
                return command()
            except (RedisError, OSError) as exc:
                error = translate(exc, self._what, operation)
                if attempt >= self._read_retries or not isinstance(error, CacheUnavailable):
                    raise error from exc
            attempt += 1

    def _once(self, operation: str, command: Callable[[], T]) -> T:
        """Run a command that must not run twice (it counts): never re-sent, whatever happened to it."""
        try:
            return command()
        except (RedisError, OSError) as exc:
            raise translate(exc, self._what, operation) from exc
