"""rollback: DOWN sections, newest first, each in its own transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from warp_models.errors import ChecksumMismatch, MigrationError, MigrationFailed
from warp_repo.migrations import MigrationState, bundled_migrations_dir, load_migrations, migrate, rollback, status

from .testkit import scalar, tables, write_migration

BUNDLED = [m.version for m in load_migrations(bundled_migrations_dir())]


def three(directory: Path) -> None:
    for n in (1, 2, 3):
        write_migration(
            directory, f"20261122_00{n}", f"step_{n}", f"CREATE TABLE step_{n} (id INT);", f"DROP TABLE step_{n};"
        )


def test_the_bundled_migrations_roll_back_to_nothing_and_apply_again(empty_admin_url: str) -> None:
    migrate(empty_admin_url)
    report = rollback(empty_admin_url, target="20261122_000")
    assert report.versions == sorted(BUNDLED, reverse=True)
    assert tables(empty_admin_url) == {"schema_migrations"}
    assert scalar(empty_admin_url, "SELECT count(*) FROM pg_proc WHERE proname = 'warp_ensure_monthly_partitions'") == 0
    assert scalar(empty_admin_url, "SELECT count(*) FROM schema_migrations") == 0
    assert migrate(empty_admin_url).versions == BUNDLED
    assert "cdrs" in tables(empty_admin_url)


def test_steps_undo_the_newest_first(empty_admin_url: str, tmp_path: Path) -> None:
    three(tmp_path)
    migrate(empty_admin_url, migrations_dir=tmp_path)
    assert rollback(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_003"]
    assert rollback(empty_admin_url, migrations_dir=tmp_path, steps=5).versions == ["20261122_002", "20261122_001"]
    assert tables(empty_admin_url) == {"schema_migrations"}
    assert rollback(empty_admin_url, migrations_dir=tmp_path).versions == []


def test_target_keeps_the_target_applied(empty_admin_url: str, tmp_path: Path) -> None:
    three(tmp_path)
    migrate(empty_admin_url, migrations_dir=tmp_path)
    assert rollback(empty_admin_url, migrations_dir=tmp_path, target="20261122_001").versions == [
        "20261122_003",
        "20261122_002",
    ]
    assert tables(empty_admin_url) == {"schema_migrations", "step_1"}
    states = [s.state for s in status(empty_admin_url, migrations_dir=tmp_path)]
    assert states == [MigrationState.APPLIED, MigrationState.PENDING, MigrationState.PENDING]


def test_a_migration_without_down_is_refused_before_anything_runs(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "step_1", "CREATE TABLE step_1 (id INT);", "DROP TABLE step_1;")
    no_down = write_migration(
        tmp_path,
        "20261122_002",
        "step_2",
        "CREATE TABLE step_2 (id INT);",
        "warp:irreversible: step_2 holds data nothing else has",
    )
    write_migration(tmp_path, "20261122_003", "step_3", "CREATE TABLE step_3 (id INT);", "DROP TABLE step_3;")
    migrate(empty_admin_url, migrations_dir=tmp_path)
    with pytest.raises(MigrationError) as caught:
        rollback(empty_admin_url, migrations_dir=tmp_path, steps=3)
    assert caught.value.path == no_down and str(no_down) in str(caught.value)
    assert "irreversible (step_2 holds data nothing else has)" in str(caught.value)
    assert tables(empty_admin_url) == {"schema_migrations", "step_1", "step_2", "step_3"}


def test_a_failing_down_leaves_its_migration_applied(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "step_1", "CREATE TABLE step_1 (id INT);", "DROP TABLE step_1;")
    write_migration(
        tmp_path,
        "20261122_002",
        "step_2",
        "CREATE TABLE step_2 (id INT);",
        "DROP TABLE step_2;\nDROP TABLE no_such_table;",
    )
    migrate(empty_admin_url, migrations_dir=tmp_path)
    with pytest.raises(MigrationFailed) as caught:
        rollback(empty_admin_url, migrations_dir=tmp_path, steps=2)
    assert caught.value.sqlstate == "42P01"
    assert caught.value.statement == "DROP TABLE no_such_table"
    assert tables(empty_admin_url) == {"schema_migrations", "step_1", "step_2"}
    assert scalar(empty_admin_url, "SELECT count(*) FROM schema_migrations WHERE success") == 2


def test_rollback_refuses_an_edited_migration(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "step_1", "CREATE TABLE step_1 (id INT);", "DROP TABLE step_1;")
    migrate(empty_admin_url, migrations_dir=tmp_path)
    write_migration(tmp_path, "20261122_001", "step_1", "CREATE TABLE step_1 (id BIGINT);", "DROP TABLE step_1;")
    with pytest.raises(ChecksumMismatch):
        rollback(empty_admin_url, migrations_dir=tmp_path)
    assert "step_1" in tables(empty_admin_url)


def test_steps_and_target_together_are_refused(empty_admin_url: str, tmp_path: Path) -> None:
    three(tmp_path)
    with pytest.raises(MigrationError, match="not both"):
        rollback(empty_admin_url, migrations_dir=tmp_path, steps=1, target="20261122_001")
    with pytest.raises(MigrationError, match="at least 1"):
        rollback(empty_admin_url, migrations_dir=tmp_path, steps=0)
