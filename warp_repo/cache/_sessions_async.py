"""The session store: ``session:{session_id}`` hashes that expire when the session does.

Written once, as async code, in ``_sessions_async.py``; ``_sessions_sync.py`` is generated from it by
``tools/async_to_sync.py``.

Sessions exist only in Redis, so this store is a store of record, not a cache: when Redis is down or stalled a
read raises :class:`~warp_repo.cache.CacheUnavailable` (within the client's timeout) rather than guessing, and
the caller decides, typically by answering 503 or asking the user to sign in again.

Every write keeps ``sessions:user:{user_id}``, a sorted set of the user's session ids scored by expiry, in the
same script: expired members are dropped on each write and the index expires with the user's last session, so
it never outlives what it indexes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from redis.asyncio import Redis as AsyncRedis

from warp_repo.cache import _scripts
from warp_repo.cache._base_async import AsyncStore
from warp_repo.cache._common import flat, new_session_id, text
from warp_repo.cache._errors import CacheDataError
from warp_repo.cache._keys import CacheKeys
from warp_repo.cache._values import SessionValue

__all__ = ["AsyncSessionStore"]


class AsyncSessionStore(AsyncStore):
    """Create, read, extend and revoke sessions; a session's key expires at its ``expires``.

    Args:
        client: see :class:`AsyncStore`.
        idle_timeout: how far :meth:`touch` pushes a session's expiry by default (sliding expiry).
        keys: key names (namespace); the seed's by default.
        read_retries: tries after a failure, for the commands that are safe to repeat (all of this store's).
        clock: the time in Unix seconds.
    """

    _what = "session store"

    def __init__(
        self,
        client: AsyncRedis,
        *,
        idle_timeout: timedelta = timedelta(minutes=30),
        keys: CacheKeys | None = None,
        read_retries: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(client, keys=keys, read_retries=read_retries, clock=clock)
        if idle_timeout < timedelta(seconds=1):
            raise ValueError(f"idle_timeout must be at least one second, not {idle_timeout}")
        self._idle_timeout = idle_timeout

    async def create(self, value: SessionValue, *, session_id: str | None = None) -> str:
        """Store a session until ``value.expires`` and index it under its user.

        Args:
            value: the session; its ``expires`` becomes the key's expiry.
            session_id: the id to use; a fresh one (:func:`new_session_id`) when omitted. An existing session
                with that id is replaced.

        Returns:
            The session id.

        Raises:
            ValueError: ``value.expires`` is not in the future.
            CacheUnavailable: Redis did not answer; the session may or may not exist.
        """
        now = int(self._clock())
        expires = int(value.expires.timestamp())
        if expires <= now:
            raise ValueError(f"the session's expires ({value.expires.isoformat()}) is not in the future")
        sid = session_id or new_session_id()
        keys = [self._keys.session(sid), self._keys.user_sessions(value.user_id)]
        args: list[str | int] = [sid, expires, now, *flat(value.to_redis())]
        await self._run_script("create a session", _scripts.SESSION_CREATE, keys, args)
        return sid

    async def get(self, session_id: str) -> SessionValue | None:
        """The session, or ``None`` when it does not exist or has expired.

        Raises:
            CacheUnavailable: Redis did not answer.
            CacheDataError: the stored hash is not a session (written by something else).
        """
        key = self._keys.session(session_id)
        fields = await self._idempotent("read a session", lambda: self._client.hgetall(key))
        if not fields:
            return None
        try:
            value = SessionValue.from_redis(fields)
        except ValueError as exc:
            # The key is not in the message: it holds the session id, a bearer credential.
            raise CacheDataError(
                f"a {self._keys.session_prefix}* entry does not hold a session: {exc}",
                operation="read a session",
                key=key,
            ) from exc
        return value if value.expires.timestamp() > self._clock() else None

    async def touch(self, session_id: str, *, ttl: timedelta | None = None) -> datetime | None:
        """Extend a live session to ``now + ttl`` (sliding expiry); never shortens one.

        Args:
            session_id: the session.
            ttl: how long from now; the store's ``idle_timeout`` when omitted.

        Returns:
            The session's expiry after the call, or ``None`` when the session no longer exists (it is not
            brought back).

        Raises:
            CacheUnavailable: Redis did not answer.
        """
        now = self._clock()
        wanted = int(now + (ttl or self._idle_timeout).total_seconds())
        keys = [self._keys.session(session_id)]
        args: list[str | int] = [session_id, wanted, self._keys.user_sessions_prefix, int(now)]
        result = await self._run_script("extend a session", _scripts.SESSION_TOUCH, keys, args)
        return None if result is None else datetime.fromtimestamp(int(text(result)), UTC)

    async def revoke(self, session_id: str) -> bool:
        """End one session at once. Returns whether it existed.

        Raises:
            CacheUnavailable: Redis did not answer; the session may still exist.
        """
        keys = [self._keys.session(session_id)]
        args: list[str | int] = [session_id, self._keys.user_sessions_prefix]
        return bool(await self._run_script("revoke a session", _scripts.SESSION_REVOKE, keys, args))

    async def revoke_all(self, user_id: UUID) -> int:
        """End every session of a user ("sign out everywhere"). Returns how many this call ended.

        Raises:
            CacheUnavailable: Redis did not answer; some sessions may still exist.
        """
        keys = [self._keys.user_sessions(user_id)]
        args: list[str | int] = [self._keys.session_prefix]
        return int(await self._run_script("revoke a user's sessions", _scripts.SESSION_REVOKE_ALL, keys, args))

    async def sessions_of(self, user_id: UUID) -> list[str]:
        """The ids of a user's live sessions, soonest to expire first.

        Raises:
            CacheUnavailable: Redis did not answer.
        """
        key = self._keys.user_sessions(user_id)
        now = int(self._clock())
        ids = await self._idempotent(
            "list a user's sessions", lambda: self._client.zrangebyscore(key, f"({now}", "+inf")
        )
        return [text(i) for i in ids if isinstance(i, bytes | str)]
