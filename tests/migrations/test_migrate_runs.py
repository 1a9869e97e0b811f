"""migrate and status against a real PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from warp_models.errors import ChecksumMismatch, MigrationError, MigrationFailed
from warp_repo.migrations import MigrationState, bundled_migrations_dir, load_migrations, migrate, status

from .testkit import scalar, tables, write_migration


def history(url: str) -> list[tuple[str, bool, str | None]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version, success, sqlstate FROM schema_migrations ORDER BY version").fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def test_migrate_applies_the_bundled_migrations_once(empty_admin_url: str) -> None:
    first = migrate(empty_admin_url)
    assert first.versions == [m.version for m in load_migrations(bundled_migrations_dir())]
    assert first.versions[:7] == [f"20261122_{n:03d}" for n in range(1, 8)]
    assert all(step.execution_ms >= 0 for step in first.applied)
    second = migrate(empty_admin_url)
    assert second.versions == []
    assert [v for v, ok, _ in history(empty_admin_url)] == first.versions
    applied_by = scalar(empty_admin_url, "SELECT DISTINCT applied_by FROM schema_migrations")
    assert applied_by == scalar(empty_admin_url, "SELECT current_user")


def test_a_failing_statement_rolls_its_migration_back_entirely(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "good", "CREATE TABLE kept (id INT);")
    bad = write_migration(
        tmp_path,
        "20261122_002",
        "bad",
        """
BEGIN;
CREATE TABLE first_table (id INT);
INSERT INTO first_table VALUES (1);
INSERT INTO first_table VALUES ('not a number');
CREATE TABLE never_created (id INT);
COMMIT;
""",
    )
    with pytest.raises(MigrationFailed) as caught:
        migrate(empty_admin_url, migrations_dir=tmp_path)
    error = caught.value
    assert error.sqlstate == "22P02"  # invalid_text_representation
    assert error.path == bad and error.version == "20261122_002"
    assert error.statement == "INSERT INTO first_table VALUES ('not a number')"
    assert str(bad) in str(error) and "line 13" in str(error) and "22P02" in str(error)
    assert isinstance(error.__cause__, psycopg.errors.InvalidTextRepresentation)
    assert tables(empty_admin_url) == {"kept", "schema_migrations"}
    assert history(empty_admin_url) == [("20261122_001", True, None), ("20261122_002", False, "22P02")]

    states = {s.version: s for s in status(empty_admin_url, migrations_dir=tmp_path)}
    assert states["20261122_001"].state is MigrationState.APPLIED
    assert states["20261122_002"].state is MigrationState.FAILED
    assert states["20261122_002"].sqlstate == "22P02"
    assert states["20261122_002"].error is not None and "integer" in states["20261122_002"].error

    # Fixed, the next run applies it and the failure is forgotten.
    write_migration(tmp_path, "20261122_002", "bad", "CREATE TABLE first_table (id INT);")
    assert migrate(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_002"]
    assert history(empty_admin_url)[1] == ("20261122_002", True, None)


def test_a_syntax_error_names_its_statement(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "typo", "CREATE TABLE a (id INT);\nCREAT TABLE b (id INT);")
    with pytest.raises(MigrationFailed) as caught:
        migrate(empty_admin_url, migrations_dir=tmp_path)
    assert caught.value.sqlstate == "42601"
    assert caught.value.statement == "CREAT TABLE b (id INT)"
    assert tables(empty_admin_url) == {"schema_migrations"}


def test_migrate_refuses_when_an_applied_migration_was_edited(empty_admin_url: str, tmp_path: Path) -> None:
    path = write_migration(tmp_path, "20261122_001", "things", "CREATE TABLE things (id INT);")
    migrate(empty_admin_url, migrations_dir=tmp_path)
    write_migration(tmp_path, "20261122_001", "things", "CREATE TABLE things (id BIGINT);")
    write_migration(tmp_path, "20261122_002", "more", "CREATE TABLE more_things (id INT);")
    with pytest.raises(ChecksumMismatch) as caught:
        migrate(empty_admin_url, migrations_dir=tmp_path)
    assert caught.value.path == path and str(path) in str(caught.value)
    assert "more_things" not in tables(empty_admin_url)
    states = [s.state for s in status(empty_admin_url, migrations_dir=tmp_path)]
    assert states == [MigrationState.EDITED, MigrationState.PENDING]


def test_status_reports_pending_and_missing(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "one", "CREATE TABLE one (id INT);")
    gone = write_migration(tmp_path, "20261122_002", "two", "CREATE TABLE two (id INT);")
    assert [s.state for s in status(empty_admin_url, migrations_dir=tmp_path)] == [MigrationState.PENDING] * 2
    migrate(empty_admin_url, migrations_dir=tmp_path)
    gone.unlink()
    write_migration(tmp_path, "20261122_003", "three", "CREATE TABLE three (id INT);")
    result = status(empty_admin_url, migrations_dir=tmp_path)
    assert [(s.version, s.state) for s in result] == [
        ("20261122_001", MigrationState.APPLIED),
        ("20261122_002", MigrationState.MISSING),
        ("20261122_003", MigrationState.PENDING),
    ]
    assert result[1].path is None and result[1].name == "two"
    assert result[0].applied_at is not None and result[0].kind == "migrate"


def test_target_stops_at_a_version(empty_admin_url: str, tmp_path: Path) -> None:
    for n in (1, 2, 3):
        write_migration(tmp_path, f"20261122_00{n}", f"step_{n}", f"CREATE TABLE step_{n} (id INT);")
    assert migrate(empty_admin_url, migrations_dir=tmp_path, target="20261122_002").versions == [
        "20261122_001",
        "20261122_002",
    ]
    assert migrate(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_003"]
    with pytest.raises(MigrationError, match="YYYYMMDD_NNN"):
        migrate(empty_admin_url, migrations_dir=tmp_path, target="latest")


def test_a_late_older_migration_is_refused_unless_out_of_order(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_002", "newer", "CREATE TABLE newer (id INT);")
    migrate(empty_admin_url, migrations_dir=tmp_path)
    late = write_migration(tmp_path, "20261122_001", "older", "CREATE TABLE older (id INT);")
    with pytest.raises(MigrationError) as caught:
        migrate(empty_admin_url, migrations_dir=tmp_path)
    assert caught.value.path == late and "out_of_order" in str(caught.value)
    assert migrate(empty_admin_url, migrations_dir=tmp_path, out_of_order=True).versions == ["20261122_001"]


def test_percent_signs_and_semicolons_in_strings_reach_the_server_as_written(
    empty_admin_url: str, tmp_path: Path
) -> None:
    write_migration(
        tmp_path,
        "20261122_001",
        "literals",
        "CREATE TABLE notes (body TEXT);\nINSERT INTO notes VALUES ('100%; done -- really'), ($$a;b$$);",
    )
    migrate(empty_admin_url, migrations_dir=tmp_path)
    assert scalar(empty_admin_url, "SELECT string_agg(body, '|' ORDER BY body) FROM notes") == (
        "100%; done -- really|a;b"
    )


def test_a_session_setting_of_one_migration_does_not_leak_into_the_next(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "elsewhere", "CREATE SCHEMA elsewhere;\nSET search_path TO elsewhere;")
    write_migration(tmp_path, "20261122_002", "table", "CREATE TABLE lands_in_public (id INT);")
    assert migrate(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_001", "20261122_002"]
    assert "lands_in_public" in tables(empty_admin_url)
