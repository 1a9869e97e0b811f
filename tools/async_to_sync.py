"""Generate every sync module of the SDK from its async source, token by token: one tool, one rule.

The async modules are the only hand-written copies. ``ALL_INPUTS`` lists them; each ``x_async.py`` (or
``_async.py``) generates ``x_sync.py`` (``_sync.py``) beside it, in the same folder. A domain package holds its
async source and its twin side by side (``warp_repo/trunks/_async.py`` -> ``warp_repo/trunks/_sync.py``), and so do
the shared machinery (``warp_repo/_core/repository_async.py``) and the cache stores (``warp_repo/cache/``).

The rewrite:

* ``async def`` / ``async with`` / ``async for`` lose ``async``; ``await`` is dropped;
* names lose their ``Async`` prefix (``AsyncConnection`` -> ``Connection``, ``AsyncTrunkRepo`` -> ``TrunkRepo``)
  and their ``async_`` prefix (``async_transaction`` -> ``transaction``), plus the renames in ``RENAMES``;
* dotted module names move to their twin: a part ending in ``_async`` ends in ``_sync``
  (``warp_repo.trunks._async`` -> ``warp_repo.trunks._sync``), and ``redis.asyncio`` becomes ``redis``;
* ``Awaitable[X]`` becomes ``X``;
* comments and docstrings follow: class names are renamed, and their code examples lose ``await`` and the
  ``async`` of ``async with`` / ``async for`` / ``async def``, so the prose shows sync code.

Imports made unused by the rewrite are then removed, ``with`` blocks that became nested are merged, ``__all__``
is sorted again (renamed names may sort elsewhere), and the result is formatted with ruff (the project's
settings), so the output passes ``ruff check`` and ``ruff format --check`` as it is.

A target that exists but does not carry the generated header is never overwritten (a hand-written module would be
lost), and a generated module whose source is gone is reported, so neither goes unnoticed.

Usage::

    python tools/async_to_sync.py           # rewrite the generated modules that changed
    python tools/async_to_sync.py --check   # exit 1 if any generated module is not what would be generated
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
ALL_INPUTS = (
    "warp_repo/_core/repository_async.py",
    "warp_repo/_core/database_async.py",
    "warp_repo/_core/service_async.py",
    "warp_repo/organizations/_async.py",
    "warp_repo/trunks/_async.py",
    "warp_repo/numbers/_async.py",
    "warp_repo/routing/_async.py",
    "warp_repo/cdrs/_async.py",
    "warp_repo/billing/_async.py",
    "warp_repo/messaging/_async.py",
    "warp_repo/extensions/_async.py",
    "warp_repo/devices/_async.py",
    "warp_repo/voicemail/_async.py",
    "warp_repo/access/_async.py",
    "warp_repo/cache/_base_async.py",
    "warp_repo/cache/_sessions_async.py",
    "warp_repo/cache/_api_keys_async.py",
    "warp_repo/cache/_registrations_async.py",
    "warp_repo/cache/_routes_async.py",
    "warp_repo/cache/_limiter_async.py",
)
"""Every hand-written async module, relative to the repository root."""

HEADER = (
    "# Generated from {source} by tools/async_to_sync.py: do not edit.\n"
    "# Edit the async source and run `python tools/async_to_sync.py`.\n"
)
_HEADER_SOURCE = re.compile(r"^# Generated from (?P<source>\S+) by tools/async_to_sync\.py: do not edit\.$")

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

MODULES = {"redis.asyncio": "redis"}
"""Dotted module names whose twin is not given by the ``_async`` -> ``_sync`` rule; longer names move too."""

UNWRAP = {"Awaitable"}
"""Generic types that exist only because of ``await``: ``Awaitable[X]`` -> ``X``."""

_ASYNC_NAME = re.compile(r"\bAsync(?=[A-Z])|\basync_(?=[a-z])")
_IMPORT_AS_ITSELF = re.compile(r"(?<=[ (,\n])(\w+) as \1\b")
_QUOTED_NAME = re.compile(r"""^(["'])(\w+)\1$""")
_ASYNC_CLASS = re.compile(r"\bAsync(?=[A-Z])")
_PROSE_AWAIT = re.compile(r"\bawait |\basync (?=(?:with|for|def)\b)")
_WORD = re.compile(r"\b(" + "|".join(re.escape(k) for k in RENAMES) + r")\b")

Edit = tuple[int, int, str]
"""(start offset, end offset, replacement) in the source text."""


def rename(name: str) -> str:
    """The sync twin of an identifier."""
    if name in RENAMES:
        return RENAMES[name]
    name = _ASYNC_NAME.sub("", name)
    return f"{name.removesuffix('_async')}_sync" if name.endswith("_async") else name


def rename_text(text: str) -> str:
    """The renames applied to prose (comments, docstrings): class names and code examples; file names stay.

    A string that is one quoted identifier (a name in ``__all__``) is renamed as the identifier it names.
    """
    quoted = _QUOTED_NAME.match(text)
    if quoted:
        return f"{quoted.group(1)}{rename(quoted.group(2))}{quoted.group(1)}"
    return _WORD.sub(lambda m: RENAMES[m.group(1)], _ASYNC_CLASS.sub("", _PROSE_AWAIT.sub("", text)))


def _offsets(source: str) -> list[int]:
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _module_span(tokens: list[tokenize.TokenInfo], i: int) -> tuple[int, str] | None:
    """When a dotted name starting at ``tokens[i]`` begins with a name of ``MODULES``: its last token and twin."""
    if i > 0 and tokens[i - 1].string == ".":
        return None  # inside a dotted name, not at its start
    parts = [tokens[i].string]
    j = i
    while (
        j + 2 < len(tokens)
        and tokens[j + 1].type == tokenize.OP
        and tokens[j + 1].string == "."
        and tokens[j + 2].type == tokenize.NAME
    ):
        j += 2
        parts.append(tokens[j].string)
    for count in range(len(parts), 1, -1):
        dotted = ".".join(parts[:count])
        if dotted in MODULES:
            return i + 2 * (count - 1), MODULES[dotted]
    return None


def edits(source: str) -> list[Edit]:
    """The replacements that turn the async source into the sync one."""
    starts = _offsets(source)
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))

    def at(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    out: list[Edit] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else tok
        drops_async = tok.string == "async" and following.string in ("def", "with", "for")
        module = _module_span(tokens, i) if tok.type == tokenize.NAME else None
        if module is not None:
            last, twin = module
            out.append((at(tok.start), at(tokens[last].end), twin))
            i = last
        elif tok.type == tokenize.NAME and (drops_async or tok.string == "await"):
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
        i += 1
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


def rewrite(source: str, origin: str = "the async source") -> str:
    """The sync source, before import clean-up and formatting."""
    text = source
    for start, end, new in sorted(edits(source), reverse=True):
        text = text[:start] + new + text[end:]
    # ``from redis.asyncio import Redis as AsyncRedis`` became ``Redis as Redis``: import it by its name.
    text = _IMPORT_AS_ITSELF.sub(r"\1", text)
    return HEADER.format(source=origin) + text


def _ruff(args: list[str], text: str, target: str) -> str:
    # The ruff of this interpreter's environment first (a venv used without activating it), then the PATH's.
    beside = Path(sys.executable).parent / "ruff"
    ruff = str(beside) if beside.is_file() else shutil.which("ruff")
    if ruff is None:
        raise SystemExit("error: ruff is needed to format the generated code (pip install -e '.[dev]')")
    done = subprocess.run(  # noqa: S603 - a fixed command line on our own generated source
        [ruff, *args, "--stdin-filename", target, "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode not in (0, 1) or not done.stdout:
        raise SystemExit(f"error: ruff {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def generate(source: str, origin: str, target: str) -> str:
    """The complete sync module for an async source."""
    text = rewrite(source, origin)
    text = _ruff(["check", "--fix-only", "--exit-zero", "--select", "F401,I001,SIM117,RUF022"], text, target)
    return _ruff(["format"], text, target)


def twin(source: str) -> str:
    """The generated module of an async source: ``x_async.py`` -> ``x_sync.py`` in the same folder."""
    folder, _, name = source.rpartition("/")
    if not name.endswith("_async.py"):
        raise SystemExit(f"error: {source} is not named *_async.py; only such modules have a generated twin")
    return f"{folder}/{name.removesuffix('_async.py')}_sync.py"


def pairs() -> list[tuple[str, str]]:
    """Every (async source, generated module), in the order of ``ALL_INPUTS``."""
    return [(source, twin(source)) for source in ALL_INPUTS]


def generated_from(path: Path) -> str | None:
    """The source named in a module's generated header, or ``None`` when it was not generated by this tool."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as handle:
        found = _HEADER_SOURCE.match(handle.readline().rstrip("\n"))
    return found.group("source") if found else None


def orphans(known: list[tuple[str, str]]) -> list[str]:
    """Generated modules anywhere in the packages whose source is not an input any more."""
    targets = {target for _, target in known}
    out = []
    for package in ("warp_models", "warp_repo"):
        for path in sorted((ROOT / package).rglob("*_sync.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative not in targets and generated_from(path) is not None:
                out.append(relative)
    return out


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) the generated sync modules."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is not up to date")
    args = parser.parse_args(argv)
    stale = 0
    known = pairs()
    for source, target in known:
        path = ROOT / target
        if path.exists() and generated_from(path) is None:
            print(f"error: {target} exists and was not generated from {source}; rename one of them", file=sys.stderr)
            stale += 1
            continue
        wanted = generate((ROOT / source).read_text(encoding="utf-8"), source, target)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == wanted:
            if args.check:
                print(f"{target} is up to date")
        elif args.check:
            print(f"{target} is out of date: run python tools/async_to_sync.py", file=sys.stderr)
            stale += 1
        else:
            path.write_text(wanted, encoding="utf-8")
            print(f"wrote {target}")
    for target in orphans(known):
        print(f"{target} was generated from a module that is not in ALL_INPUTS: delete it", file=sys.stderr)
        stale += 1
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
