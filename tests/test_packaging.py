"""The wheel users install: its packages, the bundled SQL migrations, the type markers and the console script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from warp_repo.migrations import bundled_migrations_dir, load_migrations

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True,
    )
    (built,) = out.glob("warp_models-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_ships_every_bundled_migration(wheel: zipfile.ZipFile) -> None:
    prefix = "warp_repo/_bundled_migrations/"
    shipped = sorted(n for n in wheel.namelist() if n.startswith(prefix) and n.endswith(".sql"))
    in_repo = sorted(p.relative_to(ROOT / "migrations").as_posix() for p in (ROOT / "migrations").rglob("*.sql"))
    assert len(in_repo) >= 7
    assert [n.removeprefix(prefix) for n in shipped] == in_repo


def test_wheel_is_typed_and_has_the_cli(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert {"warp_models/py.typed", "warp_repo/py.typed"} <= names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "warp-db = warp_repo.cli:main" in wheel.read(entry_points).decode()
    assert not any(n.startswith(("tests/", "benchmarks/", "tools/")) for n in names)
    assert not any(n.endswith(("codegen.py", "docgen.py", "async_to_sync.py")) for n in names), "no build tool ships"


def test_bundled_migrations_are_found_from_a_checkout() -> None:
    assert [m.version for m in load_migrations(bundled_migrations_dir())][:1] == ["20261122_001"]
