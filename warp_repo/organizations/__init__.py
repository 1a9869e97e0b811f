"""Organizations: the tenants, their settings, users, API keys and audit trail; trees and limits.

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.organizations._async import (
    AsyncApiKeyRepo,
    AsyncAuditLogRepo,
    AsyncOrganizationRepo,
    AsyncOrganizations,
    AsyncOrganizationSettingsRepo,
    AsyncUserRepo,
    OrgLimits,
    OrgNode,
)
from warp_repo.organizations._sync import (
    ApiKeyRepo,
    AuditLogRepo,
    OrganizationRepo,
    Organizations,
    OrganizationSettingsRepo,
    UserRepo,
)

__all__ = [
    "ApiKeyRepo",
    "AsyncApiKeyRepo",
    "AsyncAuditLogRepo",
    "AsyncOrganizationRepo",
    "AsyncOrganizationSettingsRepo",
    "AsyncOrganizations",
    "AsyncUserRepo",
    "AuditLogRepo",
    "OrgLimits",
    "OrgNode",
    "OrganizationRepo",
    "OrganizationSettingsRepo",
    "Organizations",
    "UserRepo",
]
