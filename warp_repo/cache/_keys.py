"""Key names: the seed's Redis key patterns, built in one place and checked, with an optional namespace.

These names are a contract with the other platform components (the SIP proxy reads ``registration:`` and
``trunks:online``), so every key the SDK writes is built here and nowhere else:

==================================  ============  ===================================================
key                                 Redis type    value
==================================  ============  ===================================================
``session:{session_id}``            hash          :class:`SessionValue`
``api_key:{key_hash}``              hash          :class:`ApiKeyValue` (or the ``absent`` marker)
``registration:{trunk_id}``         hash          :class:`RegistrationValue`
``trunks:online``                   set           trunk ids (:data:`OnlineTrunks`)
``route:lcr:{prefix}``              string        JSON array of :class:`LcrRoute` (:class:`LcrRoutes`)
``route:custom:{org_id}:{pattern}`` hash          :class:`CustomRouteValue`
``rate:api:{key_id}:{window}``      string        counter (:data:`RateCount`)
``rate:api:{key_id}:quota``         string        limit per window (:data:`RateLimitValue`)
``rate:calls:{trunk_id}:{window}``  string        counter (:data:`RateCount`)
``rate:calls:{trunk_id}:max``       string        limit per window (:data:`RateLimitValue`)
``mwi:{box_id}``                    hash          a voicemail box's message-waiting counts
==================================  ============  ===================================================

Two keys are added to the seed's, both outside its patterns so that no reader of those patterns meets them:
``sessions:user:{user_id}`` (a sorted set indexing a user's sessions, for "sign out everywhere") and
``lease:api_key:{key_hash}`` (a fill token that keeps a revoked key from being cached again by a slow reader).
The voicemail domain adds ``mwi:{box_id}`` (``new``, ``new_urgent``, ``old``, ``old_urgent`` and ``mailbox``), the
counts a message-waiting NOTIFY carries, dropped by every write that changes them and kept 30 seconds at most.

One deviation: the seed names API rate keys after the API key itself (``rate:api:{api_key}``), which would put
a credential in a key name, visible to ``SCAN``, ``MONITOR``, slow logs and key-space notifications. The SDK
uses the key's row id (``api_keys.id``) instead.

An API key hash keeps its form as stored, ``hs256:<pepper id>:<hex>``: it is the last part of its key, so its
colons separate nothing, and every component that writes ``api_key:`` + ``api_keys.key_hash`` meets the same
entry. A key hash or a session id is a credential: an error about one never shows it.

``{window}`` is the start of the window in Unix seconds, so a counter's name says when it counted.
A namespace (``CacheKeys("staging")``) prefixes every key with ``staging:`` for instances shared by several
deployments; the default, no namespace, gives exactly the seed's names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final
from uuid import UUID

from pydantic import SecretStr

__all__ = ["CacheKeys"]

_FORBIDDEN_IN_PART: Final = re.compile(r"[:\s\x00-\x1f\x7f]")
_FORBIDDEN_IN_LAST: Final = re.compile(r"[\x00-\x1f\x7f]")
_FORBIDDEN_IN_HASH: Final = re.compile(r"[\s\x00-\x1f\x7f]")
_GLOB_SPECIAL: Final = re.compile(r"([*?\[\]\\])")


def _shown(value: str, secret: bool) -> str:
    """The value for an error message: a credential (a session id, an API key hash) is never shown."""
    return " (the value is a credential and is not shown)" if secret else f": {value!r}"


def _part(value: str | UUID, what: str, *, secret: bool = False) -> str:
    """One ``:``-separated component: an id or a token, never empty and never holding a separator."""
    if isinstance(value, UUID):
        return str(value)
    if not isinstance(value, str) or not value or _FORBIDDEN_IN_PART.search(value):
        raise ValueError(
            f"{what} must be a non-empty string without ':', spaces or control characters{_shown(str(value), secret)}"
        )
    return value


def _last_part(value: str, what: str, *, secret: bool = False, spaces: bool = True) -> str:
    """The final component, which may hold ``:`` (a routing pattern, an API key hash), since nothing follows it."""
    forbidden = _FORBIDDEN_IN_LAST if spaces else _FORBIDDEN_IN_HASH
    if not isinstance(value, str) or not value or forbidden.search(value):
        allowed = "control characters" if spaces else "spaces or control characters"
        raise ValueError(f"{what} must be a non-empty string without {allowed}{_shown(str(value), secret)}")
    return value


def glob_escape(text: str) -> str:
    """``text`` as a literal inside a ``SCAN MATCH`` pattern."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)


@dataclass(frozen=True, slots=True)
class CacheKeys:
    """Builds every Redis key the SDK uses; I/O-free.

    Attributes:
        namespace: prefix for a shared instance (``"staging"`` gives ``staging:session:…``); empty by default,
            which gives the seed's names exactly.
    """

    namespace: str = ""
    prefix: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.namespace:
            _part(self.namespace.replace(":", "-"), "namespace")  # ':' may separate levels: 'warp:eu'
            if self.namespace.endswith(":"):
                raise ValueError(f"namespace must not end with ':' (it is added): {self.namespace!r}")
        object.__setattr__(self, "prefix", f"{self.namespace}:" if self.namespace else "")

    # --- sessions ----------------------------------------------------------------------------------------------

    def session(self, session_id: str) -> str:
        """``session:{session_id}``."""
        return f"{self.session_prefix}{_part(session_id, 'session_id', secret=True)}"

    @property
    def session_prefix(self) -> str:
        """What precedes a session id in its key (scripts build keys from it)."""
        return f"{self.prefix}session:"

    def user_sessions(self, user_id: UUID) -> str:
        """``sessions:user:{user_id}``: a user's sessions, scored by expiry (not in the seed)."""
        return f"{self.user_sessions_prefix}{_part(user_id, 'user_id')}"

    @property
    def user_sessions_prefix(self) -> str:
        """What precedes a user id in the user-session index key."""
        return f"{self.prefix}sessions:user:"

    # --- API keys ----------------------------------------------------------------------------------------------

    def api_key(self, key_hash: str | SecretStr) -> str:
        """``api_key:{key_hash}``, the hash as stored (``hs256:<pepper id>:<hex>``, colons included).

        The hash is the key's last component, so its colons separate nothing; it is kept as it is rather than
        encoded, so that every component that builds ``api_key:`` + ``api_keys.key_hash`` finds the same entry.
        """
        return f"{self.prefix}api_key:{_key_hash(key_hash)}"

    def api_key_lease(self, key_hash: str | SecretStr) -> str:
        """``lease:api_key:{key_hash}``: the token of the reader allowed to fill the cache (not in the seed)."""
        return f"{self.prefix}lease:api_key:{_key_hash(key_hash)}"

    # --- SIP registrations -------------------------------------------------------------------------------------

    def registration(self, trunk_id: UUID) -> str:
        """``registration:{trunk_id}``."""
        return f"{self.registration_prefix}{_part(trunk_id, 'trunk_id')}"

    @property
    def registration_prefix(self) -> str:
        """What precedes a trunk id in its registration key."""
        return f"{self.prefix}registration:"

    def trunks_online(self) -> str:
        """``trunks:online``."""
        return f"{self.prefix}trunks:online"

    # --- routes ------------------------------------------------------------------------------------------------

    def lcr_route(self, prefix: str) -> str:
        """``route:lcr:{prefix}``."""
        return f"{self.prefix}route:lcr:{_part(prefix, 'prefix')}"

    def lcr_route_match(self, starting_with: str = "") -> str:
        """A ``SCAN MATCH`` pattern for the LCR entries of every prefix that starts with ``starting_with``."""
        if starting_with:
            _part(starting_with, "prefix")
        return f"{glob_escape(f'{self.prefix}route:lcr:{starting_with}')}*"

    def custom_route(self, org_id: UUID, pattern: str) -> str:
        """``route:custom:{org_id}:{pattern}``."""
        return f"{self.prefix}route:custom:{_part(org_id, 'org_id')}:{_last_part(pattern, 'pattern')}"

    def custom_route_match(self, org_id: UUID) -> str:
        """A ``SCAN MATCH`` pattern for every custom route of one organization."""
        literal = f"{self.prefix}route:custom:{_part(org_id, 'org_id')}:"
        return f"{glob_escape(literal)}*"

    # --- voicemail ---------------------------------------------------------------------------------------------

    def mwi(self, box_id: UUID) -> str:
        """``mwi:{box_id}``: not in the seed; every write that changes the counts drops it."""
        return f"{self.prefix}mwi:{_part(box_id, 'box_id')}"

    # --- rate limits -------------------------------------------------------------------------------------------

    def api_rate(self, key_id: UUID, window: int) -> str:
        """``rate:api:{key_id}:{window}``: the id of the API key, never the key (see the module docstring)."""
        return f"{self.prefix}rate:api:{_part(key_id, 'key_id')}:{_window(window)}"

    def api_quota(self, key_id: UUID) -> str:
        """``rate:api:{key_id}:quota``."""
        return f"{self.prefix}rate:api:{_part(key_id, 'key_id')}:quota"

    def call_rate(self, trunk_id: UUID, window: int) -> str:
        """``rate:calls:{trunk_id}:{window}``."""
        return f"{self.prefix}rate:calls:{_part(trunk_id, 'trunk_id')}:{_window(window)}"

    def call_max(self, trunk_id: UUID) -> str:
        """``rate:calls:{trunk_id}:max``."""
        return f"{self.prefix}rate:calls:{_part(trunk_id, 'trunk_id')}:max"


def _key_hash(key_hash: str | SecretStr) -> str:
    text = key_hash.get_secret_value() if isinstance(key_hash, SecretStr) else key_hash
    return _last_part(text, "key_hash", secret=True, spaces=False)


def _window(start: int) -> str:
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise ValueError(f"window must be the window's start in Unix seconds, a non-negative int: {start!r}")
    return str(start)
