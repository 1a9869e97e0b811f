"""What each key holds: one Pydantic model per key pattern, and the one wire format they share.

The format
    A record is a Redis **hash of flat string fields**, so ``HGETALL`` from any client (the SIP proxy's
    ``ndb_redis``, ``redis-cli``, a Go service) reads it without a JSON parser:

    * UUIDs in canonical lower-case form; IP addresses as text; ``Literal`` states as their text;
    * times as **integer Unix seconds, UTC** (``"1767225600"``): comparable with ``TIME`` and with Lua
      arithmetic, and the same number ``EXPIREAT`` takes, so a record's expiry field and its key's TTL agree;
      stored to the second (sub-second parts are dropped, which only ever ends a record earlier);
    * integers in decimal; ``None`` is an absent field (a hash cannot hold a null);
    * a field whose value is itself a list or an object (``permissions``, ``transform``) holds compact JSON.

    A value that is a *list of records* (``route:lcr:{prefix}``) is one string holding a **JSON array**, read
    with ``GET``: it is replaced as a whole, and a hash cannot order its fields. Money amounts are JSON
    strings (``"0.012500"``), never floats, so no reader rounds a rate. Counters and limits are plain decimal
    strings, as ``INCRBY`` and ``GET`` treat them.

Readers are tolerant: fields they do not know are ignored, so another component may add some. Values the SDK
writes are validated first, so it never writes one it could not read back.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Final, Self, TypeAlias, Union, get_args, get_origin
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    StringConstraints,
    TypeAdapter,
)

from warp_models.organizations import ApiKey, ApiKeyStatus
from warp_models.routing import LcrRate, RouteAction, RoutingRule, TransformRules
from warp_models.types import IpAddress, NonNegativeMoney, Permission

__all__ = [
    "ABSENT_FIELD",
    "NO_SUCH_KEY",
    "ApiKeyValue",
    "CustomRouteValue",
    "EpochSeconds",
    "HashValue",
    "LcrRoute",
    "LcrRoutes",
    "OnlineTrunks",
    "RateCount",
    "RateLimitValue",
    "RegistrationValue",
    "SessionValue",
    "SipUri",
    "api_key_entry",
]

ABSENT_FIELD: Final = "absent"
"""The only field of an ``api_key:`` hash that records "no such key" (negative caching)."""

NO_SUCH_KEY: Final[Mapping[str, str]] = {ABSENT_FIELD: "1"}
"""The whole ``api_key:`` hash of a cached "no such key"."""


def _from_epoch(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return value


def _aware_utc_second(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware datetime (for example datetime.now(UTC))")
    return value.astimezone(UTC).replace(microsecond=0)


EpochSeconds = Annotated[
    datetime,
    BeforeValidator(_from_epoch),
    AfterValidator(_aware_utc_second),
    PlainSerializer(lambda moment: int(moment.timestamp()), return_type=int, when_used="json"),
]
"""An aware UTC time, whole seconds, stored as integer Unix seconds."""

SipUri = Annotated[str, StringConstraints(pattern=r"^sips?:[^\s]+$", max_length=255)]
"""A SIP or SIPS URI (``sip:user@host:port``)."""

RateCount: TypeAlias = Annotated[int, Field(ge=0)]
"""The value of ``rate:api:{key_id}:{window}`` and ``rate:calls:{trunk_id}:{window}``: hits in that window."""

RateLimitValue: TypeAlias = Annotated[int, Field(ge=0)]
"""The value of ``rate:api:{key_id}:quota`` and ``rate:calls:{trunk_id}:max``: hits allowed per window."""

OnlineTrunks: TypeAlias = frozenset[UUID]
"""The value of ``trunks:online``: the ids of trunks with a live registration."""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _is_structured(annotation: Any) -> bool:
    """Whether a field holds a list or an object, which a flat hash field stores as JSON."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_structured(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_is_structured(arg) for arg in get_args(annotation) if arg is not type(None))
    if origin in (list, tuple, dict, set, frozenset):
        return True
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


class HashValue(BaseModel):
    """A record stored as a Redis hash of flat string fields (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    __json_fields__: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Note which fields are lists or objects, and so stored as JSON text."""
        super().__pydantic_init_subclass__(**kwargs)
        cls.__json_fields__ = frozenset(n for n, f in cls.model_fields.items() if _is_structured(f.annotation))

    def to_redis(self) -> dict[str, str]:
        """The hash fields, ready for ``HSET``; ``None`` fields are left out."""
        out: dict[str, str] = {}
        for name, value in self.model_dump(mode="json", exclude_none=True).items():
            if name in self.__json_fields__:
                out[name] = json.dumps(value, separators=(",", ":"), sort_keys=True)
            elif isinstance(value, bool):
                out[name] = "1" if value else "0"
            else:
                out[name] = str(value)
        return out

    @classmethod
    def from_redis(cls, fields: Mapping[bytes, bytes] | Mapping[str, str] | Mapping[bytes | str, bytes | str]) -> Self:
        """Validate a hash read with ``HGETALL`` (``bytes`` or ``str``, whichever the client decodes to).

        Raises:
            ValueError: a field is missing or malformed (``pydantic.ValidationError`` is one).
        """
        data: dict[str, Any] = {_text(k): _text(v) for k, v in fields.items()}
        for name in cls.__json_fields__ & data.keys():
            try:
                data[name] = json.loads(data[name])
            except json.JSONDecodeError as exc:
                raise ValueError(f"field {name!r} does not hold JSON: {exc}") from None
        return cls.model_validate(data)


class SessionValue(HashValue):
    """``session:{session_id}``: who is signed in, from where, until when. The key expires at ``expires``."""

    user_id: UUID
    org_id: UUID
    ip: IpAddress
    expires: EpochSeconds


class ApiKeyValue(HashValue):
    """``api_key:{key_hash}``: what a request authenticated by that key may do.

    The seed's fields (``org_id``, ``permissions``, ``rate_limit``) plus what a caller needs to decide without
    the database: the row id (``key_id``, which names the key's rate counters), its user, status and expiry.
    """

    key_id: UUID
    org_id: UUID
    user_id: UUID | None = None
    permissions: tuple[Permission, ...] = ()
    rate_limit: Annotated[int, Field(ge=0)] | None = None
    status: ApiKeyStatus | None = None
    expires_at: EpochSeconds | None = None

    @classmethod
    def from_row(cls, row: ApiKey) -> Self:
        """The cached projection of an ``api_keys`` row (the hash itself is already in the key name)."""
        return cls(
            key_id=row.id,
            org_id=row.org_id,
            user_id=row.user_id,
            permissions=tuple(row.permissions or ()),
            rate_limit=row.rate_limit,
            status=row.status,
            expires_at=row.expires_at,
        )

    def is_usable(self, at: datetime) -> bool:
        """Whether the key may authenticate a request at ``at``: not revoked, not expired."""
        return self.status in (None, "active") and (self.expires_at is None or self.expires_at > at)


def api_key_entry(fields: Mapping[str, str] | Mapping[bytes | str, bytes | str]) -> ApiKeyValue | None:
    """What a cached ``api_key:`` hash says: the key, or ``None`` for a cached "no such key".

    Raises:
        ValueError: the hash is neither (written by something else).
    """
    if any(_text(name) == ABSENT_FIELD for name in fields):
        return None
    return ApiKeyValue.from_redis(fields)


class RegistrationValue(HashValue):
    """``registration:{trunk_id}``: where a registered trunk is reachable, until when. Expires at ``expires``."""

    contact: SipUri
    expires: EpochSeconds
    user_agent: Annotated[str, Field(max_length=255)] | None = None
    received: Annotated[str, Field(max_length=255)] | None = None


class LcrRoute(BaseModel):
    """One element of ``route:lcr:{prefix}``: a carrier, its price per minute, its priority (lower first)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    carrier_id: UUID
    rate: NonNegativeMoney
    priority: int

    @classmethod
    def from_row(cls, row: LcrRate) -> Self:
        """The route an ``lcr_rates`` row offers.

        Raises:
            ValueError: the row names no carrier, so no call can be routed by it.
        """
        if row.carrier_id is None:
            raise ValueError(f"lcr_rates row {row.id} has no carrier_id; it cannot be cached as a route")
        return cls(carrier_id=row.carrier_id, rate=row.rate, priority=100 if row.priority is None else row.priority)


class LcrRoutes(RootModel[tuple[LcrRoute, ...]]):
    """``route:lcr:{prefix}``: a JSON array of routes, best first (priority, then rate, then carrier id)."""

    model_config = ConfigDict(frozen=True)

    @classmethod
    def ordered(cls, routes: Iterable[LcrRoute]) -> Self:
        """The routes in the stored order."""
        return cls(tuple(sorted(routes, key=lambda r: (r.priority, r.rate, str(r.carrier_id)))))

    def to_redis(self) -> str:
        """The JSON text stored with ``SET``."""
        return self.model_dump_json()

    @classmethod
    def from_redis(cls, text: bytes | str) -> Self:
        """Validate the JSON text read with ``GET``.

        Raises:
            ValueError: the text is not a JSON array of routes.
        """
        return cls.model_validate_json(text)


class CustomRouteValue(HashValue):
    """``route:custom:{org_id}:{pattern}``: what an organization's rule does with calls matching ``pattern``."""

    action: RouteAction
    destination: Annotated[str, Field(max_length=255)] | None = None
    transform: TransformRules = TransformRules()

    @classmethod
    def from_row(cls, row: RoutingRule) -> Self:
        """The cached part of a ``routing_rules`` row (its org and pattern name the key)."""
        return cls(action=row.action, destination=row.destination, transform=row.transform_rules or TransformRules())


ONLINE_TRUNKS: Final = TypeAdapter(OnlineTrunks)
RATE_LIMIT: Final = TypeAdapter(RateLimitValue)
