"""The migration engine: versioned SQL files applied to PostgreSQL, tracked in ``schema_migrations``.

Files are ``migrations/YYYY/YYYYMMDD_NNN_name.sql`` with an UP and a DOWN section (see :func:`parse_migration`);
the ones shipped with warp-models are in :func:`bundled_migrations_dir`. :func:`migrate` applies what is pending,
:func:`status` tells where each version stands, :func:`rollback` runs DOWN sections.
"""

from warp_models.migrations._files import (
    Migration,
    bundled_migrations_dir,
    checksum,
    load_migrations,
    normalize_sql,
    parse_migration,
    scan_migrations,
)
from warp_models.migrations._lock import AdvisoryLock, MigrationLock
from warp_models.migrations._runner import (
    BaselineReport,
    MigrateReport,
    MigrationState,
    MigrationStatus,
    RepairReport,
    RollbackReport,
    StepResult,
    baseline,
    migrate,
    repair,
    rollback,
    status,
)
from warp_models.migrations._sqltext import Statement, split_statements

__all__ = [
    "AdvisoryLock",
    "BaselineReport",
    "MigrateReport",
    "Migration",
    "MigrationLock",
    "MigrationState",
    "MigrationStatus",
    "RepairReport",
    "RollbackReport",
    "Statement",
    "StepResult",
    "baseline",
    "bundled_migrations_dir",
    "checksum",
    "load_migrations",
    "migrate",
    "normalize_sql",
    "parse_migration",
    "repair",
    "rollback",
    "scan_migrations",
    "split_statements",
    "status",
]
