"""Access: permission matrices (checks where deny wins) and the API call log (batched writes, keyset reads).

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.access._async import (
    AsyncApiAudit,
    AsyncApiAuditLogRepo,
    AsyncPermissionMatrixRepo,
    AsyncPermissions,
    BillingAuditRow,
    Grant,
    Matrix,
)
from warp_repo.access._sync import ApiAudit, ApiAuditLogRepo, PermissionMatrixRepo, Permissions

__all__ = [
    "ApiAudit",
    "ApiAuditLogRepo",
    "AsyncApiAudit",
    "AsyncApiAuditLogRepo",
    "AsyncPermissionMatrixRepo",
    "AsyncPermissions",
    "BillingAuditRow",
    "Grant",
    "Matrix",
    "PermissionMatrixRepo",
    "Permissions",
]
