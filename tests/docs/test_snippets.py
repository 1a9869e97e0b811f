"""The guides' examples run: every ``python`` and ``console`` block, in page order, against a real database.

A ``text`` block right after a ``python`` block is that block's expected output; the lines after a ``$ warp-db``
command in a ``console`` block are the command's. Expected lines must appear in order; ``...`` matches anything.
A page holding ``<!-- snippets: empty database -->`` starts from an empty database, the others from a migrated
one. ``WARP_DATABASE_URL`` names it (as its owner), ``WARP_SERVICE_DATABASE_URL`` the same database as a login of
the application role ``warp_app``, and the current folder is a scratch folder holding a copy of ``migrations/``.

A ``python`` block right after ``<!-- snippets: pytest -->`` is test code: a page's such blocks form one test
module, run by pytest with the ``warp`` plugin, and every test in it must pass. A ``py`` block is only allowed
right after ``<!-- snippets: excerpt of PATH -->``, and its lines must appear, in order, in that file.
Every page's ``python`` blocks, taken in order as one module (and its test blocks as another), pass
``mypy --strict``.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from tests.conftest import APP_ROLE, Server
from warp_repo import cli, migrations

ROOT = Path(__file__).resolve().parents[2]
GUIDES = (
    "index.md",
    "quickstart.md",
    "getting-started.md",
    "migration-guide.md",
    "schema-conventions.md",
    "troubleshooting.md",
    "testing.md",
    "cookbook.md",
    "security.md",
)
EMPTY_DATABASE = "<!-- snippets: empty database -->"
PYTEST = "<!-- snippets: pytest -->"
_EXCERPT = re.compile(r"^<!-- snippets: excerpt of (?P<path>\S+) -->$")
DatabaseFactory = Callable[[], str]
_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
PLUGIN = "warp_repo.testing.pytest_plugin"


@dataclass(frozen=True)
class Block:
    lang: str
    code: str
    line: int
    expected: str | None = None
    marker: str | None = None
    """The ``<!-- snippets: ... -->`` comment right before the block (blank lines between allowed)."""

    @property
    def is_test(self) -> bool:
        return self.lang == "python" and self.marker == PYTEST

    @property
    def excerpt_of(self) -> str | None:
        match = _EXCERPT.match(self.marker or "")
        return match.group("path") if match else None


def parse_blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown page, with each python block's expected output attached."""
    blocks: list[Block] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i] != "```":
            body.append(lines[i])
            i += 1
        i += 1
        before = start - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        marker = lines[before].strip() if before >= 0 and lines[before].startswith("<!-- snippets:") else None
        block = Block(match.group("lang"), "\n".join(body) + "\n", start + 1, marker=marker)
        if block.lang == "text" and blocks and blocks[-1].lang == "python" and blocks[-1].expected is None:
            previous = blocks[-1]
            last_line = previous.line + previous.code.count("\n") + 1
            if all(not line.strip() for line in lines[last_line:start]):
                blocks[-1] = Block(previous.lang, previous.code, previous.line, block.code, previous.marker)
                continue
        blocks.append(block)
    return blocks


def _pattern(expected_line: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in expected_line.rstrip().split("...")))


def assert_output(expected: str, actual: str, where: str) -> None:
    """Each non-empty expected line matches a later actual line, in order."""
    actual_lines = [line.rstrip() for line in actual.splitlines()]
    position = 0
    for wanted in (line for line in expected.splitlines() if line.strip()):
        pattern = _pattern(wanted)
        while position < len(actual_lines) and not pattern.fullmatch(actual_lines[position]):
            position += 1
        assert position < len(actual_lines), f"{where}: expected {wanted!r} in the output:\n{actual}"
        position += 1


def run_console(block: Block, where: str) -> None:
    commands: list[tuple[str, list[str]]] = []
    for line in block.code.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
    assert commands, f"{where}: a console block without a '$ ' command"
    for command, expected in commands:
        argv = shlex.split(command)
        assert argv[0] == "warp-db", f"{where}: only warp-db commands run here, not {command!r}"
        out = io.StringIO()  # results and errors, as a terminal shows them
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            cli.main(argv[1:])
        assert_output("\n".join(expected), out.getvalue(), f"{where} ({command})")


def run_page(page: str, text: str) -> int:
    namespace: dict[str, object] = {"__name__": f"docs_{page.replace('-', '_').removesuffix('.md')}"}
    ran = 0
    for block in parse_blocks(text):
        where = f"docs/{page}:{block.line}"
        if block.is_test:
            continue
        if block.lang == "python":
            out = io.StringIO()  # what a terminal shows: standard output and standard error
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                exec(compile(block.code, where, "exec", dont_inherit=True), namespace)
            if block.expected is not None:
                assert_output(block.expected, out.getvalue(), where)
            ran += 1
        elif block.lang == "console":
            run_console(block, where)
            ran += 1
    return ran


@pytest.mark.parametrize("page", GUIDES)
def test_guide_examples_run(
    page: str, create_database: DatabaseFactory, pg_server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = ROOT / "docs" / page
    if not path.exists():
        pytest.fail(f"docs/{page} is missing")
    text = path.read_text(encoding="utf-8")
    if not any(b.lang in ("python", "console") for b in parse_blocks(text)):
        pytest.skip(f"docs/{page} has no runnable example")
    url = create_database()
    if EMPTY_DATABASE not in text:
        migrations.migrate(url)
    for name in ("DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_SSL_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WARP_DATABASE_URL", url)
    monkeypatch.setenv("WARP_SERVICE_DATABASE_URL", pg_server.login(APP_ROLE).url(url))
    shutil.copytree(ROOT / "migrations", tmp_path / "migrations")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # what the examples write is cleaned up with it
    assert run_page(page, text) > 0


def test_expected_output_is_attached_to_its_block() -> None:
    blocks = parse_blocks("```python\nprint(1)\n```\n\n```text\n1\n```\n\n```text\nalone\n```\n")
    assert [(b.lang, b.expected) for b in blocks] == [("python", "1\n"), ("text", None)]


def test_a_wrong_expected_output_fails() -> None:
    with pytest.raises(AssertionError, match="expected 'two'"):
        run_page("x.md", "```python\nprint('one')\n```\n\n```text\ntwo\n```\n")
    assert_output("a ... c\nd", "a b c\nd\n", "ok")


def page_text(page: str) -> str:
    return (ROOT / "docs" / page).read_text(encoding="utf-8")


def test_every_illustration_is_an_excerpt_of_the_code() -> None:
    """``py`` blocks are not run, so each must quote the code it shows, line for line, in order."""
    unchecked = []
    for page in (*GUIDES, "pypi.md"):  # the package index's description too
        for block in parse_blocks(page_text(page)):
            if block.lang != "py":
                continue
            source = block.excerpt_of
            if source is None:
                unchecked.append(f"docs/{page}:{block.line}")
                continue
            assert_output(block.code, (ROOT / source).read_text(encoding="utf-8"), f"docs/{page}:{block.line}")
    assert unchecked == [], f"make these python blocks (run) or mark them as excerpts: {unchecked}"


@pytest.mark.parametrize("page", [p for p in GUIDES if any(b.is_test for b in parse_blocks(page_text(p)))])
def test_guide_tests_pass_with_the_plugin(page: str, pg_server_url: str, tmp_path: Path) -> None:
    tests = [b for b in parse_blocks(page_text(page)) if b.is_test]
    module = tmp_path / f"test_docs_{page.removesuffix('.md').replace('-', '_')}.py"
    module.write_text("\n\n".join(b.code for b in tests), encoding="utf-8")
    installed = any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "--rootdir", str(tmp_path)]
    argv += ["--warp-database-url", pg_server_url, *([] if installed else ["-p", PLUGIN]), str(module)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=240, check=False)
    defined = sum(len(re.findall(r"^(?:async )?def test_", b.code, re.MULTILINE)) for b in tests)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{defined} passed" in done.stdout, done.stdout


def test_guide_examples_pass_mypy_strict(tmp_path: Path) -> None:
    """Each page's examples, as one module in page order, and its tests, as another, type-check strictly."""
    files: list[Path] = []
    for page in GUIDES:
        blocks = parse_blocks(page_text(page))
        stem = page.removesuffix(".md").replace("-", "_")
        for name, chosen in ((f"docs_{stem}.py", False), (f"test_docs_{stem}.py", True)):
            code = [b.code for b in blocks if b.lang == "python" and b.is_test == chosen]
            if code:
                files.append(tmp_path / name)
                files[-1].write_text("\n\n".join(code), encoding="utf-8")
    assert len(files) >= len(GUIDES) - 1
    config = tmp_path / "mypy.ini"
    config.write_text(
        f"[mypy]\nstrict = True\npython_version = 3.11\nmypy_path = {ROOT / 'stubs'}\nplugins = pydantic.mypy\n"
        f"cache_dir = {tmp_path / '.mypy_cache'}\n",
        encoding="utf-8",
    )
    argv = [sys.executable, "-m", "mypy", "--config-file", str(config), *map(str, files)]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
