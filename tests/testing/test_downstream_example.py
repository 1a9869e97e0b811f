"""Another team's service tests itself with the plugin of the installed wheel: no checkout, no conftest of ours."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "downstream_service"
PLUGIN = "warp_repo.testing.pytest_plugin"


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_the_example_service_passes_its_tests_against_the_installed_wheel(tmp_path: Path, pg_server_url: str) -> None:
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", wheels, ROOT)
    (wheel,) = wheels.glob("warp_models-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (listing,) = [name for name in archive.namelist() if name.endswith(".dist-info/entry_points.txt")]
        registered = PLUGIN in archive.read(listing).decode()
        assert "warp_repo/testing/pytest_plugin.py" in archive.namelist()

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # No index to install from here: the dependencies are this environment's, added as plain path entries (so its
    # own .pth files, among them the editable install of this checkout, are not read).
    here = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_warp_dependencies.pth").write_text("".join(f"{path}\n" for path in here), encoding="utf-8")
    example = tmp_path / "downstream_service"
    shutil.copytree(EXAMPLE, example)
    pip = ("-m", "pip", "install", "-q", "--no-deps", "--no-index", "--no-build-isolation")
    run(python, *pip, wheel, example)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH", "COV_"))}
    show = "import warp_models, downstream_service as d; print(warp_models.__file__, d.__file__)"
    located = run(python, "-c", show, cwd=tmp_path, env=env)  # not from this checkout, where ./warp_models is
    assert all(Path(path).is_relative_to(venv) for path in located.split()), located

    env["WARP_TEST_DATABASE_URL"] = pg_server_url
    # Until the wheel registers the pytest11 entry point, the plugin is named on the command line.
    plugin = [] if registered else ["-p", PLUGIN]
    out = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin, cwd=example, env=env)
    tests = (example / "tests" / "test_dashboard.py").read_text(encoding="utf-8").count("\ndef test_")
    assert tests >= 7 and f"{tests} passed" in out, out
    # mypy --strict (the example's pyproject) against the installed wheel's types, the plugin's fixture types too.
    checked = run(python, "-m", "mypy", "--cache-dir", tmp_path / "mypy", cwd=example, env=env)
    assert "Success: no issues found" in checked, checked
