"""Every repository, by table: ``REPOSITORIES`` and ``ASYNC_REPOSITORIES``, and the classes themselves.

Each repository lives in its domain's package (``warp_repo.trunks.TrunkRepo``); this module gathers them for code
that works table by table (factories, the seed, generic tests) and for ``from warp_repo.repos import TrunkRepo``.
"""

from __future__ import annotations

from typing import Any

from warp_repo._core.repository_async import AsyncRepo
from warp_repo._core.repository_sync import Repo
from warp_repo.access import (
    ApiAuditLogRepo,
    AsyncApiAuditLogRepo,
    AsyncPermissionMatrixRepo,
    PermissionMatrixRepo,
)
from warp_repo.billing import (
    AsyncBillingAccountRepo,
    AsyncInvoiceRepo,
    AsyncUsageRecordRepo,
    BillingAccountRepo,
    InvoiceRepo,
    UsageRecordRepo,
)
from warp_repo.cdrs import AsyncCdrRepo, CdrRepo
from warp_repo.devices import (
    AsyncDeviceConfigurationRepo,
    AsyncDeviceHealthMetricRepo,
    AsyncDeviceRepo,
    AsyncFirmwareVersionRepo,
    DeviceConfigurationRepo,
    DeviceHealthMetricRepo,
    DeviceRepo,
    FirmwareVersionRepo,
)
from warp_repo.extensions import (
    AsyncDialPlanRepo,
    AsyncExtensionRepo,
    DialPlanRepo,
    ExtensionRepo,
)
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
from warp_repo.voicemail import (
    AsyncVoicemailBoxRepo,
    AsyncVoicemailMessageRepo,
    AsyncVoicemailTranscriptionRepo,
    VoicemailBoxRepo,
    VoicemailMessageRepo,
    VoicemailTranscriptionRepo,
)

__all__ = [
    "ASYNC_REPOSITORIES",
    "REPOSITORIES",
    "ApiAuditLogRepo",
    "ApiKeyRepo",
    "AsyncApiAuditLogRepo",
    "AsyncApiKeyRepo",
    "AsyncAuditLogRepo",
    "AsyncBillingAccountRepo",
    "AsyncCdrRepo",
    "AsyncDeviceConfigurationRepo",
    "AsyncDeviceHealthMetricRepo",
    "AsyncDeviceRepo",
    "AsyncDialPlanRepo",
    "AsyncE911AddressRepo",
    "AsyncExtensionRepo",
    "AsyncFirmwareVersionRepo",
    "AsyncInvoiceRepo",
    "AsyncLcrRateRepo",
    "AsyncMessageRepo",
    "AsyncMessagingCampaignRepo",
    "AsyncOrganizationRepo",
    "AsyncOrganizationSettingsRepo",
    "AsyncPermissionMatrixRepo",
    "AsyncPhoneNumberRepo",
    "AsyncRoutingRuleRepo",
    "AsyncTrunkAclRepo",
    "AsyncTrunkRegistrationRepo",
    "AsyncTrunkRepo",
    "AsyncUsageRecordRepo",
    "AsyncUserRepo",
    "AsyncVoicemailBoxRepo",
    "AsyncVoicemailMessageRepo",
    "AsyncVoicemailTranscriptionRepo",
    "AuditLogRepo",
    "BillingAccountRepo",
    "CdrRepo",
    "DeviceConfigurationRepo",
    "DeviceHealthMetricRepo",
    "DeviceRepo",
    "DialPlanRepo",
    "E911AddressRepo",
    "ExtensionRepo",
    "FirmwareVersionRepo",
    "InvoiceRepo",
    "LcrRateRepo",
    "MessageRepo",
    "MessagingCampaignRepo",
    "OrganizationRepo",
    "OrganizationSettingsRepo",
    "PermissionMatrixRepo",
    "PhoneNumberRepo",
    "RoutingRuleRepo",
    "TrunkAclRepo",
    "TrunkRegistrationRepo",
    "TrunkRepo",
    "UsageRecordRepo",
    "UserRepo",
    "VoicemailBoxRepo",
    "VoicemailMessageRepo",
    "VoicemailTranscriptionRepo",
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
    ExtensionRepo.model.__table_spec__.name: ExtensionRepo,
    DialPlanRepo.model.__table_spec__.name: DialPlanRepo,
    DeviceConfigurationRepo.model.__table_spec__.name: DeviceConfigurationRepo,
    FirmwareVersionRepo.model.__table_spec__.name: FirmwareVersionRepo,
    DeviceRepo.model.__table_spec__.name: DeviceRepo,
    DeviceHealthMetricRepo.model.__table_spec__.name: DeviceHealthMetricRepo,
    VoicemailBoxRepo.model.__table_spec__.name: VoicemailBoxRepo,
    VoicemailMessageRepo.model.__table_spec__.name: VoicemailMessageRepo,
    VoicemailTranscriptionRepo.model.__table_spec__.name: VoicemailTranscriptionRepo,
    PermissionMatrixRepo.model.__table_spec__.name: PermissionMatrixRepo,
    ApiAuditLogRepo.model.__table_spec__.name: ApiAuditLogRepo,
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
    AsyncExtensionRepo.model.__table_spec__.name: AsyncExtensionRepo,
    AsyncDialPlanRepo.model.__table_spec__.name: AsyncDialPlanRepo,
    AsyncDeviceConfigurationRepo.model.__table_spec__.name: AsyncDeviceConfigurationRepo,
    AsyncFirmwareVersionRepo.model.__table_spec__.name: AsyncFirmwareVersionRepo,
    AsyncDeviceRepo.model.__table_spec__.name: AsyncDeviceRepo,
    AsyncDeviceHealthMetricRepo.model.__table_spec__.name: AsyncDeviceHealthMetricRepo,
    AsyncVoicemailBoxRepo.model.__table_spec__.name: AsyncVoicemailBoxRepo,
    AsyncVoicemailMessageRepo.model.__table_spec__.name: AsyncVoicemailMessageRepo,
    AsyncVoicemailTranscriptionRepo.model.__table_spec__.name: AsyncVoicemailTranscriptionRepo,
    AsyncPermissionMatrixRepo.model.__table_spec__.name: AsyncPermissionMatrixRepo,
    AsyncApiAuditLogRepo.model.__table_spec__.name: AsyncApiAuditLogRepo,
}
"""The async repository of every table, by table name."""
