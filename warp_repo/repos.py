"""One repository per table, sync and async: ``TrunkRepo(conn).by_org(org_id)`` is a ``list[SipTrunk]``.

Each class names its table's three models once, as type arguments; everything else comes from the generic
repositories (``Repo``/``TenantRepo`` and their async twins). Tables holding tenant data derive from
``TenantRepo`` (``for_org``, ``by_org``, ``unscoped_platform_*``); ``lcr_rates``, shared by every organization,
from ``Repo``.
"""

from __future__ import annotations

from typing import Any

from warp_models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyUpdate,
    AuditLog,
    AuditLogCreate,
    AuditLogUpdate,
    BillingAccount,
    BillingAccountCreate,
    BillingAccountUpdate,
    Cdr,
    CdrCreate,
    CdrUpdate,
    E911Address,
    E911AddressCreate,
    E911AddressUpdate,
    Invoice,
    InvoiceCreate,
    InvoiceUpdate,
    LcrRate,
    LcrRateCreate,
    LcrRateUpdate,
    Message,
    MessageCreate,
    MessageUpdate,
    MessagingCampaign,
    MessagingCampaignCreate,
    MessagingCampaignUpdate,
    Organization,
    OrganizationCreate,
    OrganizationSettings,
    OrganizationSettingsCreate,
    OrganizationSettingsUpdate,
    OrganizationUpdate,
    PhoneNumber,
    PhoneNumberCreate,
    PhoneNumberUpdate,
    RoutingRule,
    RoutingRuleCreate,
    RoutingRuleUpdate,
    SipTrunk,
    SipTrunkCreate,
    SipTrunkUpdate,
    TrunkAcl,
    TrunkAclCreate,
    TrunkAclUpdate,
    TrunkRegistration,
    TrunkRegistrationCreate,
    TrunkRegistrationUpdate,
    UsageRecord,
    UsageRecordCreate,
    UsageRecordUpdate,
    User,
    UserCreate,
    UserUpdate,
)
from warp_repo._repo_async import AsyncRepo, AsyncTenantRepo
from warp_repo._repo_sync import Repo, TenantRepo

__all__ = [
    "ASYNC_REPOSITORIES",
    "REPOSITORIES",
    "ApiKeyRepo",
    "AsyncApiKeyRepo",
    "AsyncAuditLogRepo",
    "AsyncBillingAccountRepo",
    "AsyncCdrRepo",
    "AsyncE911AddressRepo",
    "AsyncInvoiceRepo",
    "AsyncLcrRateRepo",
    "AsyncMessageRepo",
    "AsyncMessagingCampaignRepo",
    "AsyncOrganizationRepo",
    "AsyncOrganizationSettingsRepo",
    "AsyncPhoneNumberRepo",
    "AsyncRoutingRuleRepo",
    "AsyncTrunkAclRepo",
    "AsyncTrunkRegistrationRepo",
    "AsyncTrunkRepo",
    "AsyncUsageRecordRepo",
    "AsyncUserRepo",
    "AuditLogRepo",
    "BillingAccountRepo",
    "CdrRepo",
    "E911AddressRepo",
    "InvoiceRepo",
    "LcrRateRepo",
    "MessageRepo",
    "MessagingCampaignRepo",
    "OrganizationRepo",
    "OrganizationSettingsRepo",
    "PhoneNumberRepo",
    "RoutingRuleRepo",
    "TrunkAclRepo",
    "TrunkRegistrationRepo",
    "TrunkRepo",
    "UsageRecordRepo",
    "UserRepo",
]


class OrganizationRepo(TenantRepo[Organization, OrganizationCreate, OrganizationUpdate]):
    """``organizations``: a carrier account: the tenant that every other row belongs to."""


class AsyncOrganizationRepo(AsyncTenantRepo[Organization, OrganizationCreate, OrganizationUpdate]):
    """The async twin of ``OrganizationRepo``."""


class OrganizationSettingsRepo(
    TenantRepo[OrganizationSettings, OrganizationSettingsCreate, OrganizationSettingsUpdate]
):
    """``organization_settings``: limits and feature switches of one organization."""


class AsyncOrganizationSettingsRepo(
    AsyncTenantRepo[OrganizationSettings, OrganizationSettingsCreate, OrganizationSettingsUpdate]
):
    """The async twin of ``OrganizationSettingsRepo``."""


class UserRepo(TenantRepo[User, UserCreate, UserUpdate]):
    """``users``: a person who signs in to an organization."""


class AsyncUserRepo(AsyncTenantRepo[User, UserCreate, UserUpdate]):
    """The async twin of ``UserRepo``."""


class ApiKeyRepo(TenantRepo[ApiKey, ApiKeyCreate, ApiKeyUpdate]):
    """``api_keys``: a key for programmatic access; only its hash is stored."""


class AsyncApiKeyRepo(AsyncTenantRepo[ApiKey, ApiKeyCreate, ApiKeyUpdate]):
    """The async twin of ``ApiKeyRepo``."""


class AuditLogRepo(TenantRepo[AuditLog, AuditLogCreate, AuditLogUpdate]):
    """``audit_logs``: one change or security event, who made it and from where."""


class AsyncAuditLogRepo(AsyncTenantRepo[AuditLog, AuditLogCreate, AuditLogUpdate]):
    """The async twin of ``AuditLogRepo``."""


class TrunkRepo(TenantRepo[SipTrunk, SipTrunkCreate, SipTrunkUpdate]):
    """``sip_trunks``: a SIP trunk: how an organization's calls enter and leave the platform."""


class AsyncTrunkRepo(AsyncTenantRepo[SipTrunk, SipTrunkCreate, SipTrunkUpdate]):
    """The async twin of ``TrunkRepo``."""


class TrunkRegistrationRepo(TenantRepo[TrunkRegistration, TrunkRegistrationCreate, TrunkRegistrationUpdate]):
    """``trunk_registrations``: the registration state of a trunk, written by the SIP proxy."""


class AsyncTrunkRegistrationRepo(AsyncTenantRepo[TrunkRegistration, TrunkRegistrationCreate, TrunkRegistrationUpdate]):
    """The async twin of ``TrunkRegistrationRepo``."""


class TrunkAclRepo(TenantRepo[TrunkAcl, TrunkAclCreate, TrunkAclUpdate]):
    """``trunk_acl``: one network allowed to use a trunk: ``ip_address`` with a prefix length ``subnet_mask``."""


class AsyncTrunkAclRepo(AsyncTenantRepo[TrunkAcl, TrunkAclCreate, TrunkAclUpdate]):
    """The async twin of ``TrunkAclRepo``."""


class PhoneNumberRepo(TenantRepo[PhoneNumber, PhoneNumberCreate, PhoneNumberUpdate]):
    """``phone_numbers``: a number of the inventory; ``org_id`` is set while it is assigned to an organization."""


class AsyncPhoneNumberRepo(AsyncTenantRepo[PhoneNumber, PhoneNumberCreate, PhoneNumberUpdate]):
    """The async twin of ``PhoneNumberRepo``."""


class E911AddressRepo(TenantRepo[E911Address, E911AddressCreate, E911AddressUpdate]):
    """``e911_addresses``: the emergency-services address registered for one phone number."""


class AsyncE911AddressRepo(AsyncTenantRepo[E911Address, E911AddressCreate, E911AddressUpdate]):
    """The async twin of ``E911AddressRepo``."""


class RoutingRuleRepo(TenantRepo[RoutingRule, RoutingRuleCreate, RoutingRuleUpdate]):
    """``routing_rules``: a routing rule of one organization: which calls it matches and what to do with them."""


class AsyncRoutingRuleRepo(AsyncTenantRepo[RoutingRule, RoutingRuleCreate, RoutingRuleUpdate]):
    """The async twin of ``RoutingRuleRepo``."""


class LcrRateRepo(Repo[LcrRate, LcrRateCreate, LcrRateUpdate]):
    """``lcr_rates``: one carrier's price for calls to a prefix, valid from ``effective_date`` until ``expiry_date``."""


class AsyncLcrRateRepo(AsyncRepo[LcrRate, LcrRateCreate, LcrRateUpdate]):
    """The async twin of ``LcrRateRepo``."""


class CdrRepo(TenantRepo[Cdr, CdrCreate, CdrUpdate]):
    """``cdrs``: a call detail record."""


class AsyncCdrRepo(AsyncTenantRepo[Cdr, CdrCreate, CdrUpdate]):
    """The async twin of ``CdrRepo``."""


class BillingAccountRepo(TenantRepo[BillingAccount, BillingAccountCreate, BillingAccountUpdate]):
    """``billing_accounts``: how and how much an organization pays: one account per organization."""


class AsyncBillingAccountRepo(AsyncTenantRepo[BillingAccount, BillingAccountCreate, BillingAccountUpdate]):
    """The async twin of ``BillingAccountRepo``."""


class UsageRecordRepo(TenantRepo[UsageRecord, UsageRecordCreate, UsageRecordUpdate]):
    """``usage_records``: metered usage of one kind over a period; partitioned by ``period_start``."""


class AsyncUsageRecordRepo(AsyncTenantRepo[UsageRecord, UsageRecordCreate, UsageRecordUpdate]):
    """The async twin of ``UsageRecordRepo``."""


class InvoiceRepo(TenantRepo[Invoice, InvoiceCreate, InvoiceUpdate]):
    """``invoices``: an invoice for one period; ``total = subtotal + tax_amount``."""


class AsyncInvoiceRepo(AsyncTenantRepo[Invoice, InvoiceCreate, InvoiceUpdate]):
    """The async twin of ``InvoiceRepo``."""


class MessageRepo(TenantRepo[Message, MessageCreate, MessageUpdate]):
    """``messages``: one SMS or MMS message."""


class AsyncMessageRepo(AsyncTenantRepo[Message, MessageCreate, MessageUpdate]):
    """The async twin of ``MessageRepo``."""


class MessagingCampaignRepo(TenantRepo[MessagingCampaign, MessagingCampaignCreate, MessagingCampaignUpdate]):
    """``messaging_campaigns``: a bulk send of one template to a recipient list, with running counters."""


class AsyncMessagingCampaignRepo(AsyncTenantRepo[MessagingCampaign, MessagingCampaignCreate, MessagingCampaignUpdate]):
    """The async twin of ``MessagingCampaignRepo``."""


REPOSITORIES: dict[str, type[Repo[Any, Any, Any]]] = {
    OrganizationRepo.model.__table_spec__.name: OrganizationRepo,
    OrganizationSettingsRepo.model.__table_spec__.name: OrganizationSettingsRepo,
    UserRepo.model.__table_spec__.name: UserRepo,
    ApiKeyRepo.model.__table_spec__.name: ApiKeyRepo,
    AuditLogRepo.model.__table_spec__.name: AuditLogRepo,
    TrunkRepo.model.__table_spec__.name: TrunkRepo,
    TrunkRegistrationRepo.model.__table_spec__.name: TrunkRegistrationRepo,
    TrunkAclRepo.model.__table_spec__.name: TrunkAclRepo,
    PhoneNumberRepo.model.__table_spec__.name: PhoneNumberRepo,
    E911AddressRepo.model.__table_spec__.name: E911AddressRepo,
    RoutingRuleRepo.model.__table_spec__.name: RoutingRuleRepo,
    LcrRateRepo.model.__table_spec__.name: LcrRateRepo,
    CdrRepo.model.__table_spec__.name: CdrRepo,
    BillingAccountRepo.model.__table_spec__.name: BillingAccountRepo,
    UsageRecordRepo.model.__table_spec__.name: UsageRecordRepo,
    InvoiceRepo.model.__table_spec__.name: InvoiceRepo,
    MessageRepo.model.__table_spec__.name: MessageRepo,
    MessagingCampaignRepo.model.__table_spec__.name: MessagingCampaignRepo,
}
"""The sync repository of every table, by table name."""

ASYNC_REPOSITORIES: dict[str, type[AsyncRepo[Any, Any, Any]]] = {
    AsyncOrganizationRepo.model.__table_spec__.name: AsyncOrganizationRepo,
    AsyncOrganizationSettingsRepo.model.__table_spec__.name: AsyncOrganizationSettingsRepo,
    AsyncUserRepo.model.__table_spec__.name: AsyncUserRepo,
    AsyncApiKeyRepo.model.__table_spec__.name: AsyncApiKeyRepo,
    AsyncAuditLogRepo.model.__table_spec__.name: AsyncAuditLogRepo,
    AsyncTrunkRepo.model.__table_spec__.name: AsyncTrunkRepo,
    AsyncTrunkRegistrationRepo.model.__table_spec__.name: AsyncTrunkRegistrationRepo,
    AsyncTrunkAclRepo.model.__table_spec__.name: AsyncTrunkAclRepo,
    AsyncPhoneNumberRepo.model.__table_spec__.name: AsyncPhoneNumberRepo,
    AsyncE911AddressRepo.model.__table_spec__.name: AsyncE911AddressRepo,
    AsyncRoutingRuleRepo.model.__table_spec__.name: AsyncRoutingRuleRepo,
    AsyncLcrRateRepo.model.__table_spec__.name: AsyncLcrRateRepo,
    AsyncCdrRepo.model.__table_spec__.name: AsyncCdrRepo,
    AsyncBillingAccountRepo.model.__table_spec__.name: AsyncBillingAccountRepo,
    AsyncUsageRecordRepo.model.__table_spec__.name: AsyncUsageRecordRepo,
    AsyncInvoiceRepo.model.__table_spec__.name: AsyncInvoiceRepo,
    AsyncMessageRepo.model.__table_spec__.name: AsyncMessageRepo,
    AsyncMessagingCampaignRepo.model.__table_spec__.name: AsyncMessagingCampaignRepo,
}
"""The async repository of every table, by table name."""
