"""One generator, one rule: every ``x_async.py`` of ``ALL_INPUTS`` generates ``x_sync.py`` beside it."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ("organizations", "trunks", "numbers", "routing", "cdrs", "billing", "messaging")


def load_generator() -> ModuleType:
    """The generator module (``tools/`` is on the tests' ``pythonpath``)."""
    return importlib.import_module("async_to_sync")


def test_every_generated_module_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "async_to_sync.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for domain in DOMAINS:
        assert f"warp_repo/{domain}/_sync.py is up to date" in done.stdout
    assert "warp_repo/cache/_sessions_sync.py is up to date" in done.stdout


def test_every_async_module_is_an_input_and_its_twin_sits_beside_it() -> None:
    generator = load_generator()
    found = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "warp_repo").rglob("*_async.py"))
    assert sorted(generator.ALL_INPUTS) == found, "a new async module must be listed in ALL_INPUTS"
    for source, target in generator.pairs():
        assert Path(target).parent == Path(source).parent
        assert Path(target).name == Path(source).name.replace("_async.py", "_sync.py")
    with pytest.raises(SystemExit, match="_async.py"):
        generator.twin("warp_repo/trunks/service.py")


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_sync_domain_has_the_methods_of_its_async_source(domain: str) -> None:
    source = importlib.import_module(f"warp_repo.{domain}._async")
    generated = importlib.import_module(f"warp_repo.{domain}._sync")
    assert sorted(generated.__all__) == sorted(name.removeprefix("Async") for name in source.__all__)
    for name in source.__all__:
        if not name.startswith("Async"):
            assert getattr(generated, name) is getattr(source, name), "result types are shared, not copied"
            continue
        aio, sync = getattr(source, name), getattr(generated, name.removeprefix("Async"))
        methods = {m for m in dir(aio) if not m.startswith("__")}
        assert methods == {m for m in dir(sync) if not m.startswith("__")}
        for method in methods:
            if inspect.iscoroutinefunction(getattr(aio, method)):
                assert not inspect.iscoroutinefunction(getattr(sync, method)), (name, method)
                assert inspect.signature(getattr(aio, method)).parameters.keys() == (
                    inspect.signature(getattr(sync, method)).parameters.keys()
                )


def test_the_rewrite_of_code_module_names_prose_and_all() -> None:
    generator = load_generator()
    source = (
        '"""Example::\n\n'
        "    async with db.connection() as conn:\n"
        '        await AsyncTrunks(conn).acquire_channel(t)\n"""\n'
        "from warp_repo._core.service_async import AsyncService\n"
        "from warp_repo.cdrs._async import AsyncCallRecords\n"
        "from redis.asyncio import Redis as AsyncRedis\n"
        "import warp_repo._core.repository_async as repo\n"
        "from warp_repo.asyncish import x\n"
        '__all__ = ["AsyncZeta", "Alpha", "async_connect"]\n'
        "written = 'as async code'\n"
        "async def run(conn: AsyncConnection[Any], fn: Callable[[], Awaitable[T]]) -> T:\n"
        "    async with conn.transaction():\n"
        "        async for row in conn.rows():  # AsyncConnection rows\n"
        "            await asyncio.sleep(0)\n"
        "        return await async_transaction(AsyncRepo(conn))\n"
    )
    body = generator.rewrite(source).split("\n", 2)[2]
    assert "    with db.connection() as conn:\n        Trunks(conn).acquire_channel(t)\n" in body
    assert "from warp_repo._core.service_sync import Service\n" in body
    assert "from warp_repo.cdrs._sync import CallRecords\n" in body
    assert "from redis import Redis\n" in body
    assert "import warp_repo._core.repository_sync as repo\n" in body
    assert "from warp_repo.asyncish import x\n" in body, "only whole parts named *_async move"
    assert "'as async code'" in body, "prose keeps the word async"
    assert body.endswith(
        "def run(conn: Connection[Any], fn: Callable[[], T]) -> T:\n"
        "    with conn.transaction():\n"
        "        for row in conn.rows():  # Connection rows\n"
        "            time.sleep(0)\n"
        "        return transaction(Repo(conn))\n"
    )
    generated = generator.generate(source, "example_async.py", "warp_repo/example_sync.py")
    assert '__all__ = ["Alpha", "Zeta", "connect"]' in generated, "__all__ is renamed and sorted again"


def test_check_never_writes_and_a_hand_written_target_is_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = load_generator()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "thing_async.py").write_text("async def f() -> None:\n    await g()\n")
    stale = tmp_path / "pkg" / "thing_sync.py"
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    monkeypatch.setattr(generator, "ALL_INPUTS", ("pkg/thing_async.py",))
    stale.write_text("# Generated from pkg/thing_async.py by tools/async_to_sync.py: do not edit.\n# stale\n")
    assert generator.main(["--check"]) == 1
    assert "# stale" in stale.read_text(), "--check never writes"
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
    stale.write_text("# written by hand\n")
    assert generator.main([]) == 1
    assert stale.read_text() == "# written by hand\n"
