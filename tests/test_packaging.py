"""The wheel users install: its packages, the bundled SQL migrations, the type markers and the console script."""

from __future__ import annotations

import email.message
import email.parser
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import warp_models
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


def _metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return email.parser.Parser().parsestr(wheel.read(name).decode())


def test_metadata_fit_for_a_package_index(wheel: zipfile.ZipFile) -> None:
    meta = _metadata(wheel)
    assert meta["Version"] == warp_models.__version__, "one version: warp_models.__version__"
    classifiers = set(meta.get_all("Classifier") or [])
    assert {"Typing :: Typed", "Framework :: Pytest", "Programming Language :: Python :: 3.11"} <= classifiers
    assert meta["License-Expression"] == "MIT"
    assert "LICENSE" in (meta.get_all("License-File") or [])
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel.namelist())
    assert meta.get_all("Project-URL") is None, "no address is published before the repository answers at it"
    assert meta["Home-page"] is None


def test_psycopg_implementation_is_the_applications_choice(wheel: zipfile.ZipFile) -> None:
    requires = _metadata(wheel).get_all("Requires-Dist") or []
    base = [r for r in requires if "extra ==" not in r]
    assert any(r.startswith("psycopg<") or r.startswith("psycopg>") for r in base), base
    assert not any("binary" in r or "psycopg[" in r or r.startswith("faker") for r in base), base
    assert any(r.startswith("psycopg[binary]") and "extra == 'binary'" in r for r in requires), requires
    assert any(r.startswith("psycopg[c]") and "extra == 'c'" in r for r in requires), requires


def test_the_long_description_reads_on_a_package_index(wheel: zipfile.ZipFile) -> None:
    text = _metadata(wheel).get_payload()
    assert isinstance(text, str) and "warp-models" in text
    links = re.findall(r"\]\(([^)]+)\)|(https?://\S+)", text)
    assert links == [], f"relative links break on an index, and no address is published yet: {links}"
    assert "clone" not in text.lower(), "users install from the index, not from a clone"
    assert "pip install" in text


def test_the_pages_the_description_names_ship_in_the_source_distribution(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "pypi.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(docs/[\w/.-]+\.md)`", text))
    assert {"docs/quickstart.md", "docs/testing.md", "docs/reference/cli.md"} <= named, named
    argv = [sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(tmp_path)]
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, timeout=120)
    (built,) = tmp_path.glob("warp_models-*.tar.gz")
    with tarfile.open(built) as sdist:
        shipped = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert named <= shipped, sorted(named - shipped)
