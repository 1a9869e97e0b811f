"""A private PostgreSQL server per test module, migrated, for tests that kill, stall and restart it.

The shared test server is never touched: each module of this folder starts its own (``servers.PrivateServer``)
and stops it at the end. Without server binaries every test here is skipped, with the reason. The tests connect
as the private server's superuser: what they check (how a broken or silent connection surfaces) does not depend
on the role.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.faults.servers import PrivateServer, missing_binaries_reason
from warp_repo.migrations import migrate

needs_private_servers = pytest.mark.skipif(
    missing_binaries_reason() is not None, reason=missing_binaries_reason() or "PostgreSQL binaries found"
)
"""Every module of this folder is marked with it (``pytestmark``): no binaries, no fault test."""


@pytest.fixture(scope="session")
def migrated_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A stopped cluster with database ``warp`` migrated, made once (``initdb``, migrate, stop) and copied by
    every private server of the session that needs one (``PrivateServer.copy_of``); deleted at the end."""
    if missing_binaries_reason() is not None:
        pytest.skip(missing_binaries_reason() or "")
    made = PrivateServer.create()
    try:
        with psycopg.connect(made.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE warp")
        migrate(made.url("warp"))
        data = made.stopped_copy(tmp_path_factory.mktemp("cluster") / "data")
    finally:
        made.close()
    try:
        yield data
    finally:
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def server(migrated_cluster: Path) -> Iterator[PrivateServer]:
    """This module's own server, with database ``warp`` migrated; stopped and deleted at the end."""
    started = PrivateServer.copy_of(migrated_cluster)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def running(server: PrivateServer) -> Iterator[PrivateServer]:
    """The module's server, answering at the start of the test and again after it (however the test left it)."""
    yield server
    server.ensure_running()


def pool_threads(name: str) -> list[threading.Thread]:
    """The threads of the pools whose names start with ``name`` that are still alive."""
    return [t for t in threading.enumerate() if t.name.startswith(name) and t.is_alive()]
