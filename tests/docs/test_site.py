"""The documentation site builds with ``mkdocs build --strict``: no broken link, anchor or navigation entry."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from warp_models import TABLES

ROOT = Path(__file__).resolve().parents[2]

needs_mkdocs = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs-material is not installed (pip install -e '.[docs]')",
)


def _build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=240,
        check=False,
    )


def _copy_of_the_site(tmp_path: Path) -> Path:
    """mkdocs.yml and docs/ in a scratch folder, so a test may break them."""
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = text.replace("  - tools/docgen.py", f"  - {ROOT / 'tools' / 'docgen.py'}")
    config = tmp_path / "mkdocs.yml"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from the checkout, once for this module."""
    out = tmp_path_factory.mktemp("site")
    result = _build(ROOT / "mkdocs.yml", out)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@needs_mkdocs
def test_site_builds_strict(site: Path) -> None:
    assert (site / "reference" / "trunks" / "index.html").is_file()
    assert (site / "diagrams" / "schema.svg").is_file()
    page = (site / "reference" / "trunks" / "index.html").read_text(encoding="utf-8")
    assert 'class="mermaid"' not in page and "erDiagram" not in page, "no diagram waits for a script"
    assert '<div class="warp-diagram">' in page and 'src="../../diagrams/trunks.svg"' in page
    assert (site / "reference" / "cli" / "index.html").is_file()


@needs_mkdocs
def test_optional_pages_join_the_navigation(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    for relative in ("schema-notes.md", "security.md", "performance.md", "reference/repositories.md"):
        if (ROOT / "docs" / relative).exists():
            assert f'href="{relative.removesuffix(".md")}/"' in home, relative


@needs_mkdocs
def test_a_broken_anchor_fails_the_build(tmp_path: Path) -> None:
    config = _copy_of_the_site(tmp_path)
    page = tmp_path / "docs" / "getting-started.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nSee [nowhere](reference/index.md#no-such-table).\n")
    result = _build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-table" in result.stdout + result.stderr


def test_home_page_names_every_table() -> None:
    home = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    missing = [name for name in TABLES if f"`{name}`" not in home]
    assert missing == [], f"docs/index.md does not mention {missing}"
