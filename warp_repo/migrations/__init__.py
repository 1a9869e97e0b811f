"""The migration engine: versioned SQL files applied to PostgreSQL, tracked in ``schema_migrations``.

Files are ``migrations/YYYY/YYYYMMDD_NNN_name.sql`` with an UP section and a commented-out DOWN section, so that
psql runs them as they stand (see :func:`parse_migration`; :func:`comment_out_down` converts an older file);
the ones shipped with warp-models are in :func:`bundled_migrations_dir`, and :func:`new_migration` starts a new
one. :func:`validate` checks files (and their history) without running anything; :func:`migrate` applies what is
pending, :func:`status` tells where each version stands, :func:`rollback` runs DOWN sections, :func:`repair` and
:func:`baseline` fix up the history, and :func:`check_drift` compares a live schema with the models.
:func:`ensure_partitions` and :func:`prune_partitions` keep the monthly partitions of the time-partitioned
tables. Runs that change the schema exclude each other through a :class:`MigrationLock` (:class:`AdvisoryLock`
on PostgreSQL, :class:`LeaseLock` where there are no advisory locks; :func:`default_lock` reads the setting).
"""

from warp_repo.migrations._authoring import comment_out_down, new_migration
from warp_repo.migrations._drift import Drift, check_drift, format_drift
from warp_repo.migrations._files import (
    Allowance,
    DownFormat,
    Migration,
    bundled_migrations_dir,
    checksum,
    load_migrations,
    normalize_sql,
    parse_migration,
    scan_migrations,
)
from warp_repo.migrations._lock import AdvisoryLock, LeaseLock, MigrationLock, MigrationLockLost, default_lock
from warp_repo.migrations._partitions import ensure_partitions, partitioned_tables, prune_partitions
from warp_repo.migrations._runner import (
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
from warp_repo.migrations._sqltext import Statement, split_statements
from warp_repo.migrations._validate import Severity, ValidationIssue, ValidationReport, lint_migration, validate

__all__ = [
    "AdvisoryLock",
    "Allowance",
    "BaselineReport",
    "DownFormat",
    "Drift",
    "LeaseLock",
    "MigrateReport",
    "Migration",
    "MigrationLock",
    "MigrationLockLost",
    "MigrationState",
    "MigrationStatus",
    "RepairReport",
    "RollbackReport",
    "Severity",
    "Statement",
    "StepResult",
    "ValidationIssue",
    "ValidationReport",
    "baseline",
    "bundled_migrations_dir",
    "check_drift",
    "checksum",
    "comment_out_down",
    "default_lock",
    "ensure_partitions",
    "format_drift",
    "lint_migration",
    "load_migrations",
    "migrate",
    "new_migration",
    "normalize_sql",
    "parse_migration",
    "partitioned_tables",
    "prune_partitions",
    "repair",
    "rollback",
    "scan_migrations",
    "split_statements",
    "status",
    "validate",
]
