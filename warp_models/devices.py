"""Devices: the registry of desk phones and adapters, their provisioning configurations, firmware and health.

A phone fetches its configuration by MAC address at boot; the configuration it gets is its own
``device_configurations`` row merged over that row's ancestors. Modelled on FusionPBX ``v_devices`` /
``v_device_profiles`` / ``v_device_lines`` and Wazo provd's device and config documents; see
``docs/schema-notes.md``.
"""

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from warp_models._base import Create, Row, Update
from warp_models._columns import (
    BOOLEAN,
    DATE,
    INET,
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
    IpAddress,
    JsonDocument,
    MacAddress,
    Metadata,
    MosScore,
    NonNegativeInt,
    PasswordHash,
    Percent,
    Url,
)

DeviceStatus = Literal["new", "provisioned", "disabled", "retired"]
FirmwareStatus = Literal["testing", "recommended", "supported", "deprecated", "withdrawn"]
HealthStatus = Literal["ok", "degraded", "critical", "offline", "unknown"]
KeyType = Literal["line", "blf", "speed_dial", "park", "transfer", "dtmf", "url"]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest in lowercase hex, as firmware download pages publish it."""
KeyValue = Annotated[str, StringConstraints(max_length=255)]
"""What a key dials or watches: an extension, a number, a URL."""
KeyLabel = Annotated[str, StringConstraints(max_length=100)]
"""The text a phone shows beside a key or line."""


class DeviceKey(JsonDocument):
    """One programmable key of a phone (FusionPBX ``v_device_keys``): what it does and what it shows."""

    key: Annotated[int, Field(ge=1, le=200)]
    type: KeyType
    value: KeyValue | None = None
    label: KeyLabel | None = None
    line: Annotated[int, Field(ge=1, le=64)] = 1


class DeviceLine(JsonDocument):
    """A line appearance beyond the primary one: ``line`` number on the phone and the extension it registers."""

    line: Annotated[int, Field(ge=2, le=64)]
    extension_id: UUID
    label: KeyLabel | None = None
    shared: bool = False


class FirmwareCapabilities(JsonDocument):
    """``firmware_versions.capabilities``: what the build supports on that model."""

    lines: NonNegativeInt | None = None
    function_keys: NonNegativeInt | None = None
    expansion_modules: NonNegativeInt | None = None


class DeviceConfiguration(Row):
    """A provisioning configuration: settings and keys, inheriting its parent's and overriding them."""

    __table_spec__ = TableSpec(
        "device_configurations",
        unique=(("org_id", "name"),),
        indexes=(Index("uq_device_configurations_default", "org_id"),),
        tenant=OrgScoped(),
        doc="Provisioning configurations (profiles), each inheriting from an optional parent.",
    )

    id: IdPk
    org_id: OrgRef
    name: Annotated[str, Col(Varchar(255))]
    parent_id: Annotated[UUID | None, Col(UUID_, references="device_configurations.id", doc="Inherited from.")]
    vendor: Annotated[str | None, Col(Varchar(50), doc="NULL: any vendor.")]
    model: Annotated[str | None, Col(Varchar(100), doc="NULL: any model.")]
    template: Annotated[str | None, Col(Varchar(100), doc="Template the provisioning server renders.")]
    settings: Annotated[Metadata, Col(JSONB, default="'{}'", doc="Settings; a child's keys override its parent's.")]
    keys: Annotated[list[DeviceKey], Col(JSONB, default="'[]'", doc="Programmable keys; a child's replace by key.")]
    version: Annotated[int, Col(INT, default="1", doc="Raised by the database on every change.")]
    is_default: Annotated[bool, Col(BOOLEAN, default="FALSE", doc="Used by devices with none; one per org.")]
    enabled: Annotated[bool, Col(BOOLEAN, default="TRUE")]
    description: Annotated[str | None, Col(Varchar(255))]
    created_at: CreatedAt
    updated_at: UpdatedAt


class FirmwareVersion(Row):
    """A firmware build of one vendor's model, in the platform's catalog."""

    __table_spec__ = TableSpec(
        "firmware_versions",
        unique=(("vendor", "model", "version"),),
        indexes=(Index("uq_firmware_recommended", "vendor", "model"),),
        tenant=None,
        doc="Platform firmware catalog: one row per build; at most one recommended per vendor and model.",
    )

    id: IdPk
    vendor: Annotated[str, Col(Varchar(50))]
    model: Annotated[str, Col(Varchar(100))]
    version: Annotated[str, Col(Varchar(50))]
    status: Annotated[FirmwareStatus, Col(Varchar(20), default="'testing'")]
    file_url: Annotated[Url, Col(Varchar(500))]
    file_name: Annotated[str | None, Col(Varchar(255))]
    file_size_bytes: Annotated[NonNegativeInt | None, Col(INT)]
    sha256: Annotated[Sha256Hex, Col(Varchar(64), doc="Digest the phone checks after download.")]
    released_at: Annotated[date | None, Col(DATE)]
    release_notes: Annotated[str | None, Col(TEXT)]
    capabilities: Annotated[FirmwareCapabilities | None, Col(JSONB, default="'{}'")]
    created_at: CreatedAt
    updated_at: UpdatedAt


class Device(Row):
    """A phone or adapter: found by MAC address at boot, provisioned with its effective configuration."""

    __table_spec__ = TableSpec(
        "devices",
        indexes=(
            Index("idx_devices_org_status", "org_id", "status"),
            Index("idx_devices_vendor_model", "vendor", "model"),
            Index("idx_devices_lines", "lines jsonb_path_ops", using="gin"),
        ),
        tenant=OrgScoped(),
        doc="Device registry: MAC address, owner, lines, configuration, firmware pin and last provisioning.",
    )

    id: IdPk
    org_id: OrgRef
    mac_address: Annotated[MacAddress, Col(Varchar(17), unique=True, doc="aa:bb:cc:dd:ee:ff, unique platform-wide.")]
    vendor: Annotated[str | None, Col(Varchar(50))]
    model: Annotated[str | None, Col(Varchar(100))]
    serial_number: Annotated[str | None, Col(Varchar(100))]
    label: Annotated[str | None, Col(Varchar(255))]
    location: Annotated[str | None, Col(Varchar(255))]
    user_id: Annotated[UUID | None, Col(UUID_, references="users.id")]
    primary_extension_id: Annotated[UUID | None, Col(UUID_, references="extensions.id", doc="Line 1.")]
    lines: Annotated[list[DeviceLine], Col(JSONB, default="'[]'", doc="Further line appearances.")]
    configuration_id: Annotated[UUID | None, Col(UUID_, references="device_configurations.id")]
    applied_config_version: Annotated[int | None, Col(INT, doc="Effective configuration version last served.")]
    target_firmware_id: Annotated[
        UUID | None, Col(UUID_, references="firmware_versions.id", doc="Pinned build; NULL: the recommended one.")
    ]
    reported_firmware_version: Annotated[str | None, Col(Varchar(50), doc="As the User-Agent last said.")]
    provisioning_username: Annotated[str | None, Col(Varchar(100))]
    provisioning_password_hash: Annotated[PasswordHash | None, Col(Varchar(255), secret=True)]
    status: Annotated[DeviceStatus, Col(Varchar(50), default="'new'")]
    last_provisioned_at: Annotated[UtcDateTime | None, Col(TIMESTAMP)]
    last_provisioned_ip: Annotated[IpAddress | None, Col(INET)]
    last_provisioned_user_agent: Annotated[str | None, Col(Varchar(255))]
    metadata: MetadataDoc
    created_at: CreatedAt
    updated_at: UpdatedAt


class DeviceHealthMetric(Row):
    """One health sample of a device: registration, network quality. Partitioned by month of ``recorded_at``."""

    __table_spec__ = TableSpec(
        "device_health_metrics",
        partition_by="recorded_at",
        indexes=(
            Index("idx_dhm_device_time", "device_id", "recorded_at DESC"),
            Index("idx_dhm_org_time", "org_id", "recorded_at DESC"),
        ),
        tenant=OrgScoped(),
        doc="Device health samples, monthly partitions on recorded_at plus a DEFAULT partition.",
    )

    id: IdPk
    org_id: OrgRef
    device_id: Annotated[UUID, Col(UUID_, references="devices.id")]
    recorded_at: Annotated[UtcDateTime, Col(TIMESTAMP, default="NOW()")]
    health_status: Annotated[HealthStatus, Col(Varchar(20), default="'unknown'")]
    registered: Annotated[bool, Col(BOOLEAN, default="FALSE")]
    registration_expires_at: Annotated[UtcDateTime | None, Col(TIMESTAMP)]
    source_ip: Annotated[IpAddress | None, Col(INET)]
    user_agent: Annotated[str | None, Col(Varchar(255))]
    rtt_ms: Annotated[NonNegativeInt | None, Col(INT)]
    jitter_ms: Annotated[NonNegativeInt | None, Col(INT)]
    packet_loss: Annotated[Percent | None, Col(Numeric(5, 2))]
    mos_score: Annotated[MosScore | None, Col(Numeric(3, 2))]
    uptime_seconds: Annotated[NonNegativeInt | None, Col(INT)]
    failed_registrations: Annotated[NonNegativeInt, Col(INT, default="0")]
    metrics: Annotated[Metadata, Col(JSONB, default="'{}'", doc="Vendor-specific counters.")]


# --- Generated by `python tools/codegen.py` from the declarations above. Do not edit. ---


class DeviceConfigurationCreate(Create):
    """What a caller passes to create a ``device_configurations`` row; fields the database fills are optional."""

    __row__ = DeviceConfiguration

    id: UUID | None = None
    org_id: UUID
    name: str
    parent_id: UUID | None = None
    vendor: str | None = None
    model: str | None = None
    template: str | None = None
    settings: Metadata | None = None
    keys: list[DeviceKey] | None = None
    version: int | None = None
    is_default: bool | None = None
    enabled: bool | None = None
    description: str | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class DeviceConfigurationUpdate(Update):
    """A partial update of a ``device_configurations`` row: only the fields given change."""

    __row__ = DeviceConfiguration

    org_id: UUID | None = None
    name: str | None = None
    parent_id: UUID | None = None
    vendor: str | None = None
    model: str | None = None
    template: str | None = None
    settings: Metadata | None = None
    keys: list[DeviceKey] | None = None
    version: int | None = None
    is_default: bool | None = None
    enabled: bool | None = None
    description: str | None = None


class FirmwareVersionCreate(Create):
    """What a caller passes to create a ``firmware_versions`` row; fields the database fills are optional."""

    __row__ = FirmwareVersion

    id: UUID | None = None
    vendor: str
    model: str
    version: str
    status: FirmwareStatus | None = None
    file_url: Url
    file_name: str | None = None
    file_size_bytes: NonNegativeInt | None = None
    sha256: Sha256Hex
    released_at: date | None = None
    release_notes: str | None = None
    capabilities: FirmwareCapabilities | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class FirmwareVersionUpdate(Update):
    """A partial update of a ``firmware_versions`` row: only the fields given change."""

    __row__ = FirmwareVersion

    vendor: str | None = None
    model: str | None = None
    version: str | None = None
    status: FirmwareStatus | None = None
    file_url: Url | None = None
    file_name: str | None = None
    file_size_bytes: NonNegativeInt | None = None
    sha256: Sha256Hex | None = None
    released_at: date | None = None
    release_notes: str | None = None
    capabilities: FirmwareCapabilities | None = None


class DeviceCreate(Create):
    """What a caller passes to create a ``devices`` row; fields the database fills are optional."""

    __row__ = Device

    id: UUID | None = None
    org_id: UUID
    mac_address: MacAddress
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    label: str | None = None
    location: str | None = None
    user_id: UUID | None = None
    primary_extension_id: UUID | None = None
    lines: list[DeviceLine] | None = None
    configuration_id: UUID | None = None
    applied_config_version: int | None = None
    target_firmware_id: UUID | None = None
    reported_firmware_version: str | None = None
    provisioning_username: str | None = None
    provisioning_password_hash: PasswordHash | None = None
    status: DeviceStatus | None = None
    last_provisioned_at: UtcDateTime | None = None
    last_provisioned_ip: IpAddress | None = None
    last_provisioned_user_agent: str | None = None
    metadata: Metadata | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class DeviceUpdate(Update):
    """A partial update of a ``devices`` row: only the fields given change."""

    __row__ = Device

    org_id: UUID | None = None
    mac_address: MacAddress | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    label: str | None = None
    location: str | None = None
    user_id: UUID | None = None
    primary_extension_id: UUID | None = None
    lines: list[DeviceLine] | None = None
    configuration_id: UUID | None = None
    applied_config_version: int | None = None
    target_firmware_id: UUID | None = None
    reported_firmware_version: str | None = None
    provisioning_username: str | None = None
    provisioning_password_hash: PasswordHash | None = None
    status: DeviceStatus | None = None
    last_provisioned_at: UtcDateTime | None = None
    last_provisioned_ip: IpAddress | None = None
    last_provisioned_user_agent: str | None = None
    metadata: Metadata | None = None


class DeviceHealthMetricCreate(Create):
    """What a caller passes to create a ``device_health_metrics`` row; fields the database fills are optional."""

    __row__ = DeviceHealthMetric

    id: UUID | None = None
    org_id: UUID
    device_id: UUID
    recorded_at: UtcDateTime | None = None
    health_status: HealthStatus | None = None
    registered: bool | None = None
    registration_expires_at: UtcDateTime | None = None
    source_ip: IpAddress | None = None
    user_agent: str | None = None
    rtt_ms: NonNegativeInt | None = None
    jitter_ms: NonNegativeInt | None = None
    packet_loss: Percent | None = None
    mos_score: MosScore | None = None
    uptime_seconds: NonNegativeInt | None = None
    failed_registrations: NonNegativeInt | None = None
    metrics: Metadata | None = None


class DeviceHealthMetricUpdate(Update):
    """A partial update of a ``device_health_metrics`` row: only the fields given change."""

    __row__ = DeviceHealthMetric

    org_id: UUID | None = None
    device_id: UUID | None = None
    recorded_at: UtcDateTime | None = None
    health_status: HealthStatus | None = None
    registered: bool | None = None
    registration_expires_at: UtcDateTime | None = None
    source_ip: IpAddress | None = None
    user_agent: str | None = None
    rtt_ms: NonNegativeInt | None = None
    jitter_ms: NonNegativeInt | None = None
    packet_loss: Percent | None = None
    mos_score: MosScore | None = None
    uptime_seconds: NonNegativeInt | None = None
    failed_registrations: NonNegativeInt | None = None
    metrics: Metadata | None = None


__all__ = [
    "Device",
    "DeviceConfiguration",
    "DeviceConfigurationCreate",
    "DeviceConfigurationUpdate",
    "DeviceCreate",
    "DeviceHealthMetric",
    "DeviceHealthMetricCreate",
    "DeviceHealthMetricUpdate",
    "DeviceKey",
    "DeviceLine",
    "DeviceStatus",
    "DeviceUpdate",
    "FirmwareCapabilities",
    "FirmwareStatus",
    "FirmwareVersion",
    "FirmwareVersionCreate",
    "FirmwareVersionUpdate",
    "HealthStatus",
    "KeyLabel",
    "KeyType",
    "KeyValue",
    "Sha256Hex",
]
