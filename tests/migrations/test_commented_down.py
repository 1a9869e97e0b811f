"""Commented DOWN sections that are not rollbacks, and the markers' edge cases.

Before the commented format, a DOWN section whose lines were all comments meant "cannot be rolled back"; such an
older file must not have its comments run as SQL, and a DOWN recorded as absent is never run without a review.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from warp_models.errors import ChecksumMismatch, MigrationError, MigrationFileError
from warp_repo.migrations import (
    DownFormat,
    migrate,
    parse_migration,
    repair,
    rollback,
    status,
    validate,
)

from .testkit import tables, write_migration

DISABLED_DROP = "-- DROP TABLE things;  -- disabled: drops customer data"
PROSE = "-- This migration cannot be undone: the old values are gone."


def _older_file(directory: Path, down: str) -> Path:
    """A file of the format before the commented DOWN: its DOWN is all comments, meaning 'no rollback'."""
    return write_migration(
        directory, "20261122_001", "things", "CREATE TABLE things (id INT);", down, executable_down=True
    )


def _applied_by_the_earlier_engine(url: str, directory: Path) -> None:
    """Apply, then record the DOWN checksum the earlier engine recorded for an all-comment DOWN: none."""
    migrate(url, migrations_dir=directory)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE schema_migrations SET checksum_down = NULL WHERE version = '20261122_001'")


def _line_of(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").split("\n").index(text) + 1


def test_a_disabled_statement_in_an_older_all_comment_down_is_not_run(empty_admin_url: str, tmp_path: Path) -> None:
    path = _older_file(tmp_path, DISABLED_DROP)
    migration = parse_migration(path)
    assert migration.down_format is DownFormat.COMMENTED and migration.down_sql is not None
    _applied_by_the_earlier_engine(empty_admin_url, tmp_path)

    with pytest.raises(
        ChecksumMismatch, match=r"(?s)applied with no DOWN section.*DROP TABLE things.*run repair"
    ) as info:
        rollback(empty_admin_url, migrations_dir=tmp_path)
    assert info.value.version == "20261122_001" and info.value.path == path
    assert "things" in tables(empty_admin_url)  # the customer data is still there
    (entry,) = status(empty_admin_url, migrations_dir=tmp_path)
    assert entry.down_edited
    report = validate(tmp_path, conninfo=empty_admin_url)
    assert [(i.version, i.severity.value) for i in report.issues if i.code == "down-edited"] == [
        ("20261122_001", "warning")
    ]

    # Once someone has reviewed the DOWN and recorded it, rollback runs it.
    assert repair(empty_admin_url, migrations_dir=tmp_path).realigned == ("20261122_001",)
    assert rollback(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_001"]
    assert "things" not in tables(empty_admin_url)


def test_a_down_edited_after_it_was_applied_is_refused_until_repaired(empty_admin_url: str, tmp_path: Path) -> None:
    path = write_migration(tmp_path, "20261122_001", "things", "CREATE TABLE things (id INT);", "DROP TABLE things;")
    migrate(empty_admin_url, migrations_dir=tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("-- DROP TABLE things;", "-- DROP TABLE things CASCADE;"))
    with pytest.raises(ChecksumMismatch, match="DOWN changed since it was applied"):
        rollback(empty_admin_url, migrations_dir=tmp_path)
    assert "things" in tables(empty_admin_url)
    repair(empty_admin_url, migrations_dir=tmp_path)
    assert rollback(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_001"]


def test_prose_in_an_older_all_comment_down_is_not_a_statement(empty_admin_url: str, tmp_path: Path) -> None:
    path = _older_file(tmp_path, f"{PROSE}\n{DISABLED_DROP}")
    migration = parse_migration(path)
    line = _line_of(path, PROSE)
    assert (migration.down_sql, migration.checksum_down, migration.down_statements) == (None, None, ())
    assert migration.down_problem is not None and migration.down_problem.startswith(f"line {line}: 'This migration")

    _applied_by_the_earlier_engine(empty_admin_url, tmp_path)
    (entry,) = status(empty_admin_url, migrations_dir=tmp_path)
    assert not entry.down_edited  # recorded none, reads as none: nothing changed for this database
    with pytest.raises(MigrationError, match=rf"not a rollback \(line {line}: .*is not SQL") as info:
        rollback(empty_admin_url, migrations_dir=tmp_path)
    assert not isinstance(info.value, MigrationFileError)
    assert "things" in tables(empty_admin_url)
    issues = [(i.code, i.severity.value) for i in validate(tmp_path).issues if i.code.startswith(("down", "no-down"))]
    assert issues == [("down-not-sql", "warning")]


@pytest.mark.parametrize(
    "tail",
    [
        "-- Reviewed with the DBA team before the release.",
        "-- Note: run VACUUM afterwards",
        "-- ===========================================\n-- DROP TABLE other_things;",
    ],
    ids=["prose", "note", "banner"],
)
def test_a_line_after_the_down_statements_that_is_not_sql_is_named(tmp_path: Path, tail: str) -> None:
    path = write_migration(tmp_path, "20261122_001", "things", "CREATE TABLE things (id INT);", "DROP TABLE things;")
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n" + tail + "\n"
    path.write_text(text, encoding="utf-8")
    migration = parse_migration(path)
    first = tail.split("\n")[0]
    assert migration.down_sql is None
    assert migration.down_problem is not None and migration.down_problem.startswith(f"line {_line_of(path, first)}:")


def test_prose_beside_an_irreversible_marker_is_its_explanation(tmp_path: Path) -> None:
    path = _older_file(tmp_path, f"-- warp:irreversible: the old values are gone\n{PROSE}")
    migration = parse_migration(path)
    assert migration.irreversible == "the old values are gone"
    assert (migration.down_sql, migration.down_problem) == (None, None)


def test_a_commented_down_of_sql_still_runs(empty_admin_url: str, tmp_path: Path) -> None:
    down = "-- -- the table holds nothing yet\nDROP TABLE things;\nWITH x AS (SELECT 1) SELECT * FROM x;"
    write_migration(tmp_path, "20261122_001", "things", "CREATE TABLE things (id INT);", down)
    assert parse_migration(next(tmp_path.rglob("*.sql"))).down_problem is None
    migrate(empty_admin_url, migrations_dir=tmp_path)
    assert rollback(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_001"]


# Markers


def test_a_doubled_comment_irreversible_marker_is_recognised(tmp_path: Path) -> None:
    path = write_migration(
        tmp_path, "20261122_001", "things", "CREATE TABLE things (id INT);", "-- warp:irreversible: data is rewritten"
    )
    assert "-- -- warp:irreversible: data is rewritten" in path.read_text(encoding="utf-8")
    migration = parse_migration(path)
    assert migration.irreversible == "data is rewritten"
    assert migration.down_sql is None
    assert [i.code for i in validate(tmp_path).issues if i.code == "no-down"] == []


FUNCTION_UP = """
CREATE FUNCTION things_note() RETURNS text LANGUAGE sql AS $body$
-- warp:{body_marker}
SELECT 'x'
$body$;
"""


def test_a_marker_like_line_inside_a_dollar_quoted_body_is_sql(empty_admin_url: str, tmp_path: Path) -> None:
    path = write_migration(
        tmp_path, "20261122_001", "note", FUNCTION_UP.format(body_marker="note: kept"), "DROP FUNCTION things_note();"
    )
    migration = parse_migration(path)
    assert migration.allowances == ()
    assert "-- warp:note: kept" in migration.up_sql and "-- warp:note: kept" in migration.up_statements[0].text

    edited = tmp_path.parent / f"{tmp_path.name}-edited"
    write_migration(
        edited, "20261122_001", "note", FUNCTION_UP.format(body_marker="note: changed"), "DROP FUNCTION things_note();"
    )
    assert parse_migration(next(edited.rglob("*.sql"))).checksum_up != migration.checksum_up  # the body is data

    allow = tmp_path.parent / f"{tmp_path.name}-allow"
    write_migration(
        allow,
        "20261122_001",
        "note",
        FUNCTION_UP.format(body_marker="allow index-without-concurrently: in a body"),
        "DROP FUNCTION things_note();",
    )
    assert parse_migration(next(allow.rglob("*.sql"))).allowances == ()

    migrate(empty_admin_url, migrations_dir=tmp_path)
    with psycopg.connect(empty_admin_url) as conn:
        row = conn.execute("SELECT prosrc FROM pg_proc WHERE proname = 'things_note'").fetchone()
    assert row is not None and "-- warp:note: kept" in row[0]


def test_two_allow_markers_for_the_same_rule_and_statement_are_reported(tmp_path: Path) -> None:
    up = (
        "-- warp:allow index-without-concurrently: the table is new and empty\n"
        "-- warp:allow index-without-concurrently: nobody reads it yet\n"
        "CREATE INDEX things_id ON things (id);"
    )
    path = write_migration(tmp_path, "20261122_001", "things_index", up, "DROP INDEX things_id;")
    first = _line_of(path, up.split("\n")[0])
    issues = [i for i in validate(tmp_path).issues if i.code.endswith("-allow") or i.code.startswith("index")]
    assert [(i.code, i.line) for i in issues] == [("duplicate-allow", first + 1)]
    assert f"line {first}" in issues[0].message
