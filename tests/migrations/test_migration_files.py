"""Reading migration files: names, header, sections, transaction lines, checksums."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.cli.test_settings import raised_as_a_user
from warp_models.errors import MigrationFileError
from warp_repo.migrations import (
    DownFormat,
    checksum,
    comment_out_down,
    load_migrations,
    normalize_sql,
    parse_migration,
    scan_migrations,
)

from .testkit import migration_text, write_migration

# The template of the schema repository's workflow, as that document gives it.
SEED_TEMPLATE = """\
-- Migration: 20220801_001_create_billing_audit_table
-- Author: engineering-team
-- Date: 2022-08-01
-- Description: Creates the billing_audit table for tracking all billing-related API calls

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

CREATE TABLE IF NOT EXISTS billing_audit (
    id              BIGSERIAL PRIMARY KEY,
    account_id      UUID NOT NULL REFERENCES accounts(id),
    action_type     VARCHAR(50) NOT NULL,
    request_payload JSONB,
    response_code   INTEGER,
    created_at      TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    ip_address      INET
);

CREATE INDEX idx_billing_audit_account_id ON billing_audit(account_id);
CREATE INDEX idx_billing_audit_created_at ON billing_audit(created_at);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- DROP TABLE IF EXISTS billing_audit CASCADE;
-- COMMIT;
"""


def seed_file(tmp_path: Path, text: str = SEED_TEMPLATE, newline: str = "\n") -> Path:
    path = tmp_path / "2022" / "20220801_001_create_billing_audit_table.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def test_the_seed_template_parses_as_it_stands(tmp_path: Path) -> None:
    migration = parse_migration(seed_file(tmp_path))
    assert migration.version == "20220801_001"
    assert migration.name == "create_billing_audit_table"
    assert migration.author == "engineering-team"
    assert migration.date == dt.date(2022, 8, 1)
    assert migration.description.startswith("Creates the billing_audit table")
    assert migration.no_transaction is False
    assert [s.keywords[:2] for s in migration.up_statements] == [
        ("CREATE", "TABLE"),
        ("CREATE", "INDEX"),
        ("CREATE", "INDEX"),
    ]
    assert migration.up_statements[0].line == 12
    assert migration.up_sql.startswith("CREATE TABLE IF NOT EXISTS billing_audit (")
    assert migration.up_sql.endswith("ON billing_audit(created_at);")
    assert "BEGIN;" not in migration.up_sql and "COMMIT;" not in migration.up_sql


def test_the_seed_templates_commented_down_section_is_its_rollback(tmp_path: Path) -> None:
    migration = parse_migration(seed_file(tmp_path))
    assert migration.down_format is DownFormat.COMMENTED
    assert migration.down_sql == "DROP TABLE IF EXISTS billing_audit CASCADE;"
    assert [(s.text, s.line) for s in migration.down_statements] == [("DROP TABLE IF EXISTS billing_audit CASCADE", 32)]
    assert migration.checksum_down == checksum("BEGIN;\nDROP TABLE IF EXISTS billing_audit CASCADE;\nCOMMIT;")
    assert migration.irreversible is None


def test_comments_inside_a_commented_down_stay_comments(tmp_path: Path) -> None:
    path = write_migration(
        tmp_path,
        "20261122_001",
        "things",
        "CREATE TABLE things (id INT);",
        "BEGIN;\n-- Dropping the table drops its rows.\nDROP TABLE things;\n\nCOMMIT;",
    )
    text = path.read_text(encoding="utf-8")
    assert "-- -- Dropping the table drops its rows.\n-- DROP TABLE things;\n\n-- COMMIT;" in text
    migration = parse_migration(path)
    assert migration.down_sql == "-- Dropping the table drops its rows.\nDROP TABLE things;"
    assert [s.text for s in migration.down_statements] == ["DROP TABLE things"]


def test_an_irreversible_marker_means_no_rollback_and_needs_a_reason(tmp_path: Path) -> None:
    path = write_migration(
        tmp_path, "20261122_001", "one_way", "CREATE TABLE t (id INT);", "warp:irreversible: the old rows are gone"
    )
    migration = parse_migration(path)
    assert (migration.down_sql, migration.checksum_down, migration.down_statements) == (None, None, ())
    assert migration.irreversible == "the old rows are gone"
    path.write_text(path.read_text(encoding="utf-8").replace(": the old rows are gone", ":"), encoding="utf-8")
    with pytest.raises(MigrationFileError, match="needs a reason"):
        parse_migration(path)
    both = write_migration(
        tmp_path, "20261122_002", "both", "CREATE TABLE u (id INT);", "warp:irreversible: why\nDROP TABLE u;"
    )
    with pytest.raises(MigrationFileError, match="also holds statements"):
        parse_migration(both)


def test_comment_out_down_converts_an_older_file_and_keeps_its_checksums(tmp_path: Path) -> None:
    down = "BEGIN;\n-- Partitions go with their table.\nDROP TABLE t;\n\nCOMMIT;"
    old = write_migration(tmp_path / "old", "20261122_001", "t", "CREATE TABLE t (id INT);", down, executable_down=True)
    before = parse_migration(old)
    assert before.down_format is DownFormat.EXECUTABLE
    converted = comment_out_down(old.read_text(encoding="utf-8"))
    assert converted == migration_text("20261122_001", "t", "CREATE TABLE t (id INT);", down)
    assert comment_out_down(converted) == converted
    old.write_text(converted, encoding="utf-8")
    after = parse_migration(old)
    assert after.down_format is DownFormat.COMMENTED
    assert (after.checksum_up, after.checksum_down, after.down_sql) == (
        before.checksum_up,
        before.checksum_down,
        before.down_sql,
    )


def test_marker_lines_are_left_out_of_the_checksum(tmp_path: Path) -> None:
    up = "CREATE TABLE t (id INT);\n\nCREATE INDEX t_id ON t (id);"
    plain = parse_migration(write_migration(tmp_path / "a", "20261122_001", "t", up, "DROP TABLE t;"))
    marked_up = up.replace("CREATE INDEX", "-- warp:allow index-without-concurrently: an empty table\nCREATE INDEX")
    marked = parse_migration(write_migration(tmp_path / "b", "20261122_001", "t", marked_up, "DROP TABLE t;"))
    assert marked.checksum_up == plain.checksum_up
    assert [(a.code, a.reason, a.line) for a in marked.allowances] == [
        ("index-without-concurrently", "an empty table", 12)
    ]
    commented = parse_migration(
        write_migration(tmp_path / "c", "20261122_001", "t", "-- a comment\n" + up, "DROP TABLE t;")
    )
    assert commented.checksum_up != plain.checksum_up  # only markers are left out, not comments


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("-- warp:allow index-without-concurrently", "needs a rule and a reason"),
        ("-- warp:allow index-without-concurrently:   ", "needs a rule and a reason"),
        ("-- warp:skip-lint: because", "unknown marker 'warp:skip-lint'"),
        ("-- warp:no-transaction", "below the UP marker is ignored"),
    ],
)
def test_bad_markers_in_the_up_section_are_file_errors(tmp_path: Path, marker: str, message: str) -> None:
    path = write_migration(tmp_path, "20261122_001", "t", f"{marker}\nCREATE TABLE t (id INT);", "DROP TABLE t;")
    with pytest.raises(MigrationFileError, match=message):
        parse_migration(path)


def test_a_missing_down_section_means_no_down(tmp_path: Path) -> None:
    path = write_migration(tmp_path, "20261122_001", "only_up", "CREATE TABLE t (id INT);")
    assert parse_migration(path).down_sql is None


def test_an_executable_down_section_is_kept_without_its_transaction_lines(tmp_path: Path) -> None:
    path = write_migration(
        tmp_path,
        "20261122_001",
        "with_down",
        "BEGIN;\nCREATE TABLE t (id INT);\nCOMMIT;",
        "BEGIN;\nDROP TABLE t;\nCOMMIT;",
        executable_down=True,
    )
    migration = parse_migration(path)
    assert migration.down_sql == "DROP TABLE t;"
    assert [s.text for s in migration.down_statements] == ["DROP TABLE t"]
    assert migration.checksum_down is not None and len(migration.checksum_down) == 64


def test_crlf_line_endings_and_a_bom_do_not_change_checksums(tmp_path: Path) -> None:
    lf = parse_migration(seed_file(tmp_path / "lf"))
    crlf = parse_migration(seed_file(tmp_path / "crlf", newline="\r\n"))
    bom = parse_migration(seed_file(tmp_path / "bom", text="\ufeff" + SEED_TEMPLATE.replace("\n", "  \n")))
    assert lf.checksum_up == crlf.checksum_up == bom.checksum_up
    assert lf.up_sql == crlf.up_sql


def test_editing_the_sql_changes_the_checksum(tmp_path: Path) -> None:
    original = parse_migration(seed_file(tmp_path / "a"))
    edited = parse_migration(seed_file(tmp_path / "b", text=SEED_TEMPLATE.replace("VARCHAR(50)", "VARCHAR(60)")))
    assert original.checksum_up != edited.checksum_up


def test_editing_only_the_header_keeps_the_checksums(tmp_path: Path) -> None:
    original = parse_migration(seed_file(tmp_path / "a"))
    edited = parse_migration(seed_file(tmp_path / "b", text=SEED_TEMPLATE.replace("engineering-team", "someone-else")))
    assert original.checksum_up == edited.checksum_up
    assert edited.author == "someone-else"


def test_normalize_sql_strips_what_editors_change() -> None:
    assert normalize_sql("\ufeff\r\n\r\nSELECT 1;  \r\nSELECT 2;\t\r\n\r\n") == "SELECT 1;\nSELECT 2;"
    assert checksum("SELECT 1;\n") == checksum("SELECT 1;\r\n\r\n")
    assert checksum("SELECT 1;") != checksum("SELECT 2;")


def test_the_no_transaction_directive_is_read(tmp_path: Path) -> None:
    path = write_migration(
        tmp_path, "20261122_001", "concurrent_index", "CREATE INDEX CONCURRENTLY i ON t (a);", no_transaction=True
    )
    assert parse_migration(path).no_transaction is True


@pytest.mark.parametrize(
    ("file_name", "fragment"),
    [
        ("create_things.sql", "YYYYMMDD_NNN_descriptive_name.sql"),
        ("20261122_01_create_things.sql", "YYYYMMDD_NNN_descriptive_name.sql"),
        ("20261122_001_CreateThings.sql", "snake_case"),
        ("20261122_001_create-things.sql", "snake_case"),
        ("20261340_001_create_things.sql", "not a calendar date"),
    ],
)
def test_bad_file_names_are_refused_naming_the_file(tmp_path: Path, file_name: str, fragment: str) -> None:
    path = tmp_path / file_name
    path.write_text(migration_text("20261122_001", "create_things", "SELECT 1;"), encoding="utf-8")
    with pytest.raises(MigrationFileError) as caught:
        parse_migration(path)
    assert file_name in str(caught.value)
    assert fragment in str(caught.value)
    assert caught.value.path == path


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (("-- Author: tests\n", ""), "no '-- Author:' line"),
        (("-- Description: A test migration\n", "-- Description:\n"), "'Description' is empty"),
        (("-- Date: 2026-11-22", "-- Date: 22/11/2026"), "is not YYYY-MM-DD"),
        (("-- Migration: 20261122_001_things", "-- Migration: 20261122_002_things"), "Make them agree"),
        (("-- UP MIGRATION\n", "-- UPWARDS\n"), "no '-- UP MIGRATION' marker"),
        (("-- Author: tests\n", "-- Author: tests\nSELECT 1;\n"), "holds SQL before"),
        (("-- Author: tests\n", "-- Author: tests\n-- warp:no-transactions\n"), "unknown directive"),
        (("CREATE TABLE t (id INT);", "CREATE TABLE t (id INT);\nROLLBACK;"), "ROLLBACK is not allowed"),
    ],
)
def test_malformed_files_are_refused_saying_what_to_fix(tmp_path: Path, change: tuple[str, str], fragment: str) -> None:
    text = migration_text("20261122_001", "things", "CREATE TABLE t (id INT);", "DROP TABLE t;")
    assert change[0] in text
    path = tmp_path / "20261122_001_things.sql"
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(MigrationFileError) as caught:
        parse_migration(path)
    message = str(caught.value)
    assert fragment in message
    assert str(path) in message and "20261122_001" in message
    assert caught.value.version == "20261122_001"


def test_load_migrations_finds_year_folders_and_sorts_by_version(tmp_path: Path) -> None:
    write_migration(tmp_path, "20270101_001", "later", "SELECT 3;")
    write_migration(tmp_path, "20261122_002", "second", "SELECT 2;")
    write_migration(tmp_path, "20261122_001", "first", "SELECT 1;")
    (tmp_path / "README.md").write_text("not a migration", encoding="utf-8")
    assert [m.version for m in load_migrations(tmp_path)] == ["20261122_001", "20261122_002", "20270101_001"]


def test_two_files_with_one_version_are_refused_naming_both(tmp_path: Path) -> None:
    first = write_migration(tmp_path, "20261122_001", "first", "SELECT 1;")
    second = write_migration(tmp_path, "20261122_001", "second", "SELECT 2;")
    with pytest.raises(MigrationFileError) as caught:
        load_migrations(tmp_path)
    assert str(first) in str(caught.value) and str(second) in str(caught.value)
    assert caught.value.version == "20261122_001"
    migrations, errors = scan_migrations(tmp_path)
    assert migrations == [] and len(errors) == 2


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MigrationFileError, match="does not exist"):
        load_migrations(tmp_path / "nowhere")


def test_a_file_given_as_the_directory_is_refused_as_a_file(tmp_path: Path) -> None:
    a_file = write_migration(tmp_path, "20261122_001", "first", "SELECT 1;")
    for read in (load_migrations, scan_migrations):
        with pytest.raises(MigrationFileError, match=re.escape(f"{a_file} is a file, not a folder")):
            read(a_file)


def test_a_folder_that_cannot_be_listed_is_an_error_not_an_empty_folder(tmp_path: Path, empty_admin_url: str) -> None:
    write_migration(tmp_path, "20261122_001", "first", "CREATE TABLE first_table (a INT);")
    year = tmp_path / "2026"
    year.chmod(0o000)
    try:
        for call in (
            f"migrations.load_migrations(Path({str(tmp_path)!r}))",
            f"migrations.scan_migrations(Path({str(tmp_path)!r}))",
            f"migrations.migrate({empty_admin_url!r}, migrations_dir=Path({str(tmp_path)!r}))",
            # Numbering a new file past a folder it cannot list could hand out a number that folder already uses.
            f"migrations.new_migration('second', Path({str(tmp_path)!r}))",
        ):
            said = raised_as_a_user(f"from pathlib import Path\nfrom warp_repo import migrations\n{call}")
            assert said == (
                f"MigrationFileError: {tmp_path}: cannot list {year} (Permission denied), so its migrations cannot "
                "be read. Give this user read access to it."
            ), said
    finally:
        year.chmod(0o755)
    assert [m.version for m in load_migrations(tmp_path)] == ["20261122_001"]


def test_a_linked_file_is_read_and_a_linked_folder_is_not_followed(tmp_path: Path) -> None:
    write_migration(tmp_path / "main", "20261122_001", "first", "SELECT 1;")
    elsewhere = write_migration(tmp_path / "extra", "20261122_002", "second", "SELECT 2;")
    (tmp_path / "main" / "2026" / elsewhere.name).symlink_to(elsewhere)
    write_migration(tmp_path / "folder", "20261122_003", "third", "SELECT 3;")
    (tmp_path / "main" / "folder").symlink_to(tmp_path / "folder")
    (tmp_path / "main" / "2026" / "back").symlink_to(tmp_path / "main")  # a loop, never entered
    migrations, errors = scan_migrations(tmp_path / "main")
    assert errors == []
    assert [m.version for m in migrations] == ["20261122_001", "20261122_002"]


def test_plpgsql_bodies_keep_their_semicolons_and_begin_end(tmp_path: Path) -> None:
    up = """
BEGIN;
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$
BEGIN
    RETURN 1;
END;
$body$;
COMMIT;
"""
    migration = parse_migration(write_migration(tmp_path, "20261122_001", "function", up))
    assert len(migration.up_statements) == 1
    assert "END;\n$body$" in migration.up_statements[0].text
