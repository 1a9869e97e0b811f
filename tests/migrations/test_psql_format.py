"""The bundled files run under psql as they stand, and databases migrated from the earlier format stay valid."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from warp_repo.migrations import (
    DownFormat,
    MigrationState,
    bundled_migrations_dir,
    migrate,
    new_migration,
    parse_migration,
    rollback,
    status,
    validate,
)

from .testkit import tables

BUNDLED = sorted(bundled_migrations_dir().rglob("*.sql"))

# The last commit whose bundled files had executable DOWN sections (the earlier format).
EARLIER_FORMAT_COMMIT = "2da0a8c0f665d5281a26f80878bc64c3cd604e1d"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_file_has_a_commented_down_or_says_why_not(path: Path) -> None:
    migration = parse_migration(path)
    assert migration.down_format is DownFormat.COMMENTED, (
        f"{path.name}: comment out its DOWN section (warp_repo.migrations.comment_out_down), so that psql runs "
        "only the UP section"
    )
    assert migration.down_statements or migration.irreversible, path.name


def test_new_migration_writes_the_commented_template(tmp_path: Path) -> None:
    path = new_migration("add_labels", tmp_path, author="tester", description="Labels")
    migration = parse_migration(path)
    assert migration.down_format is DownFormat.COMMENTED
    assert migration.down_statements == () and migration.irreversible is None
    text = path.read_text(encoding="utf-8")
    down = text[text.index("-- DOWN MIGRATION") :]
    assert "\n-- BEGIN;\n" in down and "\n-- COMMIT;\n" in down
    assert [line for line in down.splitlines()[2:] if line and not line.startswith("-- ")] == []


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    assert match is not None, version_text
    return int(match.group(1))


def _schema_dump(pg_dump: str, url: str) -> str:
    out = subprocess.run(
        [pg_dump, "--schema-only", "--exclude-table=schema_migrations", "-d", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    # pg_dump 17.6+ frames its output with a random \restrict key; it is not part of the schema.
    return "\n".join(line for line in out.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def _database_settings(url: str) -> list[tuple[str, ...]]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT coalesce(s.setconfig, '{}') FROM pg_database d"
            " LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0"
            " WHERE d.datname = current_database()"
        ).fetchone()
    assert row is not None
    return sorted(tuple(str(setting).split("=", 1)) for setting in row[0])


def test_psql_runs_every_bundled_file_to_the_schema_migrate_gives(
    empty_admin_url: str, create_database: Callable[[], str]
) -> None:
    psql, pg_dump = _binary("psql"), _binary("pg_dump")
    with psycopg.connect(empty_admin_url) as conn:
        server_major = conn.info.server_version // 10000
    dump_version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=True).stdout
    if _major(dump_version.split(")", 1)[-1]) < server_major:
        pytest.skip(f"pg_dump ({dump_version.strip()}) is older than the server ({server_major}) and cannot dump it")
    by_hand = create_database()
    for path in BUNDLED:
        run = subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", by_hand, "-f", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, f"{path.name}: {run.stderr}"
    migrate(empty_admin_url)
    assert tables(by_hand) | {"schema_migrations"} == tables(empty_admin_url)
    assert _schema_dump(pg_dump, by_hand) == _schema_dump(pg_dump, empty_admin_url)
    assert _database_settings(by_hand) == _database_settings(empty_admin_url) != []


def _earlier_format_files(target: Path) -> Path:
    git = shutil.which("git")
    checkout = bundled_migrations_dir().parent
    if git is None or not (checkout / ".git").exists():
        pytest.skip("needs a git checkout holding the earlier file format")
    folder = target / "2026"
    folder.mkdir(parents=True)
    for path in BUNDLED:
        relative = path.relative_to(checkout).as_posix()
        shown = subprocess.run(
            [git, "-C", str(checkout), "show", f"{EARLIER_FORMAT_COMMIT}:{relative}"],
            capture_output=True,
            text=True,
        )
        if shown.returncode != 0:
            continue  # a migration added after the format changed
        (folder / path.name).write_text(shown.stdout, encoding="utf-8")
    if not any(folder.iterdir()):
        pytest.skip(f"commit {EARLIER_FORMAT_COMMIT[:12]} is not in this checkout's history")
    return target


def test_a_database_migrated_with_the_earlier_files_validates_against_the_current_ones(
    empty_admin_url: str, tmp_path: Path
) -> None:
    earlier = _earlier_format_files(tmp_path / "earlier")
    assert {parse_migration(p).down_format for p in earlier.rglob("*.sql")} == {DownFormat.EXECUTABLE}
    applied = migrate(empty_admin_url, migrations_dir=earlier).versions
    assert len(applied) >= 13

    report = validate(conninfo=empty_admin_url)
    assert report.ok, [str(i) for i in report.errors]
    assert [str(i) for i in report.issues] == []
    by_version = {s.version: s for s in status(empty_admin_url)}
    assert all(by_version[v].state is MigrationState.APPLIED for v in applied)
    assert not any(by_version[v].down_edited for v in applied)  # the DOWN checksums still match too

    migrate(empty_admin_url)  # the rest, if any were added since
    undone = rollback(empty_admin_url, target=applied[0]).versions
    assert undone == sorted(set(by_version) - {applied[0]}, reverse=True)
    assert tables(empty_admin_url) == {
        "schema_migrations",
        "organizations",
        "organization_settings",
        "users",
        "api_keys",
        "audit_logs",
    }
