"""Generate the sync repositories from the async source, token by token.

``warp_repo/_repo_async.py`` is the only hand-written copy; ``warp_repo/_repo_sync.py`` is derived from it:

* ``async def`` / ``async with`` / ``async for`` lose ``async``; ``await`` is dropped;
* names lose their ``Async`` prefix (``AsyncConnection`` -> ``Connection``, ``AsyncRepo`` -> ``Repo``) and their
  ``async_`` prefix (``async_transaction`` -> ``transaction``), plus the renames in ``RENAMES``;
* ``Awaitable[X]`` becomes ``X``;
* class names are renamed inside comments and docstrings too, so the prose names the sync classes.

Imports made unused by the rewrite are then removed, ``with`` blocks that became nested are merged, and the
result is formatted with ruff (the project's settings), so the output passes ``ruff check`` and
``ruff format --check`` as it is.

Usage::

    python tools/async_to_sync.py           # rewrite warp_repo/_repo_sync.py
    python tools/async_to_sync.py --check   # exit 1 if the file on disk is not what would be generated
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "warp_repo" / "_repo_async.py"
TARGET = ROOT / "warp_repo" / "_repo_sync.py"

HEADER = (
    "# Generated from warp_repo/_repo_async.py by tools/async_to_sync.py: do not edit.\n"
    "# Edit the async source and run `python tools/async_to_sync.py`.\n"
)

RENAMES = {
    "asyncio": "time",
    "asynccontextmanager": "contextmanager",
    "AbstractAsyncContextManager": "AbstractContextManager",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "aclose": "close",
    "anext": "next",
    "aiter": "iter",
}
"""Names whose sync twin is not simply the name without its ``Async``/``async_`` prefix."""

UNWRAP = {"Awaitable"}
"""Generic types that exist only because of ``await``: ``Awaitable[X]`` -> ``X``."""

_ASYNC_NAME = re.compile(r"\bAsync(?=[A-Z])|\basync_(?=[a-z])")
_ASYNC_CLASS = re.compile(r"\bAsync(?=[A-Z])")
_WORD = re.compile(r"\b(" + "|".join(re.escape(k) for k in RENAMES) + r")\b")

Edit = tuple[int, int, str]
"""(start offset, end offset, replacement) in the source text."""


def rename(name: str) -> str:
    """The sync twin of an identifier."""
    if name in RENAMES:
        return RENAMES[name]
    return _ASYNC_NAME.sub("", name)


def rename_text(text: str) -> str:
    """The renames applied to prose (comments, docstrings): class names only, file names stay as written."""
    return _WORD.sub(lambda m: RENAMES[m.group(1)], _ASYNC_CLASS.sub("", text))


def _offsets(source: str) -> list[int]:
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def edits(source: str) -> list[Edit]:
    """The replacements that turn the async source into the sync one."""
    starts = _offsets(source)
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))

    def at(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    out: list[Edit] = []
    for i, tok in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else tok
        drops_async = tok.string == "async" and following.string in ("def", "with", "for")
        if tok.type == tokenize.NAME and (drops_async or tok.string == "await"):
            out.append((at(tok.start), at(following.start), ""))
        elif tok.type == tokenize.NAME and tok.string in UNWRAP and following.string == "[":
            close = _matching_bracket(tokens, i + 1)
            out.append((at(tok.start), at(following.end), ""))
            out.append((at(tokens[close].start), at(tokens[close].end), ""))
        elif tok.type == tokenize.NAME:
            new = rename(tok.string)
            if new != tok.string:
                out.append((at(tok.start), at(tok.end), new))
        elif tok.type in (tokenize.COMMENT, tokenize.STRING):
            new = rename_text(tok.string)
            if new != tok.string:
                out.append((at(tok.start), at(tok.end), new))
    return out


def _matching_bracket(tokens: list[tokenize.TokenInfo], open_index: int) -> int:
    depth = 0
    for j in range(open_index, len(tokens)):
        if tokens[j].type == tokenize.OP and tokens[j].string in "([{":
            depth += 1
        elif tokens[j].type == tokenize.OP and tokens[j].string in ")]}":
            depth -= 1
            if depth == 0:
                return j
    raise SyntaxError(f"unbalanced bracket after line {tokens[open_index].start[0]}")


def rewrite(source: str) -> str:
    """The sync source, before import clean-up and formatting."""
    text = source
    for start, end, new in sorted(edits(source), reverse=True):
        text = text[:start] + new + text[end:]
    return HEADER + text


def _ruff(args: list[str], text: str) -> str:
    ruff = shutil.which("ruff")
    if ruff is None:
        raise SystemExit("error: ruff is needed to format the generated code (pip install -e '.[dev]')")
    done = subprocess.run(  # noqa: S603 - a fixed command line on our own generated source
        [ruff, *args, "--stdin-filename", str(TARGET), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode not in (0, 1) or not done.stdout:
        raise SystemExit(f"error: ruff {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def generate(source: str) -> str:
    """The complete sync module for an async source."""
    text = rewrite(source)
    text = _ruff(["check", "--fix-only", "--exit-zero", "--select", "F401,I001,SIM117"], text)
    return _ruff(["format"], text)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) the generated sync module."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the generated file is not up to date")
    args = parser.parse_args(argv)
    wanted = generate(SOURCE.read_text(encoding="utf-8"))
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if args.check:
        if current != wanted:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python tools/async_to_sync.py", file=sys.stderr)
            return 1
        print(f"{TARGET.relative_to(ROOT)} is up to date")
        return 0
    if current != wanted:
        TARGET.write_text(wanted, encoding="utf-8")
        print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
