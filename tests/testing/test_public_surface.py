"""The public surface of ``warp_repo.testing`` and of its pytest plugin."""

from __future__ import annotations

import subprocess
import sys

import pytest

import warp_repo.testing
from warp_repo.testing import pytest_plugin

FIXTURES = (
    "warp_as_org",
    "warp_database",
    "warp_db",
    "warp_factory",
    "warp_rate_deck",
    "warp_redis",
    "warp_redis_url",
    "warp_tenant",
)


def isort_order(name: str) -> tuple[int, str]:
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted_public_and_importable() -> None:
    names: list[str] = warp_repo.testing.__all__
    assert names == sorted(names, key=isort_order)
    assert not [n for n in names if n.startswith("_")]
    assert all(getattr(warp_repo.testing, n) is not None for n in names)


def test_the_factories_work_where_pytest_is_not_installed() -> None:
    script = (
        "import sys; sys.modules['pytest'] = None\n"  # any `import pytest` now fails
        "from warp_repo.testing import Factories\n"
        "print(Factories(seed=1).cdr.build().call_id)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "@" in done.stdout


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_is_documented_in_the_plugin(name: str) -> None:
    assert callable(getattr(pytest_plugin, name))
    assert f"``{name}``" in (pytest_plugin.__doc__ or "")


def test_every_option_names_its_environment_variable() -> None:
    doc = pytest_plugin.__doc__ or ""
    for flag, env, _ in pytest_plugin._OPTIONS:
        assert f"``{flag}`` / ``{env}``" in doc
