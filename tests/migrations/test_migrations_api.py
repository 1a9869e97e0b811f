"""The public surface of warp_repo.migrations."""

from __future__ import annotations

from pathlib import Path

import warp_repo.migrations as api


def test_all_is_sorted_and_everything_in_it_exists() -> None:
    assert api.__all__ == sorted(api.__all__)
    assert len(set(api.__all__)) == len(api.__all__)
    for name in api.__all__:
        assert hasattr(api, name), name


def test_nothing_private_is_exported() -> None:
    assert not [name for name in api.__all__ if name.startswith("_")]


def test_bundled_migrations_dir_holds_the_shipped_sql() -> None:
    directory = api.bundled_migrations_dir()
    assert directory.is_dir()
    names = sorted(p.name for p in directory.rglob("*.sql"))
    assert names[0] == "20261122_001_organizations_users_audit.sql"
    assert Path(directory, "2026", names[-1]).is_file()
