"""Every repository, by table: ``REPOSITORIES`` and ``ASYNC_REPOSITORIES``, and the classes themselves.

Each repository lives in its domain's package (``warp_repo.trunks.TrunkRepo``); this module gathers them for code
that works table by table (factories, the seed, generic tests) and for ``from warp_repo.repos import TrunkRepo``.
"""

from __future__ import annotations

from typing import Any

from warp_repo._core.repository_async import AsyncRepo
from warp_repo._core.repository_sync import Repo
from warp_repo.billing import (
    AsyncBillingAccountRepo,
    AsyncInvoiceRepo,
    AsyncUsageRecordRepo,
    BillingAccountRepo,
    InvoiceRepo,
    UsageRecordRepo,
)
from warp_repo.cdrs import AsyncCdrRepo, CdrRepo
from warp_repo.messaging import AsyncMessageRepo, AsyncMessagingCampaignRepo, MessageRepo, MessagingCampaignRepo
from warp_repo.numbers import AsyncE911AddressRepo, AsyncPhoneNumberRepo, E911AddressRepo, PhoneNumberRepo
from warp_repo.organizations import (
    ApiKeyRepo,
    AsyncApiKeyRepo,
    AsyncAuditLogRepo,
    AsyncOrganizationRepo,
    AsyncOrganizationSettingsRepo,
    AsyncUserRepo,
    AuditLogRepo,
    OrganizationRepo,
    OrganizationSettingsRepo,
    UserRepo,
)
from warp_repo.routing import AsyncLcrRateRepo, AsyncRoutingRuleRepo, LcrRateRepo, RoutingRuleRepo
from warp_repo.trunks import (
    AsyncTrunkAclRepo,
    AsyncTrunkRegistrationRepo,
    AsyncTrunkRepo,
    TrunkAclRepo,
    TrunkRegistrationRepo,
    TrunkRepo,
)

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
