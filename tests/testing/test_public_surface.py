"""The pytest plugin's fixtures and options, and the factories without pytest (``__all__``: test_public_api)."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

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


HELP_METAVARS = {
    "--warp-database-url": "URL",
    "--warp-app-role": "ROLE",
    "--warp-login-role": "ROLE",
    "--warp-seed": "SEED",
    "--warp-redis-url": "URL",
}
"""What ``pytest --help`` shows after each option: what the value is, not the name of its variable."""


def test_every_option_shows_what_its_value_is(tmp_path: Path) -> None:
    assert sorted(HELP_METAVARS) == sorted(flag for flag, _, _ in pytest_plugin._OPTIONS)
    installed = any(ep.value == pytest_plugin.__name__ for ep in entry_points(group="pytest11"))
    argv = [sys.executable, "-m", "pytest", "--help", "-p", "no:cacheprovider"]
    argv += [] if installed else ["-p", pytest_plugin.__name__]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    shown = dict(re.findall(r"^\s+(--warp-[\w-]+)=(\S+)", done.stdout, re.MULTILINE))
    assert shown == HELP_METAVARS
