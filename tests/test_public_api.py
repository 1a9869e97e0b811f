"""The public surface: a sorted ``__all__`` per package, everything in it importable, nothing private."""

from __future__ import annotations

from types import ModuleType

import pytest

import warp_models
import warp_repo
import warp_repo.errors
import warp_repo.migrations


def isort_order(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions: the order ruff keeps ``__all__`` in."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
    return kind, name


@pytest.mark.parametrize("package", [warp_models, warp_repo.migrations, warp_repo, warp_repo.errors])
def test_all_is_sorted_public_and_importable(package: ModuleType) -> None:
    names: list[str] = package.__all__
    assert names == sorted(names, key=isort_order)
    assert len(set(names)) == len(names)
    assert not [n for n in names if n.startswith("_")]
    for name in names:
        assert getattr(package, name) is not None


def test_every_table_has_its_three_shapes_and_two_repositories() -> None:
    for row in warp_models.TABLES.values():
        for suffix in ("", "Create", "Update"):
            assert f"{row.__name__}{suffix}" in warp_models.__all__
    assert len(warp_repo.REPOSITORIES) == len(warp_repo.ASYNC_REPOSITORIES) == 18
    assert warp_repo.TrunkRepo.__name__ == "TrunkRepo"
