"""Repositories, database and cache access for the WARP schema.

``TrunkRepo(conn).by_org(org_id)`` is a ``list[SipTrunk]``: one repository per table (sync, and ``Async...``
twins), typed filters and orderings, keyset pages, COPY ingest, transactions retried on serialization failures
and a pooled ``Database``; one service per domain for the platform's everyday questions (``Routing``,
``Trunks``, ``NumberInventory``, ``CallRecords``, ``Billing``, ``Messaging``, ``Organizations``). Errors are in
:mod:`warp_repo.errors`.
"""

from warp_repo._aio.billing import AsyncBilling
from warp_repo._aio.cdrs import AsyncCallRecords
from warp_repo._aio.messaging import AsyncMessaging
from warp_repo._aio.numbers import AsyncNumberInventory
from warp_repo._aio.organizations import AsyncOrganizations
from warp_repo._aio.routing import AsyncRouting
from warp_repo._aio.trunks import AsyncTrunks
from warp_repo._cursor import (
    Page,
)
from warp_repo._repo_async import (
    AsyncDatabase,
    AsyncRepo,
    AsyncTenantRepo,
    async_transaction,
)
from warp_repo._repo_sync import (
    Database,
    Repo,
    TenantRepo,
    transaction,
)
from warp_repo._sql import (
    ColumnRef,
    Eq,
    Filter,
    Ge,
    Gt,
    In,
    IsNull,
    Le,
    Lt,
    Ne,
    Order,
    Range,
)
from warp_repo._tx import (
    RetryPolicy,
)
from warp_repo.billing import Billing
from warp_repo.cdrs import CallRecords, CallStats
from warp_repo.messaging import Messaging, StatusChange
from warp_repo.numbers import NumberInventory, NumberQuery
from warp_repo.organizations import Organizations, OrgLimits, OrgNode
from warp_repo.repos import (
    ASYNC_REPOSITORIES,
    REPOSITORIES,
    ApiKeyRepo,
    AsyncApiKeyRepo,
    AsyncAuditLogRepo,
    AsyncBillingAccountRepo,
    AsyncCdrRepo,
    AsyncE911AddressRepo,
    AsyncInvoiceRepo,
    AsyncLcrRateRepo,
    AsyncMessageRepo,
    AsyncMessagingCampaignRepo,
    AsyncOrganizationRepo,
    AsyncOrganizationSettingsRepo,
    AsyncPhoneNumberRepo,
    AsyncRoutingRuleRepo,
    AsyncTrunkAclRepo,
    AsyncTrunkRegistrationRepo,
    AsyncTrunkRepo,
    AsyncUsageRecordRepo,
    AsyncUserRepo,
    AuditLogRepo,
    BillingAccountRepo,
    CdrRepo,
    E911AddressRepo,
    InvoiceRepo,
    LcrRateRepo,
    MessageRepo,
    MessagingCampaignRepo,
    OrganizationRepo,
    OrganizationSettingsRepo,
    PhoneNumberRepo,
    RoutingRuleRepo,
    TrunkAclRepo,
    TrunkRegistrationRepo,
    TrunkRepo,
    UsageRecordRepo,
    UserRepo,
)
from warp_repo.routing import DeckLoad, RouteChoice, Routing
from warp_repo.trunks import AclMatch, ChannelState, FailoverChain, Trunks

__all__ = [
    "ASYNC_REPOSITORIES",
    "REPOSITORIES",
    "AclMatch",
    "ApiKeyRepo",
    "AsyncApiKeyRepo",
    "AsyncAuditLogRepo",
    "AsyncBilling",
    "AsyncBillingAccountRepo",
    "AsyncCallRecords",
    "AsyncCdrRepo",
    "AsyncDatabase",
    "AsyncE911AddressRepo",
    "AsyncInvoiceRepo",
    "AsyncLcrRateRepo",
    "AsyncMessageRepo",
    "AsyncMessaging",
    "AsyncMessagingCampaignRepo",
    "AsyncNumberInventory",
    "AsyncOrganizationRepo",
    "AsyncOrganizationSettingsRepo",
    "AsyncOrganizations",
    "AsyncPhoneNumberRepo",
    "AsyncRepo",
    "AsyncRouting",
    "AsyncRoutingRuleRepo",
    "AsyncTenantRepo",
    "AsyncTrunkAclRepo",
    "AsyncTrunkRegistrationRepo",
    "AsyncTrunkRepo",
    "AsyncTrunks",
    "AsyncUsageRecordRepo",
    "AsyncUserRepo",
    "AuditLogRepo",
    "Billing",
    "BillingAccountRepo",
    "CallRecords",
    "CallStats",
    "CdrRepo",
    "ChannelState",
    "ColumnRef",
    "Database",
    "DeckLoad",
    "E911AddressRepo",
    "Eq",
    "FailoverChain",
    "Filter",
    "Ge",
    "Gt",
    "In",
    "InvoiceRepo",
    "IsNull",
    "LcrRateRepo",
    "Le",
    "Lt",
    "MessageRepo",
    "Messaging",
    "MessagingCampaignRepo",
    "Ne",
    "NumberInventory",
    "NumberQuery",
    "Order",
    "OrgLimits",
    "OrgNode",
    "OrganizationRepo",
    "OrganizationSettingsRepo",
    "Organizations",
    "Page",
    "PhoneNumberRepo",
    "Range",
    "Repo",
    "RetryPolicy",
    "RouteChoice",
    "Routing",
    "RoutingRuleRepo",
    "StatusChange",
    "TenantRepo",
    "TrunkAclRepo",
    "TrunkRegistrationRepo",
    "TrunkRepo",
    "Trunks",
    "UsageRecordRepo",
    "UserRepo",
    "async_transaction",
    "transaction",
]
