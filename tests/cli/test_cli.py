"""``warp-db`` against real PostgreSQL: migrate, check, status, dry run and demo, as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from warp_repo.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.fixture
def migrated_admin_url(empty_admin_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    """A database the CLI migrated, as the superuser: the CLI's commands change and read the schema."""
    code, out = run(capsys, "--database-url", empty_admin_url, "migrate")
    assert code == 0, out
    return empty_admin_url


def test_migrate_creates_all_tables_and_a_second_run_applies_nothing(
    migrated_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(migrated_admin_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
            "AND c.relname <> 'schema_migrations'"
        ).fetchone()
    assert tables == (18,)
    code, out = run(capsys, "migrate", "--database-url", migrated_admin_url)
    assert code == 0
    assert "nothing to apply" in out
    code, out = run(capsys, "--database-url", migrated_admin_url, "check")
    assert code == 0, out
    assert "schema matches the models" in out


def test_check_names_a_narrowed_column(migrated_admin_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with psycopg.connect(migrated_admin_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE sip_trunks ALTER COLUMN name TYPE varchar(100)")
    code, out = run(capsys, "--database-url", migrated_admin_url, "check")
    assert code == 1
    assert "sip_trunks" in out
    assert "name: type: expected character varying(255), found character varying(100)" in out


def test_check_names_a_dropped_index(migrated_admin_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with psycopg.connect(migrated_admin_url, autocommit=True) as conn:
        conn.execute("DROP INDEX idx_trunks_org_status")
        conn.execute("ALTER TABLE users ALTER COLUMN role DROP DEFAULT")
        conn.execute("ALTER TABLE invoices ALTER COLUMN due_date SET NOT NULL")
    code, out = run(capsys, "--database-url", migrated_admin_url, "check")
    assert code == 1
    assert "missing index: expected idx_trunks_org_status (org_id, status)" in out
    assert "role: default: expected 'user'" in out
    assert "due_date: nullability: expected NULL, found NOT NULL" in out


def test_check_reports_missing_and_extra_tables(migrated_admin_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with psycopg.connect(migrated_admin_url, autocommit=True) as conn:
        conn.execute("DROP TABLE trunk_acl")
        conn.execute("CREATE TABLE stray (id int)")
    code, out = run(capsys, "--database-url", migrated_admin_url, "check")
    assert code == 1
    assert "trunk_acl" in out
    assert "missing table" in out
    assert "stray" in out
    assert "extra table" in out


def test_dry_run_prints_the_plan_and_changes_nothing(empty_admin_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--database-url", empty_admin_url, "migrate", "--dry-run", "--target", "20261122_002")
    assert code == 0
    assert "20261122_001" in out
    assert "CREATE TABLE sip_trunks" in out
    assert "20261122_003" not in out
    with psycopg.connect(empty_admin_url) as conn:
        found = conn.execute("SELECT to_regclass('organizations'), to_regclass('sip_trunks')").fetchone()
    assert found == (None, None)


def test_status_lists_every_bundled_migration(migrated_admin_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--database-url", migrated_admin_url, "status")
    assert code == 0
    assert out.count("applied") >= 7


def test_demo_migrates_checks_and_describes(empty_admin_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--database-url", empty_admin_url, "demo")
    assert code == 0, out
    assert "schema matches the models" in out
    assert "18 tables; drift check passed" in out
    assert "cdrs" in out
    assert "+ default" in out


def test_a_bad_url_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--database-url", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", "migrate")
    assert code == 2
    assert "error: cannot reach the database" in out
    assert "WARP_DATABASE_URL" in out


def test_rollback_two_then_migrate_returns_to_the_same_schema(
    migrated_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(capsys, "--database-url", migrated_admin_url, "rollback", "--target", "20261122_005")
    assert code == 0, out
    assert "rolled back 20261122_007" in out
    assert "rolled back 20261122_006" in out
    assert "rolled back 20261122_005" not in out
    code, out = run(capsys, "--database-url", migrated_admin_url, "check")
    assert code == 1
    assert "  invoices\n    - missing table" in out
    assert "  messages\n    - missing table" in out
    code, out = run(capsys, "--database-url", migrated_admin_url, "migrate")
    assert code == 0
    assert "applied 20261122_006" in out
    code, out = run(capsys, "--database-url", migrated_admin_url, "check")
    assert code == 0, out


def test_new_numbers_migrations_of_a_day_and_refuses_bad_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "migrations"
    assert run(capsys, "--migrations-dir", str(folder), "new", "add_thing")[0] == 0
    assert run(capsys, "--migrations-dir", str(folder), "new", "add_thing")[0] == 0
    names = sorted(p.name for p in folder.rglob("*.sql"))
    assert [n.split("_", 1)[1] for n in names] == ["001_add_thing.sql", "002_add_thing.sql"]
    code, out = run(capsys, "--migrations-dir", str(folder), "new", "Bad Name")
    assert code == 2
    assert "snake_case" in out
    assert len(list(folder.rglob("*.sql"))) == 2
    code, out = run(capsys, "--migrations-dir", str(folder), "validate")
    assert code == 0, out


def test_production_changes_need_confirmation(migrated_admin_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "--env", "production", "--database-url", migrated_admin_url, "rollback")
    assert code == 2
    assert "add --yes" in out
    code, out = run(capsys, "--database-url", migrated_admin_url, "status")
    assert "pending" not in out


def test_partitions_and_rows_waiting_in_the_default_partition(
    migrated_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with psycopg.connect(migrated_admin_url) as conn:
        org = conn.execute("INSERT INTO organizations (name) VALUES ('Acme') RETURNING id").fetchone()
        assert org is not None
        conn.execute(
            "INSERT INTO cdrs (call_id, org_id, start_time) VALUES ('far', %s, now() + interval '8 months')", (org[0],)
        )
    code, out = run(capsys, "--database-url", migrated_admin_url, "check")
    assert code == 0
    assert "1 row(s) of cdrs are in cdrs_default" in out
    code, out = run(capsys, "--database-url", migrated_admin_url, "partitions", "ensure", "--months-ahead", "9")
    assert code == 0, out
    assert "created cdrs_" in out
    with psycopg.connect(migrated_admin_url) as conn:
        where = conn.execute("SELECT tableoid::regclass::text FROM cdrs WHERE call_id = 'far'").fetchone()
    assert where is not None
    assert where[0] != "cdrs_default"
    code, out = run(capsys, "--database-url", migrated_admin_url, "partitions", "prune", "--older-than", "6")
    assert code == 0
    assert "would drop (add --yes to drop)" in out
