"""Organizations and users: tenants, their settings, people, API keys and the audit trail."""

from typing import Annotated, Literal
from uuid import UUID

from warp_models._base import Create, Row, Update
from warp_models._columns import (
    BOOLEAN,
    INET,
    INT,
    JSONB,
    TEXT,
    TIMESTAMP,
    UUID_,
    Col,
    Index,
    OrgScoped,
    TableSpec,
    Varchar,
)
from warp_models._common import CreatedAt, IdPk, MetadataDoc, OrgRef, UpdatedAt
from warp_models._time import UtcDateTime
from warp_models.types import (
    ApiKeyHash,
    CountryCode,
    Email,
    EncryptedMfaSecret,
    FccFilerId,
    IpAddress,
    Metadata,
    OrgFeatures,
    PasswordHash,
    Permission,
    RateLimits,
)

OrgStatus = Literal["active", "pending", "suspended", "closed"]
OrgTier = Literal["standard", "premium", "enterprise", "wholesale"]
UserRole = Literal["owner", "admin", "user", "billing", "readonly"]
UserStatus = Literal["active", "invited", "suspended", "disabled"]
ApiKeyStatus = Literal["active", "revoked", "expired"]


class Organization(Row):
    """A carrier account: the tenant that every other row belongs to."""

    __table_spec__ = TableSpec(
        "organizations",
        indexes=(Index("organizations_parent_org_id_idx", "parent_org_id"),),
        tenant=OrgScoped("id"),
        doc="Carrier accounts; organizations may nest under a parent.",
    )

    id: IdPk
    name: Annotated[str, Col(Varchar(255), doc="Display name.")]
    fcc_filer_id: Annotated[FccFilerId | None, Col(Varchar(50), unique=True, doc="FCC Form 499 filer id.")]
    parent_org_id: Annotated[UUID | None, Col(UUID_, references="organizations.id", doc="Parent organization.")]
    status: Annotated[OrgStatus | None, Col(Varchar(50), default="'active'")]
    tier: Annotated[OrgTier | None, Col(Varchar(50), default="'standard'")]
    billing_account_id: Annotated[UUID | None, Col(UUID_, doc="The billing account (no foreign key in the seed).")]
    metadata: MetadataDoc
    created_at: CreatedAt
    updated_at: UpdatedAt


class OrganizationSettings(Row):
    """Limits and feature switches of one organization."""

    __table_spec__ = TableSpec("organization_settings", tenant=OrgScoped(), doc="One row per organization.")

    org_id: Annotated[UUID, Col(UUID_, primary_key=True, references="organizations.id")]
    max_trunks: Annotated[int | None, Col(INT, default="10", doc="How many SIP trunks the org may own.")]
    max_numbers: Annotated[int | None, Col(INT, default="1000", doc="How many phone numbers the org may hold.")]
    max_concurrent_calls: Annotated[int | None, Col(INT, default="10000")]
    allowed_regions: Annotated[
        list[CountryCode] | None, Col(JSONB, default="""'["US"]'""", doc="Countries the org may call.")
    ]
    features: Annotated[OrgFeatures | None, Col(JSONB, default="'{}'")]
    rate_limits: Annotated[RateLimits | None, Col(JSONB, default="'{}'")]
    updated_at: UpdatedAt


class User(Row):
    """A person who signs in to an organization."""

    __table_spec__ = TableSpec("users", tenant=OrgScoped(), doc="Users within organizations.")

    id: IdPk
    org_id: OrgRef
    email: Annotated[Email, Col(Varchar(255), unique=True)]
    username: Annotated[str, Col(Varchar(100), unique=True)]
    password_hash: Annotated[
        PasswordHash, Col(Varchar(255), secret=True, doc="Argon2id hash (``hash_password``); never logged.")
    ]
    role: Annotated[UserRole | None, Col(Varchar(50), default="'user'")]
    status: Annotated[UserStatus | None, Col(Varchar(50), default="'active'")]
    mfa_enabled: Annotated[bool | None, Col(BOOLEAN, default="FALSE")]
    mfa_secret: Annotated[
        EncryptedMfaSecret | None, Col(Varchar(255), secret=True, doc="TOTP secret, AES-GCM encrypted; never logged.")
    ]
    last_login: Annotated[UtcDateTime | None, Col(TIMESTAMP)]
    metadata: MetadataDoc
    created_at: CreatedAt
    updated_at: UpdatedAt


class ApiKey(Row):
    """A key for programmatic access; only its hash is stored."""

    __table_spec__ = TableSpec("api_keys", tenant=OrgScoped(), doc="API keys for programmatic access.")

    id: IdPk
    org_id: OrgRef
    user_id: Annotated[UUID | None, Col(UUID_, references="users.id")]
    key_hash: Annotated[
        ApiKeyHash, Col(Varchar(255), unique=True, secret=True, doc="Peppered hash of the key; never logged.")
    ]
    name: Annotated[str, Col(Varchar(255))]
    permissions: Annotated[list[Permission] | None, Col(JSONB, default="'[]'")]
    rate_limit: Annotated[int | None, Col(INT, default="1000", doc="Requests per minute.")]
    last_used: Annotated[UtcDateTime | None, Col(TIMESTAMP)]
    expires_at: Annotated[UtcDateTime | None, Col(TIMESTAMP)]
    status: Annotated[ApiKeyStatus | None, Col(Varchar(50), default="'active'")]
    created_at: CreatedAt


class AuditLog(Row):
    """One change or security event, who made it and from where."""

    __table_spec__ = TableSpec(
        "audit_logs",
        indexes=(Index("idx_audit_org_time", "org_id", "created_at DESC"),),
        tenant=OrgScoped(),
        doc="Audit log for security.",
    )

    id: IdPk
    org_id: Annotated[UUID | None, Col(UUID_, references="organizations.id")]
    user_id: Annotated[UUID | None, Col(UUID_, references="users.id")]
    api_key_id: Annotated[UUID | None, Col(UUID_, references="api_keys.id")]
    action: Annotated[str, Col(Varchar(100), doc="What happened (``insert``, ``update``, ``login`` ...).")]
    resource_type: Annotated[str | None, Col(Varchar(50))]
    resource_id: Annotated[str | None, Col(Varchar(255))]
    ip_address: Annotated[IpAddress | None, Col(INET)]
    user_agent: Annotated[str | None, Col(TEXT)]
    metadata: MetadataDoc
    created_at: CreatedAt


# --- Generated by `python tools/codegen.py` from the declarations above. Do not edit. ---


class OrganizationCreate(Create):
    """What a caller passes to create a ``organizations`` row; fields the database fills are optional."""

    __row__ = Organization

    id: UUID | None = None
    name: str
    fcc_filer_id: FccFilerId | None = None
    parent_org_id: UUID | None = None
    status: OrgStatus | None = None
    tier: OrgTier | None = None
    billing_account_id: UUID | None = None
    metadata: Metadata | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class OrganizationUpdate(Update):
    """A partial update of a ``organizations`` row: only the fields given change."""

    __row__ = Organization

    name: str | None = None
    fcc_filer_id: FccFilerId | None = None
    parent_org_id: UUID | None = None
    status: OrgStatus | None = None
    tier: OrgTier | None = None
    billing_account_id: UUID | None = None
    metadata: Metadata | None = None


class OrganizationSettingsCreate(Create):
    """What a caller passes to create a ``organization_settings`` row; fields the database fills are optional."""

    __row__ = OrganizationSettings

    org_id: UUID
    max_trunks: int | None = None
    max_numbers: int | None = None
    max_concurrent_calls: int | None = None
    allowed_regions: list[CountryCode] | None = None
    features: OrgFeatures | None = None
    rate_limits: RateLimits | None = None
    updated_at: UtcDateTime | None = None


class OrganizationSettingsUpdate(Update):
    """A partial update of a ``organization_settings`` row: only the fields given change."""

    __row__ = OrganizationSettings

    max_trunks: int | None = None
    max_numbers: int | None = None
    max_concurrent_calls: int | None = None
    allowed_regions: list[CountryCode] | None = None
    features: OrgFeatures | None = None
    rate_limits: RateLimits | None = None


class UserCreate(Create):
    """What a caller passes to create a ``users`` row; fields the database fills are optional."""

    __row__ = User

    id: UUID | None = None
    org_id: UUID
    email: Email
    username: str
    password_hash: PasswordHash
    role: UserRole | None = None
    status: UserStatus | None = None
    mfa_enabled: bool | None = None
    mfa_secret: EncryptedMfaSecret | None = None
    last_login: UtcDateTime | None = None
    metadata: Metadata | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class UserUpdate(Update):
    """A partial update of a ``users`` row: only the fields given change."""

    __row__ = User

    org_id: UUID | None = None
    email: Email | None = None
    username: str | None = None
    password_hash: PasswordHash | None = None
    role: UserRole | None = None
    status: UserStatus | None = None
    mfa_enabled: bool | None = None
    mfa_secret: EncryptedMfaSecret | None = None
    last_login: UtcDateTime | None = None
    metadata: Metadata | None = None


class ApiKeyCreate(Create):
    """What a caller passes to create a ``api_keys`` row; fields the database fills are optional."""

    __row__ = ApiKey

    id: UUID | None = None
    org_id: UUID
    user_id: UUID | None = None
    key_hash: ApiKeyHash
    name: str
    permissions: list[Permission] | None = None
    rate_limit: int | None = None
    last_used: UtcDateTime | None = None
    expires_at: UtcDateTime | None = None
    status: ApiKeyStatus | None = None
    created_at: UtcDateTime | None = None


class ApiKeyUpdate(Update):
    """A partial update of a ``api_keys`` row: only the fields given change."""

    __row__ = ApiKey

    org_id: UUID | None = None
    user_id: UUID | None = None
    key_hash: ApiKeyHash | None = None
    name: str | None = None
    permissions: list[Permission] | None = None
    rate_limit: int | None = None
    last_used: UtcDateTime | None = None
    expires_at: UtcDateTime | None = None
    status: ApiKeyStatus | None = None


class AuditLogCreate(Create):
    """What a caller passes to create a ``audit_logs`` row; fields the database fills are optional."""

    __row__ = AuditLog

    id: UUID | None = None
    org_id: UUID | None = None
    user_id: UUID | None = None
    api_key_id: UUID | None = None
    action: str
    resource_type: str | None = None
    resource_id: str | None = None
    ip_address: IpAddress | None = None
    user_agent: str | None = None
    metadata: Metadata | None = None
    created_at: UtcDateTime | None = None


class AuditLogUpdate(Update):
    """A partial update of a ``audit_logs`` row: only the fields given change."""

    __row__ = AuditLog

    org_id: UUID | None = None
    user_id: UUID | None = None
    api_key_id: UUID | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    ip_address: IpAddress | None = None
    user_agent: str | None = None
    metadata: Metadata | None = None


__all__ = [
    "ApiKey",
    "ApiKeyCreate",
    "ApiKeyStatus",
    "ApiKeyUpdate",
    "AuditLog",
    "AuditLogCreate",
    "AuditLogUpdate",
    "OrgStatus",
    "OrgTier",
    "Organization",
    "OrganizationCreate",
    "OrganizationSettings",
    "OrganizationSettingsCreate",
    "OrganizationSettingsUpdate",
    "OrganizationUpdate",
    "User",
    "UserCreate",
    "UserRole",
    "UserStatus",
    "UserUpdate",
]
