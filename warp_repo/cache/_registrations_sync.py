# Generated from warp_repo/cache/_registrations_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""The registration cache: ``registration:{trunk_id}`` hashes and the ``trunks:online`` set.

Written once, as async code, in ``_registrations_async.py``; ``_registrations_sync.py`` is generated from it by
``tools/async_to_sync.py``.

A registration's key expires when the registration does (``EXPIREAT`` its ``expires``). ``trunks:online`` stays
a plain set of trunk ids, as the seed and the SIP proxy have it (``SMEMBERS``, ``SISMEMBER``), and is kept
consistent in two ways:

* writes are atomic: a registration and its set member are added, or removed, by one script;
* Redis cannot expire a set *member*, so a member outlives its registration until the next
  :meth:`RegistrationCache.online`, which drops, in the same script that reads the set, every member
  whose ``registration:`` key is gone. What ``online()`` and ``is_online()`` return is therefore exact; a
  component reading the raw set may see a trunk whose registration expired since the last ``online()`` call,
  and should confirm with ``EXISTS registration:{trunk_id}`` when that matters (or call ``online()`` on a
  timer to bound the lag).

Registrations exist only in Redis (the SIP proxy writes them on REGISTER), so failures are raised as
:class:`~warp_repo.cache.CacheUnavailable`, within the client's timeout.
"""

from __future__ import annotations

from uuid import UUID

from warp_repo.cache import _scripts
from warp_repo.cache._base_sync import Store
from warp_repo.cache._common import flat, text
from warp_repo.cache._errors import CacheDataError
from warp_repo.cache._values import OnlineTrunks, RegistrationValue

__all__ = ["RegistrationCache"]


class RegistrationCache(Store):
    """Write, read and remove trunk registrations; list the trunks online.

    Takes the arguments of :class:`Store`. All its commands are safe to repeat, so all are retried.
    """

    _what = "registration cache"

    def register(self, trunk_id: UUID, value: RegistrationValue) -> None:
        """Store a trunk's registration until ``value.expires`` and mark the trunk online.

        Raises:
            ValueError: ``value.expires`` is not in the future (use :meth:`unregister`).
            CacheUnavailable: Redis did not answer; the registration may or may not be stored.
        """
        expires = int(value.expires.timestamp())
        if expires <= self._clock():
            raise ValueError(f"the registration's expires ({value.expires.isoformat()}) is not in the future")
        keys = [self._keys.registration(trunk_id), self._keys.trunks_online()]
        args: list[str | int] = [str(trunk_id), expires, *flat(value.to_redis())]
        self._run_script("store a registration", _scripts.REGISTRATION_SET, keys, args)

    def get(self, trunk_id: UUID) -> RegistrationValue | None:
        """The trunk's live registration, or ``None``.

        Raises:
            CacheUnavailable: Redis did not answer.
            CacheDataError: the stored hash is not a registration.
        """
        key = self._keys.registration(trunk_id)
        fields = self._idempotent("read a registration", lambda: self._client.hgetall(key))
        if not fields:
            return None
        try:
            value = RegistrationValue.from_redis(fields)
        except ValueError as exc:
            raise CacheDataError(
                f"{key} does not hold a registration: {exc}", operation="read a registration", key=key
            ) from exc
        return value if value.expires.timestamp() > self._clock() else None

    def unregister(self, trunk_id: UUID) -> bool:
        """Remove a trunk's registration and take it off ``trunks:online``. Returns whether one existed.

        Raises:
            CacheUnavailable: Redis did not answer; the registration may still exist.
        """
        keys = [self._keys.registration(trunk_id), self._keys.trunks_online()]
        args: list[str | int] = [str(trunk_id)]
        return bool(self._run_script("remove a registration", _scripts.REGISTRATION_REMOVE, keys, args))

    def online(self) -> OnlineTrunks:
        """The trunks whose registration still exists; members whose registration is gone are dropped.

        Raises:
            CacheUnavailable: Redis did not answer.
            CacheDataError: ``trunks:online`` holds something that is not a trunk id.
        """
        key = self._keys.trunks_online()
        args: list[str | int] = [self._keys.registration_prefix]
        members = self._run_script("list the trunks online", _scripts.ONLINE_TRUNKS, [key], args)
        try:
            return frozenset(UUID(text(m)) for m in members)
        except ValueError as exc:
            raise CacheDataError(
                f"{key} holds a member that is not a trunk id: {exc}", operation="list the trunks online", key=key
            ) from exc

    def is_online(self, trunk_id: UUID) -> bool:
        """Whether the trunk has a live registration (the registration key decides, not the set).

        Raises:
            CacheUnavailable: Redis did not answer.
        """
        key = self._keys.registration(trunk_id)
        return bool(self._idempotent("check a registration", lambda: self._client.exists(key)))
