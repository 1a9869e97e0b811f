"""The sync domain services are generated from their async source: every pair, module names, prose, safety."""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import warp_repo._aio.billing
import warp_repo._aio.cdrs
import warp_repo._aio.messaging
import warp_repo._aio.numbers
import warp_repo._aio.organizations
import warp_repo._aio.routing
import warp_repo._aio.trunks
import warp_repo.billing
import warp_repo.cdrs
import warp_repo.messaging
import warp_repo.numbers
import warp_repo.organizations
import warp_repo.routing
import warp_repo.trunks

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ("organizations", "trunks", "numbers", "routing", "cdrs", "billing", "messaging")
PAIRS = [
    (warp_repo._aio.organizations, warp_repo.organizations),
    (warp_repo._aio.trunks, warp_repo.trunks),
    (warp_repo._aio.numbers, warp_repo.numbers),
    (warp_repo._aio.routing, warp_repo.routing),
    (warp_repo._aio.cdrs, warp_repo.cdrs),
    (warp_repo._aio.billing, warp_repo.billing),
    (warp_repo._aio.messaging, warp_repo.messaging),
]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("async_to_sync", ROOT / "tools" / "async_to_sync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_generated_module_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "async_to_sync.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for domain in DOMAINS:
        assert f"warp_repo/{domain}.py is up to date" in done.stdout
    assert "warp_repo/_repo_sync.py is up to date" in done.stdout


def test_the_pairs_are_the_explicit_ones_then_every_module_of_the_async_folder() -> None:
    generator = load_generator()
    pairs = generator.pairs()
    assert pairs[0] == ("warp_repo/_repo_async.py", "warp_repo/_repo_sync.py")
    assert {f"warp_repo/_aio/{d}.py": f"warp_repo/{d}.py" for d in DOMAINS}.items() <= dict(pairs).items()
    assert ("warp_repo/_aio/_service.py", "warp_repo/_service.py") in pairs
    assert not [s for s, _ in pairs if s.endswith("__init__.py")]


@pytest.mark.parametrize(("source", "generated"), PAIRS, ids=DOMAINS)
def test_each_sync_service_has_the_methods_of_its_async_source(source: ModuleType, generated: ModuleType) -> None:
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


def test_module_names_code_examples_and_all_follow_the_rewrite() -> None:
    generator = load_generator()
    source = (
        '"""Example::\n\n'
        "    async with db.connection() as conn:\n"
        '        await AsyncTrunks(conn).acquire_channel(t)\n"""\n'
        "from warp_repo._aio._service import AsyncService\n"
        "from warp_repo._aio import cdrs\n"
        "import warp_repo._repo_async as repo\n"
        "from warp_repo._aio2 import x\n"
        '__all__ = ["AsyncZeta", "Alpha"]\n'
        "written = 'as async code'\n"
    )
    body = generator.rewrite(source).split("\n", 2)[2]
    assert "    with db.connection() as conn:\n        Trunks(conn).acquire_channel(t)\n" in body
    assert "from warp_repo._service import Service\n" in body
    assert "from warp_repo import cdrs\n" in body
    assert "import warp_repo._repo_sync as repo\n" in body
    assert "from warp_repo._aio2 import x\n" in body, "only whole module names move"
    assert "'as async code'" in body, "prose keeps the word async"
    generated = generator.generate(source, "example.py", "warp_repo/example.py")
    assert '__all__ = ["Alpha", "Zeta"]' in generated, "__all__ is sorted again after the renames"


def test_a_hand_written_module_is_never_overwritten_and_orphans_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    generator = load_generator()
    (tmp_path / "pkg" / "_aio").mkdir(parents=True)
    (tmp_path / "pkg" / "_aio" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "_aio" / "things.py").write_text("async def f() -> None:\n    await g()\n")
    (tmp_path / "pkg" / "_aio" / "cli.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "cli.py").write_text("# hand-written\n")
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    monkeypatch.setattr(generator, "PAIRS", ())
    monkeypatch.setattr(generator, "PACKAGES", (("pkg/_aio", "pkg"),))
    assert generator.main([]) == 1
    assert (tmp_path / "pkg" / "cli.py").read_text() == "# hand-written\n"
    assert "pkg/cli.py exists and was not generated" in capsys.readouterr().err
    assert "def f() -> None:\n    g()\n" in (tmp_path / "pkg" / "things.py").read_text()
    assert not (tmp_path / "pkg" / "__init__.py").exists()
    (tmp_path / "pkg" / "_aio" / "cli.py").unlink()
    assert generator.main(["--check"]) == 0
    (tmp_path / "pkg" / "_aio" / "things.py").unlink()
    assert generator.main(["--check"]) == 1
    assert "pkg/things.py was generated from a module that no longer exists" in capsys.readouterr().err
    (tmp_path / "pkg" / "_aio" / "things.py").write_text("async def f() -> None:\n    await h()\n")
    assert generator.main(["--check"]) == 1, "stale"
    assert generator.main([]) == 0 and generator.main(["--check"]) == 0
