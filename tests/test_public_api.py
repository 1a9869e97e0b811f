"""The public surface, in one place: every public module's ``__all__`` is sorted, importable and public.

A module is public when no part of its dotted name starts with ``_``. Each one has an ``__all__`` that ruff's
order keeps sorted, names only what the module defines or re-exports on purpose, and leaves out nothing it defines
publicly itself.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import warp_models
import warp_repo

# Modules that are public by name but are an entry point rather than an API.
NOT_AN_API = {"warp_repo.testing.pytest_plugin", "warp_repo.cli"}


def public_modules() -> list[str]:
    found = []
    for package in (warp_models, warp_repo):
        found.append(package.__name__)
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not any(part.startswith("_") for part in module.name.split(".")) and module.name not in NOT_AN_API:
                found.append(module.name)
    return sorted(found)


PUBLIC = public_modules()


def isort_order(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions: the order ruff keeps ``__all__`` in."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return kind, name


def test_the_public_modules_are_the_documented_ones() -> None:
    domains: tuple[str, ...] = ("organizations", "trunks", "numbers", "routing", "cdrs", "billing", "messaging")
    domains = (*domains, "extensions", "devices", "voicemail", "access")
    expected = {"warp_models", "warp_models.errors", "warp_models.types", *(f"warp_models.{d}" for d in domains)}
    expected |= {"warp_repo", "warp_repo.errors", "warp_repo.repos", *(f"warp_repo.{d}" for d in domains)}
    expected |= {"warp_repo.audit", "warp_repo.cache", "warp_repo.migrations", "warp_repo.secrets"}
    expected |= {"warp_repo.security", "warp_repo.testing"}
    assert set(PUBLIC) == expected


@pytest.mark.parametrize("name", PUBLIC)
def test_all_is_sorted_public_importable_and_complete(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    names: list[str] = module.__all__
    assert names == sorted(names, key=isort_order)
    assert len(set(names)) == len(names)
    assert not [n for n in names if n.startswith("_")]
    for exported in names:
        assert getattr(module, exported) is not None, exported
    defined_here = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_") and getattr(value, "__module__", None) == name and isinstance(value, type)
    }
    assert defined_here <= set(names), f"public classes missing from __all__: {defined_here - set(names)}"


def test_every_table_has_its_three_shapes_and_two_repositories() -> None:
    for row in warp_models.TABLES.values():
        for suffix in ("", "Create", "Update"):
            assert f"{row.__name__}{suffix}" in warp_models.__all__
    assert len(warp_repo.REPOSITORIES) == len(warp_repo.ASYNC_REPOSITORIES) == 29
    assert warp_repo.TrunkRepo is warp_repo.trunks.TrunkRepo
    assert warp_repo.AsyncTrunks is warp_repo.trunks.AsyncTrunks
