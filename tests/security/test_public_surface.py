"""The security modules' public surface: sorted, importable, nothing private."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module", ["warp_repo.security", "warp_repo.secrets", "warp_repo.audit"])
def test_all_is_sorted_importable_and_public(module: str) -> None:
    loaded = importlib.import_module(module)
    names: list[str] = loaded.__all__
    assert len(set(names)) == len(names)
    assert not [name for name in names if name.startswith("_")]
    for name in names:
        assert getattr(loaded, name) is not None, name
    public = {
        name
        for name in vars(loaded)
        if not name.startswith("_") and getattr(vars(loaded)[name], "__module__", None) == module
    }
    assert public <= set(names), public - set(names)
