"""Voicemail: boxes with their notification preferences, messages in folders, and their transcriptions.

Modelled on FusionPBX ``v_voicemails`` / ``v_voicemail_messages``, Asterisk realtime ``voicemail`` /
``voicemail_messages`` and FreeSWITCH ``mod_voicemail``; see ``docs/schema-notes.md``. Transcriptions double as
a work queue: workers claim pending rows with ``FOR UPDATE SKIP LOCKED`` under a lease.
"""

from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from warp_models._base import Create, Row, Update
from warp_models._columns import (
    BOOLEAN,
    INT,
    JSONB,
    TEXT,
    TIMESTAMP,
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
from warp_models.types import (
    E164,
    CallerId,
    Email,
    JsonDocument,
    Metadata,
    NonNegativeInt,
    PasswordHash,
    PositiveInt,
    Url,
)

Greeting = Literal["default", "unavailable", "busy", "temporary"]
Folder = Literal["inbox", "saved", "deleted"]
AudioFormat = Literal["wav", "mp3", "ogg", "opus", "gsm"]
TranscriptionStatus = Literal["pending", "processing", "completed", "failed"]
Mailbox = Annotated[str, StringConstraints(pattern=r"^[0-9*#]{1,20}$")]
Confidence = Annotated[Decimal, Field(ge=0, le=1)]
SegmentConfidence = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class Greetings(JsonDocument):
    """``voicemail_boxes.greetings``: the recorded greetings of a box, by kind (audio URLs)."""

    unavailable: Url | None = None
    busy: Url | None = None
    temporary: Url | None = None
    name: Url | None = None


class TranscriptSegment(JsonDocument):
    """A timed piece of a transcription, seconds from the start of the message."""

    start: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    end: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    text: str
    confidence: SegmentConfidence | None = None


class VoicemailBox(Row):
    """A voicemail box: its PIN, greetings, limits and how its owner is told of new messages."""

    __table_spec__ = TableSpec(
        "voicemail_boxes",
        unique=(("org_id", "mailbox"),),
        tenant=OrgScoped(),
        doc="Voicemail boxes with their notification preferences (email, SMS, MWI, transcription) and limits.",
    )

    id: IdPk
    org_id: OrgRef
    mailbox: Annotated[Mailbox, Col(Varchar(20), doc="Usually the extension's number.")]
    extension_id: Annotated[
        UUID | None, Col(UUID_, unique=True, references="extensions.id", doc="NULL: a shared or group box.")
    ]
    user_id: Annotated[UUID | None, Col(UUID_, references="users.id")]
    pin_hash: Annotated[PasswordHash | None, Col(Varchar(255), secret=True, doc="Argon2id hash of the PIN.")]
    enabled: Annotated[bool, Col(BOOLEAN, default="TRUE")]
    active_greeting: Annotated[Greeting, Col(Varchar(20), default="'default'")]
    greetings: Annotated[Greetings, Col(JSONB, default="'{}'")]
    notify_email: Annotated[Email | None, Col(Varchar(255))]
    attach_audio: Annotated[bool, Col(BOOLEAN, default="TRUE")]
    include_transcription: Annotated[bool, Col(BOOLEAN, default="TRUE")]
    delete_after_notify: Annotated[bool, Col(BOOLEAN, default="FALSE")]
    notify_sms_number: Annotated[E164 | None, Col(Varchar(20))]
    mwi_enabled: Annotated[bool, Col(BOOLEAN, default="TRUE", doc="Light the phone's message-waiting lamp.")]
    transcription_enabled: Annotated[bool, Col(BOOLEAN, default="FALSE")]
    language: Annotated[str | None, Col(Varchar(10), default="'en'")]
    time_zone: Annotated[str | None, Col(Varchar(50), default="'UTC'")]
    max_messages: Annotated[PositiveInt, Col(INT, default="100", doc="Deposits past it are refused.")]
    max_message_seconds: Annotated[PositiveInt, Col(INT, default="300")]
    retention_days: Annotated[PositiveInt | None, Col(INT, doc="Messages older are removed; NULL keeps them.")]
    metadata: MetadataDoc
    created_at: CreatedAt
    updated_at: UpdatedAt


class VoicemailMessage(Row):
    """A voicemail message in one folder of a box; ``read_at`` NULL means new."""

    __table_spec__ = TableSpec(
        "voicemail_messages",
        indexes=(
            Index("idx_vm_msg_box_folder", "box_id", "folder", "received_at DESC"),
            Index("idx_vm_msg_org_time", "org_id", "received_at DESC"),
        ),
        tenant=OrgScoped(),
        doc="Voicemail messages: folder, urgency, audio, read state.",
    )

    id: IdPk
    org_id: OrgRef
    box_id: Annotated[UUID, Col(UUID_, references="voicemail_boxes.id")]
    call_id: Annotated[str | None, Col(Varchar(255), doc="The call's cdrs.call_id.")]
    caller_id_name: Annotated[str | None, Col(Varchar(100))]
    caller_id_number: Annotated[CallerId | None, Col(Varchar(50))]
    folder: Annotated[Folder, Col(Varchar(20), default="'inbox'")]
    urgent: Annotated[bool, Col(BOOLEAN, default="FALSE")]
    duration_seconds: Annotated[NonNegativeInt, Col(INT, default="0")]
    audio_url: Annotated[Url, Col(Varchar(500))]
    audio_format: Annotated[AudioFormat | None, Col(Varchar(10), default="'wav'")]
    audio_size_bytes: Annotated[NonNegativeInt | None, Col(INT)]
    forwarded_by: Annotated[Mailbox | None, Col(Varchar(20), doc="Mailbox that forwarded it here.")]
    received_at: Annotated[UtcDateTime, Col(TIMESTAMP, default="NOW()")]
    read_at: Annotated[UtcDateTime | None, Col(TIMESTAMP, doc="NULL: new.")]
    deleted_at: Annotated[UtcDateTime | None, Col(TIMESTAMP, doc="When it moved to the deleted folder.")]
    metadata: MetadataDoc


class VoicemailTranscription(Row):
    """The transcription of one message, and its place in the transcription work queue."""

    __table_spec__ = TableSpec(
        "voicemail_transcriptions",
        indexes=(
            Index("idx_vm_tx_pending", "available_at"),
            Index("idx_vm_tx_leases", "lease_expires_at"),
        ),
        tenant=OrgScoped(),
        doc="Voicemail transcriptions and their work queue (lease, attempts, retry time).",
    )

    id: IdPk
    org_id: OrgRef
    message_id: Annotated[UUID, Col(UUID_, unique=True, references="voicemail_messages.id")]
    status: Annotated[TranscriptionStatus, Col(Varchar(20), default="'pending'")]
    engine: Annotated[str, Col(Varchar(50), doc="Speech-to-text engine.")]
    model: Annotated[str | None, Col(Varchar(100))]
    language: Annotated[str | None, Col(Varchar(10))]
    text: Annotated[str | None, Col(TEXT)]
    summary: Annotated[str | None, Col(TEXT)]
    confidence: Annotated[Confidence | None, Col(Numeric(4, 3))]
    segments: Annotated[list[TranscriptSegment], Col(JSONB, default="'[]'")]
    attempts: Annotated[NonNegativeInt, Col(INT, default="0", doc="Claims so far.")]
    max_attempts: Annotated[PositiveInt, Col(INT, default="5", doc="Claims before the job fails for good.")]
    available_at: Annotated[UtcDateTime, Col(TIMESTAMP, default="NOW()", doc="Not claimed before (retry backoff).")]
    claimed_by: Annotated[str | None, Col(Varchar(100), doc="Worker holding the lease.")]
    lease_expires_at: Annotated[UtcDateTime | None, Col(TIMESTAMP, doc="Claimable again after it (stuck worker).")]
    error_message: Annotated[str | None, Col(TEXT)]
    processing_seconds: Annotated[Decimal | None, Col(Numeric(8, 1))]
    requested_at: Annotated[UtcDateTime, Col(TIMESTAMP, default="NOW()")]
    started_at: Annotated[UtcDateTime | None, Col(TIMESTAMP)]
    completed_at: Annotated[UtcDateTime | None, Col(TIMESTAMP)]
    updated_at: UpdatedAt


# --- Generated by `python tools/codegen.py` from the declarations above. Do not edit. ---


class VoicemailBoxCreate(Create):
    """What a caller passes to create a ``voicemail_boxes`` row; fields the database fills are optional."""

    __row__ = VoicemailBox

    id: UUID | None = None
    org_id: UUID
    mailbox: Mailbox
    extension_id: UUID | None = None
    user_id: UUID | None = None
    pin_hash: PasswordHash | None = None
    enabled: bool | None = None
    active_greeting: Greeting | None = None
    greetings: Greetings | None = None
    notify_email: Email | None = None
    attach_audio: bool | None = None
    include_transcription: bool | None = None
    delete_after_notify: bool | None = None
    notify_sms_number: E164 | None = None
    mwi_enabled: bool | None = None
    transcription_enabled: bool | None = None
    language: str | None = None
    time_zone: str | None = None
    max_messages: PositiveInt | None = None
    max_message_seconds: PositiveInt | None = None
    retention_days: PositiveInt | None = None
    metadata: Metadata | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class VoicemailBoxUpdate(Update):
    """A partial update of a ``voicemail_boxes`` row: only the fields given change."""

    __row__ = VoicemailBox

    org_id: UUID | None = None
    mailbox: Mailbox | None = None
    extension_id: UUID | None = None
    user_id: UUID | None = None
    pin_hash: PasswordHash | None = None
    enabled: bool | None = None
    active_greeting: Greeting | None = None
    greetings: Greetings | None = None
    notify_email: Email | None = None
    attach_audio: bool | None = None
    include_transcription: bool | None = None
    delete_after_notify: bool | None = None
    notify_sms_number: E164 | None = None
    mwi_enabled: bool | None = None
    transcription_enabled: bool | None = None
    language: str | None = None
    time_zone: str | None = None
    max_messages: PositiveInt | None = None
    max_message_seconds: PositiveInt | None = None
    retention_days: PositiveInt | None = None
    metadata: Metadata | None = None


class VoicemailMessageCreate(Create):
    """What a caller passes to create a ``voicemail_messages`` row; fields the database fills are optional."""

    __row__ = VoicemailMessage

    id: UUID | None = None
    org_id: UUID
    box_id: UUID
    call_id: str | None = None
    caller_id_name: str | None = None
    caller_id_number: CallerId | None = None
    folder: Folder | None = None
    urgent: bool | None = None
    duration_seconds: NonNegativeInt | None = None
    audio_url: Url
    audio_format: AudioFormat | None = None
    audio_size_bytes: NonNegativeInt | None = None
    forwarded_by: Mailbox | None = None
    received_at: UtcDateTime | None = None
    read_at: UtcDateTime | None = None
    deleted_at: UtcDateTime | None = None
    metadata: Metadata | None = None


class VoicemailMessageUpdate(Update):
    """A partial update of a ``voicemail_messages`` row: only the fields given change."""

    __row__ = VoicemailMessage

    org_id: UUID | None = None
    box_id: UUID | None = None
    call_id: str | None = None
    caller_id_name: str | None = None
    caller_id_number: CallerId | None = None
    folder: Folder | None = None
    urgent: bool | None = None
    duration_seconds: NonNegativeInt | None = None
    audio_url: Url | None = None
    audio_format: AudioFormat | None = None
    audio_size_bytes: NonNegativeInt | None = None
    forwarded_by: Mailbox | None = None
    received_at: UtcDateTime | None = None
    read_at: UtcDateTime | None = None
    deleted_at: UtcDateTime | None = None
    metadata: Metadata | None = None


class VoicemailTranscriptionCreate(Create):
    """What a caller passes to create a ``voicemail_transcriptions`` row; fields the database fills are optional."""

    __row__ = VoicemailTranscription

    id: UUID | None = None
    org_id: UUID
    message_id: UUID
    status: TranscriptionStatus | None = None
    engine: str
    model: str | None = None
    language: str | None = None
    text: str | None = None
    summary: str | None = None
    confidence: Confidence | None = None
    segments: list[TranscriptSegment] | None = None
    attempts: NonNegativeInt | None = None
    max_attempts: PositiveInt | None = None
    available_at: UtcDateTime | None = None
    claimed_by: str | None = None
    lease_expires_at: UtcDateTime | None = None
    error_message: str | None = None
    processing_seconds: Decimal | None = None
    requested_at: UtcDateTime | None = None
    started_at: UtcDateTime | None = None
    completed_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class VoicemailTranscriptionUpdate(Update):
    """A partial update of a ``voicemail_transcriptions`` row: only the fields given change."""

    __row__ = VoicemailTranscription

    org_id: UUID | None = None
    message_id: UUID | None = None
    status: TranscriptionStatus | None = None
    engine: str | None = None
    model: str | None = None
    language: str | None = None
    text: str | None = None
    summary: str | None = None
    confidence: Confidence | None = None
    segments: list[TranscriptSegment] | None = None
    attempts: NonNegativeInt | None = None
    max_attempts: PositiveInt | None = None
    available_at: UtcDateTime | None = None
    claimed_by: str | None = None
    lease_expires_at: UtcDateTime | None = None
    error_message: str | None = None
    processing_seconds: Decimal | None = None
    requested_at: UtcDateTime | None = None
    started_at: UtcDateTime | None = None
    completed_at: UtcDateTime | None = None


__all__ = [
    "AudioFormat",
    "Confidence",
    "Folder",
    "Greeting",
    "Greetings",
    "Mailbox",
    "SegmentConfidence",
    "TranscriptSegment",
    "TranscriptionStatus",
    "VoicemailBox",
    "VoicemailBoxCreate",
    "VoicemailBoxUpdate",
    "VoicemailMessage",
    "VoicemailMessageCreate",
    "VoicemailMessageUpdate",
    "VoicemailTranscription",
    "VoicemailTranscriptionCreate",
    "VoicemailTranscriptionUpdate",
]
