"""The base install needs no Faker: the SDK imports, ``warp-db`` runs, and the ``warp`` plugin loads without it.

Faker is blocked at interpreter start (a ``sitecustomize`` module on ``PYTHONPATH``), which is what a base install
without the ``testing`` extra looks like to the code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .test_plugin import plugin_args

BLOCK_FAKER = textwrap.dedent(
    """
    import importlib.abc
    import sys

    class _NoFaker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "faker":
                raise ModuleNotFoundError("No module named 'faker'", name="faker")
            return None

    sys.meta_path.insert(0, _NoFaker())
    """
)


@pytest.fixture
def without_faker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_FAKER)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    return site


def test_the_sdk_and_the_cli_work_without_faker(without_faker: Path, pg_server_url: str) -> None:
    script = textwrap.dedent(
        """
        import sys
        import warp_models, warp_repo, warp_repo.cache, warp_repo.migrations, warp_repo.testing
        from warp_repo.testing import TestDatabase
        assert "faker" not in sys.modules
        try:
            warp_repo.testing.Factories
        except ImportError as exc:
            print("refused:", exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "refused: warp_repo.testing.Factories needs Faker" in done.stdout
    assert "pip install 'warp-models[testing]'" in done.stdout
    cli = [sys.executable, "-m", "warp_repo.cli", "--database-url", pg_server_url, "demo"]
    demo = subprocess.run(cli, capture_output=True, text=True, check=False)
    assert demo.returncode != 0
    assert "warp-models[testing]" in demo.stdout + demo.stderr


def test_the_plugin_loads_without_faker_and_only_its_factory_fixtures_fail(
    pytester: pytest.Pytester, pg_server_url: str
) -> None:
    # Loaded with -p before the entry-point plugins (Faker's own is switched off: a base install has none).
    pytester.makepyfile(nofaker=BLOCK_FAKER)
    pytester.makepyfile(
        test_lean=(
            "def test_database_fixtures_work(warp_db):\n"
            "    assert warp_db.execute('SELECT 1').fetchone() == (1,)\n"
            "\n"
            "def test_factories_name_the_extra(warp_factory):\n"
            "    pass\n"
        )
    )
    result = pytester.runpytest_subprocess("-p", "nofaker", "-p", "no:faker", *plugin_args(pg_server_url))
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ImportError: warp_repo.testing.Factories needs Faker*pip install 'warp-models*"])
