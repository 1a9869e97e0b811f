"""validate (file checks, lint, history) and new_migration."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from warp_models.errors import MigrationFileError
from warp_repo.cli import main
from warp_repo.migrations import Severity, bundled_migrations_dir, migrate, new_migration, parse_migration, validate

from .testkit import write_migration


def codes(directory: Path, conninfo: str | None = None) -> list[tuple[str, str | None, int | None]]:
    return [(i.code, i.version, i.line) for i in validate(directory, conninfo).issues]


def test_the_bundled_migrations_validate_without_errors_or_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    report = validate()
    assert len(report.migrations) == len(list(bundled_migrations_dir().rglob("*.sql"))) >= 8
    # Deliberate exceptions carry a '-- warp:allow <rule>: <why>' marker (RLS comes in 008 for the tables of
    # 001-007; 011 builds its indexes inside the migration's transaction); anything else is a finding.
    assert [str(i) for i in report.issues] == []
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert f"{len(report.migrations)} migration(s): 0 error(s), 0 warning(s)" in out
    assert "warning:" not in out and "error:" not in out


def test_an_allow_marker_silences_one_rule_for_one_statement(tmp_path: Path) -> None:
    up = """
-- warp:allow index-without-concurrently: a reference table of a few rows
CREATE INDEX old_a ON old (a);
CREATE INDEX old_b ON old (b);
CREATE INDEX old_c ON old (
    -- warp:allow index-without-concurrently: inside the statement counts too
    c);
-- warp:allow org-table-without-rls: nothing below breaks this rule
SELECT 1;
-- warp:allow no-such-rule: a typo
SELECT 2;
"""
    write_migration(tmp_path, "20261122_001", "marked", up, "DROP INDEX old_c;\nDROP INDEX old_b;\nDROP INDEX old_a;")
    issues = [(i.code, i.severity, i.line) for i in validate(tmp_path).issues]
    assert issues == [
        ("index-without-concurrently", Severity.WARNING, 12),
        ("unused-allow", Severity.WARNING, 16),
        ("unknown-allow", Severity.ERROR, 18),
    ]


def test_the_down_format_and_the_irreversible_marker_are_checked(tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "old_format", "SELECT 1;", "SELECT 2;", executable_down=True)
    write_migration(tmp_path, "20261122_002", "one_way", "SELECT 1;", "warp:irreversible: the data is converted")
    write_migration(tmp_path, "20261122_003", "silent", "SELECT 1;", "BEGIN;\n-- nothing yet\nCOMMIT;")
    assert codes(tmp_path) == [("executable-down", "20261122_001", None), ("no-down", "20261122_003", None)]


def test_create_index_on_an_existing_table_wants_concurrently(tmp_path: Path) -> None:
    write_migration(
        tmp_path,
        "20261122_001",
        "indexes",
        "CREATE TABLE fresh (a INT);\nCREATE INDEX fresh_a ON fresh (a);\nCREATE UNIQUE INDEX old_a ON public.old (a);",
        "DROP TABLE fresh;",
    )
    issues = validate(tmp_path).issues
    assert [(i.code, i.severity, i.line) for i in issues] == [("index-without-concurrently", Severity.WARNING, 12)]
    assert "old" in issues[0].message


def test_concurrently_needs_the_no_transaction_directive(tmp_path: Path) -> None:
    write_migration(
        tmp_path, "20261122_001", "in_tx", "CREATE INDEX CONCURRENTLY old_a ON old (a);", "DROP INDEX old_a;"
    )
    write_migration(
        tmp_path,
        "20261122_002",
        "outside_tx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS old_b ON old (b);",
        "DROP INDEX CONCURRENTLY old_b;",
        no_transaction=True,
    )
    report = validate(tmp_path)
    assert [(i.code, i.version) for i in report.errors] == [("concurrently-in-transaction", "20261122_001")]
    assert not report.ok


def test_add_column_not_null_without_default_is_flagged(tmp_path: Path) -> None:
    up = """
ALTER TABLE trunks ADD COLUMN label TEXT NOT NULL, ADD COLUMN kind TEXT NOT NULL DEFAULT 'sip';
ALTER TABLE trunks ADD region TEXT NOT NULL;
ALTER TABLE trunks ADD COLUMN note TEXT, ADD CONSTRAINT trunks_note_check CHECK (note <> '');
ALTER TABLE trunks ADD COLUMN total INT NOT NULL GENERATED ALWAYS AS (1) STORED;
-- ALTER TABLE trunks ADD COLUMN commented TEXT NOT NULL;
INSERT INTO notes VALUES ('ALTER TABLE trunks ADD COLUMN quoted TEXT NOT NULL');
"""
    write_migration(tmp_path, "20261122_001", "columns", up, "SELECT 1;")
    issues = [i for i in validate(tmp_path).issues if i.code == "add-column-not-null-without-default"]
    assert [i.line for i in issues] == [10, 11]
    assert "label" in issues[0].message and "region" in issues[1].message


def test_tenant_tables_need_row_level_security_in_the_same_file(tmp_path: Path) -> None:
    write_migration(
        tmp_path,
        "20261122_001",
        "tenant_tables",
        """
CREATE TABLE guarded (id INT, org_id UUID NOT NULL);
ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
CREATE TABLE "Unguarded" (id INT, "org_id" UUID, CONSTRAINT u_pk PRIMARY KEY (id));
CREATE TABLE global_things (id INT, organization TEXT);
CREATE TABLE guarded_2026 PARTITION OF guarded DEFAULT;
""",
        "SELECT 1;",
    )
    issues = [i for i in validate(tmp_path).issues if i.code == "org-table-without-rls"]
    assert [(i.line, i.severity) for i in issues] == [(12, Severity.WARNING)]
    assert "Unguarded" in issues[0].message


def test_file_problems_are_all_listed_not_just_the_first(tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "one", "SELECT 1;", "SELECT 1;")
    write_migration(tmp_path, "20261122_001", "also_one", "SELECT 1;", "SELECT 1;")
    (tmp_path / "2026" / "not_a_migration.sql").write_text("SELECT 1;", encoding="utf-8")
    report = validate(tmp_path)
    assert sorted(i.code for i in report.errors) == ["duplicate-version", "duplicate-version", "file"]
    assert all(i.path is not None and i.path.name in i.message for i in report.errors)


def test_header_date_folder_and_empty_sections_are_warned_about(tmp_path: Path) -> None:
    path = write_migration(tmp_path, "20261122_001", "odd", "-- nothing yet")
    path.write_text(path.read_text(encoding="utf-8").replace("2026-11-22", "2026-11-21"), encoding="utf-8")
    moved = tmp_path / "2025" / path.name
    moved.parent.mkdir()
    path.rename(moved)
    assert sorted(code for code, _, _ in codes(tmp_path)) == ["date-mismatch", "empty-up", "folder-year", "no-down"]


def test_validate_compares_files_with_the_history(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_002", "applied", "CREATE TABLE a (id INT);", "DROP TABLE a;")
    gone = write_migration(tmp_path, "20261122_003", "gone", "CREATE TABLE b (id INT);", "DROP TABLE b;")
    migrate(empty_admin_url, migrations_dir=tmp_path)
    gone.unlink()
    write_migration(tmp_path, "20261122_002", "applied", "CREATE TABLE a (id BIGINT);", "DROP TABLE a;")
    write_migration(tmp_path, "20261122_001", "late", "CREATE TABLE c (id INT);", "DROP TABLE c;")
    issues = {i.code: i for i in validate(tmp_path, empty_admin_url).issues}
    assert issues["checksum-mismatch"].severity is Severity.ERROR
    assert issues["checksum-mismatch"].version == "20261122_002"
    assert issues["missing-file"].version == "20261122_003"
    assert issues["out-of-order"].version == "20261122_001"


def test_new_migration_numbers_after_the_days_files(tmp_path: Path) -> None:
    day = dt.date(2026, 11, 22)
    write_migration(tmp_path, "20261122_001", "existing", "SELECT 1;")
    write_migration(tmp_path, "20261121_007", "other_day", "SELECT 1;")
    first = new_migration("add_trunk_labels", tmp_path, today=day, author="tester")
    second = new_migration("add_more", tmp_path, today=day, author="tester", no_transaction=True)
    assert first == tmp_path / "2026" / "20261122_002_add_trunk_labels.sql"
    assert second.name == "20261122_003_add_more.sql"
    parsed = parse_migration(first)
    assert (parsed.version, parsed.author, parsed.date) == ("20261122_002", "tester", day)
    assert parsed.description == "Add trunk labels"
    assert parsed.up_statements == () and parsed.down_sql is None
    assert parse_migration(second).no_transaction is True
    assert new_migration("first_of_day", tmp_path, today=dt.date(2027, 1, 1)).name == "20270101_001_first_of_day.sql"


@pytest.mark.parametrize("name", ["AddLabels", "add-labels", "add labels", "_add", "add__labels", "1st_change", ""])
def test_new_migration_refuses_names_that_are_not_snake_case(tmp_path: Path, name: str) -> None:
    with pytest.raises(MigrationFileError, match="snake_case"):
        new_migration(name, tmp_path, today=dt.date(2026, 11, 22))
    assert not list(tmp_path.rglob("*.sql"))
