"""repair, baseline, and migrations that run outside a transaction."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
import pytest

from warp_models.errors import ChecksumMismatch, MigrationError, MigrationFailed
from warp_repo.migrations import MigrationState, baseline, migrate, repair, status

from .testkit import scalar, tables, write_migration


def test_repair_realigns_checksums_and_forgets_failures(
    empty_admin_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_migration(tmp_path, "20261122_001", "things", "CREATE TABLE things (id INT);", "DROP TABLE things;")
    migrate(empty_admin_url, migrations_dir=tmp_path)
    write_migration(
        tmp_path, "20261122_001", "things", "-- a comment\nCREATE TABLE things (id INT);", "DROP TABLE things;"
    )
    write_migration(tmp_path, "20261122_002", "broken", "SELECT 1/0;", "SELECT 1;")
    with pytest.raises(ChecksumMismatch):
        migrate(empty_admin_url, migrations_dir=tmp_path)

    with caplog.at_level(logging.INFO, logger="warp_repo.migrations"):
        first = repair(empty_admin_url, migrations_dir=tmp_path)
    assert first.realigned == ("20261122_001",) and first.changed
    assert any("20261122_001" in r.getMessage() for r in caplog.records)

    with pytest.raises(MigrationFailed) as caught:
        migrate(empty_admin_url, migrations_dir=tmp_path)
    assert caught.value.sqlstate == "22012"  # division_by_zero
    second = repair(empty_admin_url, migrations_dir=tmp_path)
    assert second.cleared_failed == ("20261122_002",) and second.realigned == ()
    assert [s.state for s in status(empty_admin_url, migrations_dir=tmp_path)] == [
        MigrationState.APPLIED,
        MigrationState.PENDING,
    ]
    assert not repair(empty_admin_url, migrations_dir=tmp_path).changed


def test_repair_removes_missing_rows_only_when_asked(empty_admin_url: str, tmp_path: Path) -> None:
    gone = write_migration(tmp_path, "20261122_001", "gone", "CREATE TABLE gone (id INT);")
    migrate(empty_admin_url, migrations_dir=tmp_path)
    gone.unlink()
    assert repair(empty_admin_url, migrations_dir=tmp_path).removed_missing == ()
    assert repair(empty_admin_url, migrations_dir=tmp_path, remove_missing=True).removed_missing == ("20261122_001",)
    assert status(empty_admin_url, migrations_dir=tmp_path) == []


def test_baseline_marks_existing_schema_as_applied(empty_admin_url: str, tmp_path: Path) -> None:
    with psycopg.connect(empty_admin_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE legacy_one (id INT)")
        conn.execute("CREATE TABLE legacy_two (id INT)")
    write_migration(tmp_path, "20261122_001", "legacy_one", "CREATE TABLE legacy_one (id INT);")
    write_migration(tmp_path, "20261122_002", "legacy_two", "CREATE TABLE legacy_two (id INT);")
    write_migration(tmp_path, "20261122_003", "new_table", "CREATE TABLE new_table (id INT);")
    report = baseline(empty_admin_url, "20261122_002", migrations_dir=tmp_path)
    assert report.marked == ("20261122_001", "20261122_002")
    assert migrate(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_003"]
    kinds = [s.kind for s in status(empty_admin_url, migrations_dir=tmp_path)]
    assert kinds == ["baseline", "baseline", "migrate"]
    with pytest.raises(MigrationError, match="already has rows"):
        baseline(empty_admin_url, "20261122_002", migrations_dir=tmp_path)


def test_baseline_needs_a_known_version(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "one", "SELECT 1;")
    with pytest.raises(MigrationError, match="not the version of any migration file"):
        baseline(empty_admin_url, "20261122_009", migrations_dir=tmp_path)


def test_no_transaction_migrations_run_concurrently_buildable_statements(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(
        tmp_path, "20261122_001", "table", "CREATE TABLE big (a INT);\nINSERT INTO big SELECT generate_series(1, 100);"
    )
    write_migration(
        tmp_path,
        "20261122_002",
        "index",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS big_a ON big (a);",
        "DROP INDEX CONCURRENTLY IF EXISTS big_a;",
        no_transaction=True,
    )
    assert migrate(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_001", "20261122_002"]
    assert scalar(empty_admin_url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'big_a'") == 1
    assert scalar(empty_admin_url, "SELECT no_transaction FROM schema_migrations WHERE version = '20261122_002'")


def test_a_transactional_file_cannot_build_an_index_concurrently(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(
        tmp_path, "20261122_001", "index", "CREATE TABLE t (a INT);\nCREATE INDEX CONCURRENTLY t_a ON t (a);"
    )
    with pytest.raises(MigrationFailed) as caught:
        migrate(empty_admin_url, migrations_dir=tmp_path)
    assert caught.value.sqlstate == "25001"  # active_sql_transaction
    assert tables(empty_admin_url) == {"schema_migrations"}


def test_a_failed_no_transaction_migration_keeps_earlier_statements_and_blocks_until_repair(
    empty_admin_url: str, tmp_path: Path
) -> None:
    path = write_migration(
        tmp_path,
        "20261122_001",
        "partial",
        "CREATE TABLE IF NOT EXISTS kept (a INT);\nCREATE INDEX CONCURRENTLY missing_a ON missing (a);",
        no_transaction=True,
    )
    with pytest.raises(MigrationFailed) as caught:
        migrate(empty_admin_url, migrations_dir=tmp_path)
    assert caught.value.sqlstate == "42P01" and "stay applied" in str(caught.value)
    assert "kept" in tables(empty_admin_url)
    with pytest.raises(MigrationError, match="failed part-way") as blocked:
        migrate(empty_admin_url, migrations_dir=tmp_path)
    assert blocked.value.path == path

    path.write_text(path.read_text(encoding="utf-8").replace("ON missing (a)", "ON kept (a)"), encoding="utf-8")
    repair(empty_admin_url, migrations_dir=tmp_path)
    assert migrate(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_001"]
    assert scalar(empty_admin_url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'missing_a'") == 1
