"""Typed access to the platform's Redis: sessions, caches and rate limits under the seed's key names.

=========================  =====================================================  ============================
store                      keys                                                   when Redis is down or slow
=========================  =====================================================  ============================
``SessionStore``           ``session:{id}`` (+ ``sessions:user:{user_id}``)       raises ``CacheUnavailable``
``ApiKeyCache``            ``api_key:{key_hash}`` (+ ``lease:api_key:…``)         asks the loader (database)
``RegistrationCache``      ``registration:{trunk_id}``, ``trunks:online``         raises ``CacheUnavailable``
``RouteCache``             ``route:lcr:{prefix}``, ``route:custom:{org}:{pat}``   reports a miss
``ApiRateLimiter``         ``rate:api:{key_id}:{window}``, ``…:quota``            admits or refuses, as set
``CallRateLimiter``        ``rate:calls:{trunk_id}:{window}``, ``…:max``          admits or refuses, as set
=========================  =====================================================  ============================

Each store has an async twin (``AsyncSessionStore`` …); the sync one is generated from it. Values are Pydantic
models (``SessionValue``, ``ApiKeyValue`` …) stored as hashes of flat string fields, or JSON where a value is a
list; ``warp_repo.cache._values`` documents the format and ``CacheKeys`` the names. Make clients with
:func:`connect` / :func:`async_connect`: they bound every wait and never re-send a command by themselves.

.. code-block:: python

    from warp_repo.cache import SessionStore, SessionValue, connect

    sessions = SessionStore(connect())  # WARP_REDIS_URL, REDIS_URL, else the embedded server
    sid = sessions.create(SessionValue(user_id=user.id, org_id=user.org_id, ip=ip, expires=now + hour))
    sessions.touch(sid)  # sliding expiry
"""

from warp_repo.cache._api_keys_async import AsyncApiKeyCache, AsyncApiKeyLoader
from warp_repo.cache._api_keys_sync import ApiKeyCache, ApiKeyLoader
from warp_repo.cache._base_async import async_connect
from warp_repo.cache._base_sync import connect
from warp_repo.cache._common import new_session_id
from warp_repo.cache._errors import CacheDataError, CacheError, CacheUnavailable
from warp_repo.cache._keys import CacheKeys
from warp_repo.cache._limiter_async import AsyncApiRateLimiter, AsyncCallRateLimiter, AsyncRateLimiter
from warp_repo.cache._limiter_sync import ApiRateLimiter, CallRateLimiter, RateLimiter
from warp_repo.cache._rate import FailMode, RateDecision
from warp_repo.cache._registrations_async import AsyncRegistrationCache
from warp_repo.cache._registrations_sync import RegistrationCache
from warp_repo.cache._routes_async import AsyncRouteCache
from warp_repo.cache._routes_sync import RouteCache
from warp_repo.cache._sessions_async import AsyncSessionStore
from warp_repo.cache._sessions_sync import SessionStore
from warp_repo.cache._values import (
    ApiKeyValue,
    CustomRouteValue,
    EpochSeconds,
    LcrRoute,
    LcrRoutes,
    OnlineTrunks,
    RateCount,
    RateLimitValue,
    RegistrationValue,
    SessionValue,
)

__all__ = [
    "ApiKeyCache",
    "ApiKeyLoader",
    "ApiKeyValue",
    "ApiRateLimiter",
    "AsyncApiKeyCache",
    "AsyncApiKeyLoader",
    "AsyncApiRateLimiter",
    "AsyncCallRateLimiter",
    "AsyncRateLimiter",
    "AsyncRegistrationCache",
    "AsyncRouteCache",
    "AsyncSessionStore",
    "CacheDataError",
    "CacheError",
    "CacheKeys",
    "CacheUnavailable",
    "CallRateLimiter",
    "CustomRouteValue",
    "EpochSeconds",
    "FailMode",
    "LcrRoute",
    "LcrRoutes",
    "OnlineTrunks",
    "RateCount",
    "RateDecision",
    "RateLimitValue",
    "RateLimiter",
    "RegistrationCache",
    "RegistrationValue",
    "RouteCache",
    "SessionStore",
    "SessionValue",
    "async_connect",
    "connect",
    "new_session_id",
]
