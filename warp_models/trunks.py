"""SIP trunks: configuration, registration state (written by the SIP proxy) and IP access lists."""

from collections.abc import Mapping
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import SecretStr

from warp_models._base import Create, Row, Update
from warp_models._columns import (
    BOOLEAN,
    INET,
    INT,
    JSONB,
    TIMESTAMP,
    UUID_,
    Col,
    Index,
    OrgScoped,
    ParentScoped,
    TableSpec,
    Varchar,
)
from warp_models._common import CreatedAt, IdPk, MetadataDoc, OrgRef, UpdatedAt
from warp_models._time import UtcDateTime
from warp_models.types import Codec, IpAddress, IpNetwork, Metadata, SipUsername

TrunkAuthType = Literal["digest", "ip", "digest_and_ip"]
TrunkStatus = Literal["active", "inactive", "suspended"]
Transport = Literal["UDP", "TCP", "TLS", "WS", "WSS"]
DtmfMode = Literal["RFC2833", "INFO", "INBAND", "AUTO"]
SrtpMode = Literal["disabled", "optional", "required"]
RegistrationStatus = Literal["online", "offline", "expired", "failed"]


class SipTrunk(Row):
    """A SIP trunk: how an organization's calls enter and leave the platform."""

    __table_spec__ = TableSpec(
        "sip_trunks",
        unique=(("org_id", "name"),),
        indexes=(Index("idx_trunks_org_status", "org_id", "status"),),
        tenant=OrgScoped(),
        doc="SIP trunk configurations.",
    )

    id: IdPk
    org_id: OrgRef
    name: Annotated[str, Col(Varchar(255), doc="Unique within the organization.")]
    username: Annotated[SipUsername, Col(Varchar(100), unique=True, doc="SIP digest user name.")]
    password_hash: Annotated[SecretStr | None, Col(Varchar(255), secret=True, doc="Digest secret hash.")]
    auth_type: Annotated[TrunkAuthType | None, Col(Varchar(50), default="'digest'")]
    status: Annotated[TrunkStatus | None, Col(Varchar(50), default="'active'")]
    max_channels: Annotated[int | None, Col(INT, default="100", doc="Concurrent call limit.")]
    channels_in_use: Annotated[int | None, Col(INT, default="0", doc="Calls up now.")]
    allowed_ips: Annotated[list[IpNetwork] | None, Col(JSONB, default="'[]'", doc="Networks allowed to send.")]
    transport: Annotated[Transport | None, Col(Varchar(20), default="'UDP'")]
    nat_enabled: Annotated[bool | None, Col(BOOLEAN, default="FALSE")]
    codecs: Annotated[list[Codec] | None, Col(JSONB, default="""'["PCMU", "PCMA", "G722"]'""")]
    dtmf_mode: Annotated[DtmfMode | None, Col(Varchar(20), default="'RFC2833'")]
    fax_enabled: Annotated[bool | None, Col(BOOLEAN, default="FALSE")]
    srtp_mode: Annotated[SrtpMode | None, Col(Varchar(20), default="'optional'")]
    inbound_context: Annotated[str | None, Col(Varchar(100), default="'from-trunk'")]
    outbound_proxy: Annotated[str | None, Col(Varchar(255))]
    failover_trunk_id: Annotated[UUID | None, Col(UUID_, references="sip_trunks.id", doc="Trunk tried next.")]
    metadata: MetadataDoc
    created_at: CreatedAt
    updated_at: UpdatedAt


class TrunkRegistration(Row):
    """The registration state of a trunk, written by the SIP proxy."""

    __table_spec__ = TableSpec(
        "trunk_registrations",
        tenant=ParentScoped("trunk_id", "sip_trunks"),
        doc="Trunk registration status (updated by Kamailio).",
    )

    trunk_id: Annotated[UUID, Col(UUID_, primary_key=True, references="sip_trunks.id")]
    contact: Annotated[str | None, Col(Varchar(255), doc="Contact URI (``sip:user@host:port``).")]
    received: Annotated[str | None, Col(Varchar(255), doc="Source address the REGISTER came from.")]
    user_agent: Annotated[str | None, Col(Varchar(255))]
    expires_at: Annotated[UtcDateTime | None, Col(TIMESTAMP)]
    last_seen: Annotated[UtcDateTime | None, Col(TIMESTAMP, default="NOW()")]
    status: Annotated[RegistrationStatus | None, Col(Varchar(50), default="'offline'")]


class TrunkAcl(Row):
    """One network allowed to use a trunk: ``ip_address`` with a prefix length ``subnet_mask``."""

    __table_spec__ = TableSpec(
        "trunk_acl",
        unique=(("trunk_id", "ip_address"),),
        indexes=(Index("trunk_acl_network_idx", "set_masklen(ip_address, subnet_mask) inet_ops", using="gist"),),
        tenant=ParentScoped("trunk_id", "sip_trunks"),
        doc="IP ACL for trunks.",
    )

    id: IdPk
    trunk_id: Annotated[UUID, Col(UUID_, references="sip_trunks.id")]
    ip_address: Annotated[IpAddress, Col(INET)]
    subnet_mask: Annotated[int | None, Col(INT, default="32", doc="Prefix length: 0-32 for IPv4, 0-128 for IPv6.")]
    description: Annotated[str | None, Col(Varchar(255))]
    created_at: CreatedAt

    @classmethod
    def check(cls, values: Mapping[str, Any]) -> None:  # noqa: D102
        check_subnet_mask(values.get("ip_address"), values.get("subnet_mask"))


def check_subnet_mask(address: IpAddress | None, mask: int | None) -> None:
    """Refuse a prefix length that the address family cannot have."""
    if mask is None:
        return
    limit = 32 if address is not None and address.version == 4 else 128
    if not 0 <= mask <= limit:
        family = f"for {address}" if address is not None else "(IPv6 allows 128, IPv4 32)"
        raise ValueError(f"subnet_mask must be between 0 and {limit} {family}, not {mask}")


# --- Generated by `python tools/codegen.py` from the declarations above. Do not edit. ---


class SipTrunkCreate(Create):
    """What a caller passes to create a ``sip_trunks`` row; fields the database fills are optional."""

    __row__ = SipTrunk

    id: UUID | None = None
    org_id: UUID
    name: str
    username: SipUsername
    password_hash: SecretStr | None = None
    auth_type: TrunkAuthType | None = None
    status: TrunkStatus | None = None
    max_channels: int | None = None
    channels_in_use: int | None = None
    allowed_ips: list[IpNetwork] | None = None
    transport: Transport | None = None
    nat_enabled: bool | None = None
    codecs: list[Codec] | None = None
    dtmf_mode: DtmfMode | None = None
    fax_enabled: bool | None = None
    srtp_mode: SrtpMode | None = None
    inbound_context: str | None = None
    outbound_proxy: str | None = None
    failover_trunk_id: UUID | None = None
    metadata: Metadata | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class SipTrunkUpdate(Update):
    """A partial update of a ``sip_trunks`` row: only the fields given change."""

    __row__ = SipTrunk

    org_id: UUID | None = None
    name: str | None = None
    username: SipUsername | None = None
    password_hash: SecretStr | None = None
    auth_type: TrunkAuthType | None = None
    status: TrunkStatus | None = None
    max_channels: int | None = None
    channels_in_use: int | None = None
    allowed_ips: list[IpNetwork] | None = None
    transport: Transport | None = None
    nat_enabled: bool | None = None
    codecs: list[Codec] | None = None
    dtmf_mode: DtmfMode | None = None
    fax_enabled: bool | None = None
    srtp_mode: SrtpMode | None = None
    inbound_context: str | None = None
    outbound_proxy: str | None = None
    failover_trunk_id: UUID | None = None
    metadata: Metadata | None = None


class TrunkRegistrationCreate(Create):
    """What a caller passes to create a ``trunk_registrations`` row; fields the database fills are optional."""

    __row__ = TrunkRegistration

    trunk_id: UUID
    contact: str | None = None
    received: str | None = None
    user_agent: str | None = None
    expires_at: UtcDateTime | None = None
    last_seen: UtcDateTime | None = None
    status: RegistrationStatus | None = None


class TrunkRegistrationUpdate(Update):
    """A partial update of a ``trunk_registrations`` row: only the fields given change."""

    __row__ = TrunkRegistration

    contact: str | None = None
    received: str | None = None
    user_agent: str | None = None
    expires_at: UtcDateTime | None = None
    last_seen: UtcDateTime | None = None
    status: RegistrationStatus | None = None


class TrunkAclCreate(Create):
    """What a caller passes to create a ``trunk_acl`` row; fields the database fills are optional."""

    __row__ = TrunkAcl

    id: UUID | None = None
    trunk_id: UUID
    ip_address: IpAddress
    subnet_mask: int | None = None
    description: str | None = None
    created_at: UtcDateTime | None = None


class TrunkAclUpdate(Update):
    """A partial update of a ``trunk_acl`` row: only the fields given change."""

    __row__ = TrunkAcl

    trunk_id: UUID | None = None
    ip_address: IpAddress | None = None
    subnet_mask: int | None = None
    description: str | None = None


__all__ = [
    "DtmfMode",
    "RegistrationStatus",
    "SipTrunk",
    "SipTrunkCreate",
    "SipTrunkUpdate",
    "SrtpMode",
    "Transport",
    "TrunkAcl",
    "TrunkAclCreate",
    "TrunkAclUpdate",
    "TrunkAuthType",
    "TrunkRegistration",
    "TrunkRegistrationCreate",
    "TrunkRegistrationUpdate",
    "TrunkStatus",
    "check_subnet_mask",
]
