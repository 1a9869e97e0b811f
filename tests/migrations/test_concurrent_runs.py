"""Many processes migrating one database at once: each migration is applied exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from warp_models.errors import MigrationError
from warp_repo.migrations import AdvisoryLock, MigrationLock, migrate

from .testkit import scalar, write_migration

RUNNER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from warp_repo.migrations import migrate

    go = Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.005)
    report = migrate(sys.argv[1], migrations_dir=Path(sys.argv[2]))
    print(json.dumps(report.versions))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("lock", ["advisory", "lease"])
def test_ten_processes_apply_each_migration_exactly_once(empty_admin_url: str, tmp_path: Path, lock: str) -> None:
    migrations = tmp_path / "migrations"
    write_migration(migrations, "20261122_001", "ledger", "CREATE TABLE ledger (entry INT PRIMARY KEY, note TEXT);")
    write_migration(
        migrations,
        "20261122_002",
        "seed_ledger",
        "SELECT pg_sleep(0.2);\nINSERT INTO ledger SELECT n, 'seeded' FROM generate_series(1, 50) AS n;",
    )
    write_migration(migrations, "20261122_003", "more", "ALTER TABLE ledger ADD COLUMN extra INT DEFAULT 0;")
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RUNNER, empty_admin_url, str(migrations), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ | {"WARP_MIGRATION_LOCK": lock},
        )
        for _ in range(10)
    ]
    time.sleep(0.5)  # let every interpreter start and wait at the gate
    go.touch()
    results: list[list[str]] = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    applied = sorted(version for versions in results for version in versions)
    assert applied == ["20261122_001", "20261122_002", "20261122_003"]
    assert sum(1 for versions in results if versions) == 1  # the first one in applied all; the rest found nothing
    assert scalar(empty_admin_url, "SELECT count(*) FROM ledger") == 50
    assert scalar(empty_admin_url, "SELECT count(*) FROM schema_migrations WHERE success") == 3
    lease_table = scalar(empty_admin_url, "SELECT to_regclass('schema_migrations_lease') IS NOT NULL")
    assert lease_table is (lock == "lease")
    if lease_table:
        assert scalar(empty_admin_url, "SELECT count(*) FROM schema_migrations_lease") == 0  # every run released it


def test_the_advisory_lock_excludes_a_second_holder(empty_admin_url: str) -> None:
    with AdvisoryLock(empty_admin_url) as first:
        assert first.held
        second = AdvisoryLock(empty_admin_url, timeout=0.2)
        with pytest.raises(MigrationError, match="migration lock"):
            second.acquire()
        assert not second.held
    with AdvisoryLock(empty_admin_url, timeout=0.2) as third:
        assert third.held


def test_migrate_waits_for_the_lock_and_then_finds_nothing_to_do(empty_admin_url: str, tmp_path: Path) -> None:
    write_migration(tmp_path, "20261122_001", "one", "CREATE TABLE one (id INT);")
    outcome: list[list[str]] = []
    with AdvisoryLock(empty_admin_url):
        waiter = threading.Thread(
            target=lambda: outcome.append(migrate(empty_admin_url, migrations_dir=tmp_path).versions)
        )
        waiter.start()
        time.sleep(0.3)
        assert waiter.is_alive() and outcome == []
        migrate(empty_admin_url, migrations_dir=tmp_path, lock=_NoLock())
    waiter.join(timeout=10)
    assert outcome == [[]]


class _NoLock:
    """A lock that never waits: for a run inside a test that already holds the real one."""

    @property
    def held(self) -> bool:
        return True

    def acquire(self) -> None:
        pass

    def release(self) -> None:
        pass


def test_lock_implementations_satisfy_the_protocol(empty_admin_url: str) -> None:
    assert isinstance(AdvisoryLock(empty_admin_url), MigrationLock)
    assert isinstance(_NoLock(), MigrationLock)
