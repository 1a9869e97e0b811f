"""The layers run one way: the declarations (``warp_models``) import no I/O layer."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCKED = textwrap.dedent(
    """
    import importlib.abc
    import sys

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"psycopg", "psycopg_pool", "psycopg_binary", "warp_repo", "redis", "faker"}:
                raise ImportError(f"warp_models imported {name}")
            return None

    sys.meta_path.insert(0, Refuse())
    import warp_models
    from warp_models import SipTrunkCreate, metadata

    made = SipTrunkCreate(org_id="8b0f7a54-7f7d-4c55-9a6e-5b0c1f8f0d11", name="t", username="u")
    assert made.to_db()["name"] == "t"
    assert "sip_trunks" in metadata.tables
    loaded = sorted(n for n in sys.modules if n.split(".")[0] in {"psycopg", "warp_repo", "redis", "faker"})
    assert loaded == [], loaded
    print("ok", len(warp_models.__all__))
    """
)


def test_warp_models_imports_neither_psycopg_nor_warp_repo() -> None:
    done = subprocess.run([sys.executable, "-c", BLOCKED], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")


def test_the_check_above_can_fail() -> None:
    """The same script with an import of the I/O layer is refused, so a passing run means something."""
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED.replace("import warp_models\n", "import warp_models\nimport warp_repo\n")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0 and "warp_models imported warp_repo" in done.stderr
