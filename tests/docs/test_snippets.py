"""The guides' examples run: every ``python`` and ``console`` block, in page order, against a real database.

A ``text`` block right after a ``python`` block is that block's expected output; the lines after a ``$ warp-db``
command in a ``console`` block are the command's. Expected lines must appear in order; ``...`` matches anything.
A page holding ``<!-- snippets: empty database -->`` starts from an empty database, the others from a migrated
one. ``WARP_DATABASE_URL`` names it, and the current folder is a scratch folder holding a copy of ``migrations/``.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

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
)
EMPTY_DATABASE = "<!-- snippets: empty database -->"
DatabaseFactory = Callable[[], str]
_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")


@dataclass(frozen=True)
class Block:
    lang: str
    code: str
    line: int
    expected: str | None = None


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
        block = Block(match.group("lang"), "\n".join(body) + "\n", start + 1)
        if block.lang == "text" and blocks and blocks[-1].lang == "python" and blocks[-1].expected is None:
            previous = blocks[-1]
            last_line = previous.line + previous.code.count("\n") + 1
            if all(not line.strip() for line in lines[last_line:start]):
                blocks[-1] = Block(previous.lang, previous.code, previous.line, block.code)
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
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cli.main(argv[1:])
        assert_output("\n".join(expected), out.getvalue(), f"{where} ({command})")


def run_page(page: str, text: str) -> int:
    namespace: dict[str, object] = {"__name__": f"docs_{page.replace('-', '_').removesuffix('.md')}"}
    ran = 0
    for block in parse_blocks(text):
        where = f"docs/{page}:{block.line}"
        if block.lang == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
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
    page: str, create_database: DatabaseFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
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
