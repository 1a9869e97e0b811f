"""Call routing: per-organization routing rules and the shared least-cost-routing rate deck."""

import re
from collections.abc import Mapping
from datetime import date, time
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, StringConstraints, field_validator

from warp_models._base import Create, Row, Update
from warp_models._columns import (
    BOOLEAN,
    DATE,
    INT,
    JSONB,
    UUID_,
    Col,
    Index,
    Numeric,
    OrgScoped,
    TableSpec,
    Varchar,
)
from warp_models._common import CreatedAt, IdPk, MetadataDoc, OrgRef, UpdatedAt
from warp_models._time import UtcDateTime
from warp_models.types import DialPrefix, JsonDocument, Metadata, NonNegativeMoney

MatchType = Literal["prefix", "exact", "pattern"]
RouteAction = Literal["route", "forward", "lcr", "reject", "voicemail"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Digits = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]*$")]


def _match_pattern_rule(values: Mapping[str, Any]) -> None:
    """The rule of a ``match_type``/``match_pattern`` pair, shared by routing rules and dial plan rules.

    A ``pattern`` is a valid regular expression; a ``prefix`` or ``exact`` one (the default) holds digits, ``*`` and
    ``#``, optionally after a leading ``+``.
    """
    pattern, kind = values.get("match_pattern"), values.get("match_type")
    if pattern is None:
        return
    if kind == "pattern":
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"match_pattern is not a valid regular expression: {exc}") from None
    elif not re.fullmatch(r"\+?[0-9*#]+", pattern):
        raise ValueError("match_pattern of a prefix or exact rule holds digits, * and # (optionally a leading '+')")


class TimeCondition(JsonDocument):
    """``routing_rules.time_condition``: when a rule applies. ``{}`` means always.

    ``days`` are the weekdays it applies on; ``start``/``end`` a daily window in ``timezone`` (``end`` before
    ``start`` wraps past midnight); both are read in the zone, so a rule follows daylight saving time.
    """

    days: list[Weekday] | None = None
    start: time | None = None
    end: time | None = None
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (use e.g. 'America/New_York')") from None
        return value


class PrefixReplacement(JsonDocument):
    """Replace a leading ``old`` prefix of the number by ``new``."""

    old: Digits
    new: Digits


class TransformRules(JsonDocument):
    """``routing_rules.transform_rules``: rewrite the dialed number, in this order: strip, replace, prepend."""

    strip_digits: Annotated[int, Field(ge=0, le=15)] = 0
    replace_prefix: PrefixReplacement | None = None
    prepend: Digits = ""


class RoutingRule(Row):
    """A routing rule of one organization: which calls it matches and what to do with them."""

    __table_spec__ = TableSpec(
        "routing_rules",
        indexes=(Index("idx_routing_org_enabled", "org_id", "enabled"),),
        tenant=OrgScoped(),
        doc="Dynamic routing rules.",
    )

    id: IdPk
    org_id: OrgRef
    trunk_id: Annotated[UUID | None, Col(UUID_, references="sip_trunks.id")]
    name: Annotated[str, Col(Varchar(255))]
    priority: Annotated[int | None, Col(INT, default="100", doc="Lower runs first.")]
    enabled: Annotated[bool | None, Col(BOOLEAN, default="TRUE")]
    match_type: Annotated[MatchType | None, Col(Varchar(50), default="'prefix'")]
    match_pattern: Annotated[str, Col(Varchar(255), doc="Digits for prefix/exact, a regular expression for pattern.")]
    time_condition: Annotated[TimeCondition | None, Col(JSONB, default="'{}'")]
    action: Annotated[RouteAction, Col(Varchar(50))]
    destination: Annotated[str | None, Col(Varchar(255))]
    transform_rules: Annotated[TransformRules | None, Col(JSONB, default="'{}'")]
    weight: Annotated[int | None, Col(INT, default="100", doc="Share among rules of equal priority.")]
    max_calls: Annotated[int | None, Col(INT)]
    metadata: MetadataDoc
    created_at: CreatedAt
    updated_at: UpdatedAt

    @classmethod
    def check(cls, values: Mapping[str, Any]) -> None:  # noqa: D102
        _match_pattern_rule(values)


class LcrRate(Row):
    """One carrier's price for calls to a prefix, valid from ``effective_date`` until ``expiry_date``."""

    __table_spec__ = TableSpec(
        "lcr_rates",
        unique=(("carrier_id", "prefix", "effective_date"),),
        indexes=(Index("lcr_rates_prefix_effective_date_idx", "prefix", "effective_date"),),
        tenant=None,
        doc="LCR (least cost routing) rates: shared reference data, readable by every tenant.",
    )

    id: IdPk
    carrier_id: Annotated[UUID | None, Col(UUID_, references="organizations.id", doc="The carrier's organization.")]
    prefix: Annotated[DialPrefix, Col(Varchar(20))]
    description: Annotated[str | None, Col(Varchar(255))]
    rate: Annotated[NonNegativeMoney, Col(Numeric(10, 6), doc="Price per minute.")]
    effective_date: Annotated[date, Col(DATE)]
    expiry_date: Annotated[date | None, Col(DATE, doc="First day the rate no longer applies.")]
    priority: Annotated[int | None, Col(INT, default="100")]

    @classmethod
    def check(cls, values: Mapping[str, Any]) -> None:  # noqa: D102
        start, end = values.get("effective_date"), values.get("expiry_date")
        if start is not None and end is not None and end <= start:
            raise ValueError(f"expiry_date {end} must be after effective_date {start}")


# --- Generated by `python tools/codegen.py` from the declarations above. Do not edit. ---


class RoutingRuleCreate(Create):
    """What a caller passes to create a ``routing_rules`` row; fields the database fills are optional."""

    __row__ = RoutingRule

    id: UUID | None = None
    org_id: UUID
    trunk_id: UUID | None = None
    name: str
    priority: int | None = None
    enabled: bool | None = None
    match_type: MatchType | None = None
    match_pattern: str
    time_condition: TimeCondition | None = None
    action: RouteAction
    destination: str | None = None
    transform_rules: TransformRules | None = None
    weight: int | None = None
    max_calls: int | None = None
    metadata: Metadata | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class RoutingRuleUpdate(Update):
    """A partial update of a ``routing_rules`` row: only the fields given change."""

    __row__ = RoutingRule

    org_id: UUID | None = None
    trunk_id: UUID | None = None
    name: str | None = None
    priority: int | None = None
    enabled: bool | None = None
    match_type: MatchType | None = None
    match_pattern: str | None = None
    time_condition: TimeCondition | None = None
    action: RouteAction | None = None
    destination: str | None = None
    transform_rules: TransformRules | None = None
    weight: int | None = None
    max_calls: int | None = None
    metadata: Metadata | None = None


class LcrRateCreate(Create):
    """What a caller passes to create a ``lcr_rates`` row; fields the database fills are optional."""

    __row__ = LcrRate

    id: UUID | None = None
    carrier_id: UUID | None = None
    prefix: DialPrefix
    description: str | None = None
    rate: NonNegativeMoney
    effective_date: date
    expiry_date: date | None = None
    priority: int | None = None


class LcrRateUpdate(Update):
    """A partial update of a ``lcr_rates`` row: only the fields given change."""

    __row__ = LcrRate

    carrier_id: UUID | None = None
    prefix: DialPrefix | None = None
    description: str | None = None
    rate: NonNegativeMoney | None = None
    effective_date: date | None = None
    expiry_date: date | None = None
    priority: int | None = None


__all__ = [
    "Digits",
    "LcrRate",
    "LcrRateCreate",
    "LcrRateUpdate",
    "MatchType",
    "PrefixReplacement",
    "RouteAction",
    "RoutingRule",
    "RoutingRuleCreate",
    "RoutingRuleUpdate",
    "TimeCondition",
    "TransformRules",
    "Weekday",
]
