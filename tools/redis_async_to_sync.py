"""Generate the sync cache stores from their async source, token by token.

Every ``warp_repo/cache/_*_async.py`` is the only hand-written copy of its logic; ``_*_sync.py`` beside it is
derived from it:

* ``async def`` / ``async with`` / ``async for`` lose ``async``; ``await`` is dropped;
* ``Awaitable[X]`` becomes ``X``;
* names lose their ``Async`` prefix (``AsyncRedis`` -> ``Redis``, ``AsyncScript`` -> ``Script``,
  ``AsyncSessionStore`` -> ``SessionStore``) or ``async_`` prefix (``async_connect`` -> ``connect``), and
  modules their ``_async`` suffix (``_base_async`` -> ``_base_sync``);
* ``redis.asyncio`` becomes ``redis`` (``redis.asyncio.retry`` -> ``redis.retry``);
* class names are renamed in comments and docstrings too, so the prose names the sync classes.

The result is cleaned (imports made unused or unsorted by the rewrite) and formatted with ruff, using the
project's settings, so it passes ``ruff check`` and ``ruff format --check`` as it is.

Usage::

    python tools/redis_async_to_sync.py           # rewrite the generated modules that changed
    python tools/redis_async_to_sync.py --check   # exit 1 if any generated module is not what it would be
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
PACKAGE = ROOT / "warp_repo" / "cache"

HEADER = (
    "# Generated from warp_repo/cache/{source} by tools/redis_async_to_sync.py: do not edit.\n"
    "# Edit the async source and run `python tools/redis_async_to_sync.py`.\n"
)

_NAME_RULES = (
    (re.compile(r"^Async(?=[A-Z])"), ""),
    (re.compile(r"^async_(?=[a-z])"), ""),
    (re.compile(r"_async$"), "_sync"),
)
_PROSE_CLASS = re.compile(r"\bAsync(?=[A-Z])")
_IMPORT_AS_ITSELF = re.compile(r"\bimport (\w+) as \1\b")
_QUOTED_NAME = re.compile(r"""^(["'])(\w+)\1$""")


def rename(name: str) -> str:
    """The sync twin of an identifier."""
    for pattern, replacement in _NAME_RULES:
        name = pattern.sub(replacement, name)
    return name


def _matching_bracket(tokens: list[tokenize.TokenInfo], open_index: int) -> int:
    depth = 0
    for index in range(open_index, len(tokens)):
        if tokens[index].type == tokenize.OP and tokens[index].string in "([{":
            depth += 1
        elif tokens[index].type == tokenize.OP and tokens[index].string in ")]}":
            depth -= 1
            if depth == 0:
                return index
    raise SyntaxError(f"unbalanced bracket after line {tokens[open_index].start[0]}")


def rewrite(source: str) -> str:
    """The sync source, before clean-up and formatting."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))

    def at(position: tuple[int, int]) -> int:
        return starts[position[0] - 1] + position[1]

    edits: list[tuple[int, int, str]] = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else token
        if token.type == tokenize.NAME and (
            token.string == "await" or (token.string == "async" and following.string in ("def", "with", "for"))
        ):
            edits.append((at(token.start), at(following.start), ""))
        elif token.type == tokenize.NAME and token.string == "Awaitable" and following.string == "[":
            close = _matching_bracket(tokens, index + 1)
            edits.append((at(token.start), at(following.end), ""))
            edits.append((at(tokens[close].start), at(tokens[close].end), ""))
        elif token.type == tokenize.NAME and token.string == "redis" and source.startswith(".asyncio", at(token.end)):
            edits.append((at(token.end), at(token.end) + len(".asyncio"), ""))
        elif token.type == tokenize.NAME and rename(token.string) != token.string:
            edits.append((at(token.start), at(token.end), rename(token.string)))
        elif token.type == tokenize.STRING and (quoted := _QUOTED_NAME.match(token.string)):
            # A name in a string ("__all__" entries): renamed as the identifier is.
            if rename(quoted[2]) != quoted[2]:
                edits.append((at(token.start), at(token.end), f"{quoted[1]}{rename(quoted[2])}{quoted[1]}"))
        elif token.type in (tokenize.COMMENT, tokenize.STRING) and _PROSE_CLASS.search(token.string):
            edits.append((at(token.start), at(token.end), _PROSE_CLASS.sub("", token.string)))
    text = source
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return _IMPORT_AS_ITSELF.sub(r"import \1", text)


def _ruff(args: list[str], text: str, target: Path) -> str:
    ruff = shutil.which("ruff")
    if ruff is None:
        raise SystemExit("error: ruff is needed to format the generated code (pip install -e '.[dev]')")
    done = subprocess.run(  # noqa: S603 - a fixed command line on our own generated source
        [ruff, *args, "--stdin-filename", str(target), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode not in (0, 1) or not done.stdout:
        raise SystemExit(f"error: ruff {' '.join(args)} failed on {target.name}:\n{done.stderr}")
    return done.stdout


def generate(source: Path) -> tuple[Path, str]:
    """The sync module generated from one async module: its path and its text."""
    target = source.with_name(source.name.removesuffix("_async.py") + "_sync.py")
    text = HEADER.format(source=source.name) + rewrite(source.read_text(encoding="utf-8"))
    text = _ruff(["check", "--fix-only", "--exit-zero", "--select", "F401,I001"], text, target)
    return target, _ruff(["format"], text, target)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) every generated sync module."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated module is not up to date")
    args = parser.parse_args(argv)
    stale = []
    for source in sorted(PACKAGE.glob("_*_async.py")):
        target, wanted = generate(source)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == wanted:
            continue
        stale.append(target.relative_to(ROOT))
        if not args.check:
            target.write_text(wanted, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    if args.check:
        for path in stale:
            print(f"{path} is out of date: run python tools/redis_async_to_sync.py", file=sys.stderr)
        if not stale:
            print("the generated cache modules are up to date")
        return 1 if stale else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
