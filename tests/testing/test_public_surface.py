"""The pytest plugin's fixtures and options, and the factories without pytest (``__all__``: test_public_api)."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
