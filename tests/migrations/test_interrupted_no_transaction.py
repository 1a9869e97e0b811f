"""A no-transaction migration killed part-way: the history says how far it got, and repair says what to do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from warp_models.errors import MigrationError
from warp_repo.cli import main
from warp_repo.migrations import MigrationState, migrate, parse_migration, repair, status, validate

from .testkit import tables, write_migration

UP = """
CREATE TABLE IF NOT EXISTS first_half (a INT);
SELECT pg_sleep(60);
CREATE TABLE IF NOT EXISTS second_half (a INT);
"""


def _warp_db() -> str:
    script = Path(sys.executable).with_name("warp-db")
    if not script.exists():
        pytest.skip("the warp-db script is not installed beside this interpreter")
    return str(script)


def _wait_for(predicate: object, what: str, timeout: float = 30.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _sleeping(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND query LIKE 'SELECT pg_sleep(60)%%' AND state = 'active'"
        ).fetchone()
    return bool(row and row[0])


def test_a_killed_no_transaction_migration_shows_as_stopped_part_way(
    empty_admin_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The status table names the migration's file, under tmp_path: wide enough that no column is cut short
    # whatever the length of tmp_path (longer under pytest-xdist, where it holds the worker's name).
    monkeypatch.setenv("COLUMNS", "300")
    path = write_migration(tmp_path, "20261122_001", "two_halves", UP, no_transaction=True)
    sleep_line = next(s.line for s in parse_migration(path).up_statements if "pg_sleep" in s.text)
    args = ["--database-url", empty_admin_url, "--migrations-dir", str(tmp_path)]
    process = subprocess.Popen(
        [_warp_db(), *args, "migrate", "--yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(lambda: _sleeping(empty_admin_url), "the migration to reach pg_sleep")
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    with psycopg.connect(empty_admin_url, autocommit=True) as conn:  # the server notices the client only later
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND query LIKE 'SELECT pg_sleep%%'",
            [conninfo_to_dict(empty_admin_url)["dbname"]],
        )

    assert tables(empty_admin_url) == {"schema_migrations", "first_half"}
    [entry] = status(empty_admin_url, migrations_dir=tmp_path)
    assert entry.state is MigrationState.FAILED and entry.interrupted and entry.sqlstate is None
    assert entry.error is not None
    assert f"line {sleep_line}" in entry.error and "pg_sleep(60)" in entry.error

    assert main([*args, "status"]) == 1
    assert "stopped part-way (no-transaction)" in capsys.readouterr().out
    [finding] = [i for i in validate(tmp_path, empty_admin_url).issues if i.code == "failed"]
    assert f"line {sleep_line}" in finding.message and "never finished" in finding.message

    with pytest.raises(MigrationError, match="never finished") as blocked:
        migrate(empty_admin_url, migrations_dir=tmp_path)
    assert blocked.value.path == path and f"line {sleep_line}" in str(blocked.value)

    assert main([*args, "repair", "--yes"]) == 0
    out = " ".join(" ".join(capsys.readouterr()).split())  # the results, and the warning on standard error
    assert "cleared the failed attempt of 20261122_001" in out
    assert "killed or cut off" in out and "safe to run again" in out
    assert status(empty_admin_url, migrations_dir=tmp_path)[0].state is MigrationState.PENDING

    path.write_text(path.read_text(encoding="utf-8").replace("pg_sleep(60)", "pg_sleep(0)"), encoding="utf-8")
    assert migrate(empty_admin_url, migrations_dir=tmp_path).versions == ["20261122_001"]
    assert tables(empty_admin_url) == {"schema_migrations", "first_half", "second_half"}
    [done] = status(empty_admin_url, migrations_dir=tmp_path)
    assert done.state is MigrationState.APPLIED and not done.interrupted and done.error is None


def test_repair_reports_a_failed_no_transaction_migration_as_partial(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(
        tmp_path,
        "20261122_001",
        "partial",
        "CREATE TABLE IF NOT EXISTS kept (a INT);\nSELECT 1/0;",
        no_transaction=True,
    )
    with pytest.raises(MigrationError):
        migrate(empty_admin_url, migrations_dir=tmp_path)
    [entry] = status(empty_admin_url, migrations_dir=tmp_path)
    assert entry.sqlstate == "22012" and not entry.interrupted
    report = repair(empty_admin_url, migrations_dir=tmp_path)
    assert report.cleared_failed == ("20261122_001",)
    [advice] = report.partial
    assert "SQLSTATE 22012" in advice and "safe to run again" in advice
