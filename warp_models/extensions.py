"""Extensions and dial plans: the PBX side of core telecom.

An extension is a dialable number inside an organization (a user's phone, a ring group, a queue, a feature code);
a dial plan rule says what a dialed string does in a context. Modelled on FusionPBX ``v_extensions`` and
``v_dialplans``, Asterisk realtime ``extensions`` and Kamailio ``dialplan``/``subscriber``; see
``docs/schema-notes.md`` for each choice.
"""

from collections.abc import Mapping
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from warp_models._base import Create, Row, Update
from warp_models._columns import (
    BOOLEAN,
    INT,
    JSONB,
    UUID_,
    Col,
    Index,
    OrgScoped,
    TableSpec,
    Varchar,
)
from warp_models._common import CreatedAt, IdPk, MetadataDoc, OrgRef, UpdatedAt
from warp_models._time import UtcDateTime
from warp_models.routing import MatchType, TimeCondition, TransformRules, _match_pattern_rule
from warp_models.types import E164, DigestHa1, JsonDocument, Metadata, SipUsername

ExtensionType = Literal["user", "ring_group", "queue", "ivr", "conference", "feature_code"]
ExtensionStatus = Literal["active", "disabled"]
CallClass = Literal["internal", "local", "national", "international", "toll_free", "premium", "emergency"]
DialActionType = Literal[
    "bridge", "extension", "ring_group", "queue", "ivr", "voicemail", "route", "lcr", "playback", "hangup", "set"
]
ExtensionNumber = Annotated[str, StringConstraints(pattern=r"^[0-9*#]{1,20}$")]
"""What a phone dials to reach the extension: digits, ``*`` and ``#`` (feature codes like ``*97``)."""
ForwardTarget = Annotated[str, StringConstraints(pattern=r"^\+?[0-9*#]{1,32}$")]
"""Where a forwarded call goes: an extension, a feature code or a number."""
ActionTarget = Annotated[str, StringConstraints(max_length=255)]
"""What a dial plan action acts on: an extension, a trunk, a queue, a sound file."""

DEFAULT_CALL_CLASSES = ("internal", "local", "national", "toll_free", "emergency")


class ForwardRule(JsonDocument):
    """One forwarding condition of an extension: whether it is on, and where calls go."""

    enabled: bool = False
    destination: ForwardTarget | None = None


class Forwarding(JsonDocument):
    """``extensions.forwarding``: call forwarding, checked in this order: always, busy, no answer, unregistered."""

    always: ForwardRule | None = None
    busy: ForwardRule | None = None
    no_answer: ForwardRule | None = None
    unregistered: ForwardRule | None = None


class DialAction(JsonDocument):
    """One step of a dial plan rule, run in order: ``{type, target, params}``."""

    type: DialActionType
    target: ActionTarget | None = None
    params: Metadata = Field(default_factory=dict)


class Extension(Row):
    """A dialable extension of an organization: a user's line, a ring group, a queue, an IVR or a feature code."""

    __table_spec__ = TableSpec(
        "extensions",
        unique=(("org_id", "extension"),),
        indexes=(
            Index("idx_extensions_org_status", "org_id", "status"),
            Index("idx_extensions_user", "user_id"),
        ),
        tenant=OrgScoped(),
        doc="Extensions (PBX numbers) and their SIP credentials, forwarding and allowed call classes.",
    )

    id: IdPk
    org_id: OrgRef
    extension: Annotated[ExtensionNumber, Col(Varchar(20), doc="Dialable digits, unique in the organization.")]
    extension_type: Annotated[ExtensionType, Col(Varchar(20), default="'user'")]
    user_id: Annotated[UUID | None, Col(UUID_, references="users.id", doc="The user it belongs to.")]
    display_name: Annotated[str | None, Col(Varchar(255))]
    sip_username: Annotated[
        SipUsername | None, Col(Varchar(100), unique=True, doc="Digest user name; NULL for non-registering types.")
    ]
    password_hash: Annotated[
        DigestHa1 | None, Col(Varchar(255), secret=True, doc="Digest HA1 the registrar checks (Kamailio ha1).")
    ]
    max_registrations: Annotated[int, Col(INT, default="3", doc="Contacts allowed at once.")]
    context: Annotated[str, Col(Varchar(100), default="'internal'", doc="The dial plan context of its calls.")]
    caller_id_name: Annotated[str | None, Col(Varchar(100))]
    outbound_caller_id: Annotated[E164 | None, Col(Varchar(20), doc="An organization number presented outside.")]
    emergency_caller_id: Annotated[E164 | None, Col(Varchar(20), doc="The number whose E911 address applies.")]
    allowed_call_classes: Annotated[
        list[CallClass],
        Col(JSONB, default="""'["internal", "local", "national", "toll_free", "emergency"]'""", doc="Closed set."),
    ]
    call_timeout: Annotated[int, Col(INT, default="30", doc="Seconds of ringing before no-answer forwarding.")]
    do_not_disturb: Annotated[bool, Col(BOOLEAN, default="FALSE")]
    forwarding: Annotated[Forwarding, Col(JSONB, default="'{}'")]
    settings: Annotated[Metadata, Col(JSONB, default="'{}'", doc="Type-specific: ring group members, strategy.")]
    status: Annotated[ExtensionStatus, Col(Varchar(50), default="'active'")]
    metadata: MetadataDoc
    created_at: CreatedAt
    updated_at: UpdatedAt

    @classmethod
    def check(cls, values: Mapping[str, Any]) -> None:  # noqa: D102
        if values.get("password_hash") is not None and values.get("sip_username") is None:
            raise ValueError("password_hash needs a sip_username: a digest secret without a user name is unusable")


class DialPlan(Row):
    """One dial plan rule: in a context, what a dialed string matching it does, in priority order."""

    __table_spec__ = TableSpec(
        "dial_plans",
        unique=(("org_id", "context", "name"),),
        indexes=(Index("idx_dial_plans_lookup", "org_id", "context", "enabled", "priority"),),
        tenant=OrgScoped(),
        doc="Dial plan rules per context: match, time condition, call class, transform and ordered actions.",
    )

    id: IdPk
    org_id: OrgRef
    name: Annotated[str, Col(Varchar(255))]
    context: Annotated[str, Col(Varchar(100), default="'internal'", doc="internal, from-trunk or custom.")]
    priority: Annotated[int, Col(INT, default="100", doc="Lower runs first.")]
    enabled: Annotated[bool, Col(BOOLEAN, default="TRUE")]
    match_type: Annotated[MatchType, Col(Varchar(20), default="'prefix'")]
    match_pattern: Annotated[str, Col(Varchar(255), doc="Digits for prefix/exact, a regular expression for pattern.")]
    time_condition: Annotated[TimeCondition, Col(JSONB, default="'{}'", doc="When the rule applies; {} always.")]
    transform_rules: Annotated[TransformRules, Col(JSONB, default="'{}'", doc="Rewrite of the dialed string.")]
    call_class: Annotated[CallClass, Col(Varchar(20), default="'internal'", doc="What the caller must be allowed.")]
    actions: Annotated[list[DialAction], Col(JSONB, doc="Ordered steps.")]
    continue_on_match: Annotated[bool, Col(BOOLEAN, default="FALSE", doc="Also run the next matching rule.")]
    description: Annotated[str | None, Col(Varchar(255))]
    metadata: MetadataDoc
    created_at: CreatedAt
    updated_at: UpdatedAt

    @classmethod
    def check(cls, values: Mapping[str, Any]) -> None:  # noqa: D102
        _match_pattern_rule(values)


# --- Generated by `python tools/codegen.py` from the declarations above. Do not edit. ---


class ExtensionCreate(Create):
    """What a caller passes to create a ``extensions`` row; fields the database fills are optional."""

    __row__ = Extension

    id: UUID | None = None
    org_id: UUID
    extension: ExtensionNumber
    extension_type: ExtensionType | None = None
    user_id: UUID | None = None
    display_name: str | None = None
    sip_username: SipUsername | None = None
    password_hash: DigestHa1 | None = None
    max_registrations: int | None = None
    context: str | None = None
    caller_id_name: str | None = None
    outbound_caller_id: E164 | None = None
    emergency_caller_id: E164 | None = None
    allowed_call_classes: list[CallClass] | None = None
    call_timeout: int | None = None
    do_not_disturb: bool | None = None
    forwarding: Forwarding | None = None
    settings: Metadata | None = None
    status: ExtensionStatus | None = None
    metadata: Metadata | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class ExtensionUpdate(Update):
    """A partial update of a ``extensions`` row: only the fields given change."""

    __row__ = Extension

    org_id: UUID | None = None
    extension: ExtensionNumber | None = None
    extension_type: ExtensionType | None = None
    user_id: UUID | None = None
    display_name: str | None = None
    sip_username: SipUsername | None = None
    password_hash: DigestHa1 | None = None
    max_registrations: int | None = None
    context: str | None = None
    caller_id_name: str | None = None
    outbound_caller_id: E164 | None = None
    emergency_caller_id: E164 | None = None
    allowed_call_classes: list[CallClass] | None = None
    call_timeout: int | None = None
    do_not_disturb: bool | None = None
    forwarding: Forwarding | None = None
    settings: Metadata | None = None
    status: ExtensionStatus | None = None
    metadata: Metadata | None = None


class DialPlanCreate(Create):
    """What a caller passes to create a ``dial_plans`` row; fields the database fills are optional."""

    __row__ = DialPlan

    id: UUID | None = None
    org_id: UUID
    name: str
    context: str | None = None
    priority: int | None = None
    enabled: bool | None = None
    match_type: MatchType | None = None
    match_pattern: str
    time_condition: TimeCondition | None = None
    transform_rules: TransformRules | None = None
    call_class: CallClass | None = None
    actions: list[DialAction]
    continue_on_match: bool | None = None
    description: str | None = None
    metadata: Metadata | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class DialPlanUpdate(Update):
    """A partial update of a ``dial_plans`` row: only the fields given change."""

    __row__ = DialPlan

    org_id: UUID | None = None
    name: str | None = None
    context: str | None = None
    priority: int | None = None
    enabled: bool | None = None
    match_type: MatchType | None = None
    match_pattern: str | None = None
    time_condition: TimeCondition | None = None
    transform_rules: TransformRules | None = None
    call_class: CallClass | None = None
    actions: list[DialAction] | None = None
    continue_on_match: bool | None = None
    description: str | None = None
    metadata: Metadata | None = None


__all__ = [
    "DEFAULT_CALL_CLASSES",
    "ActionTarget",
    "CallClass",
    "DialAction",
    "DialActionType",
    "DialPlan",
    "DialPlanCreate",
    "DialPlanUpdate",
    "Extension",
    "ExtensionCreate",
    "ExtensionNumber",
    "ExtensionStatus",
    "ExtensionType",
    "ExtensionUpdate",
    "ForwardRule",
    "ForwardTarget",
    "Forwarding",
]
