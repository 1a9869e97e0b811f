"""The I/O-free half: statements compiled once per shape, filters as values, the generated sync module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from warp_models import (
    TABLES,
    Cdr,
    LcrRate,
    LcrRateCreate,
    LcrRateUpdate,
    SipTrunk,
    SipTrunkCreate,
    TrunkAclUpdate,
)
from warp_repo import repos
from warp_repo._core import statements as _sql
from warp_repo._core.repository_sync import Repo, TenantRepo
from warp_repo._core.statements import Eq, Ge, Gt, In, IsNull, Le, Lt, Ne, Order, Range
from warp_repo.errors import QueryError

ROOT = Path(__file__).resolve().parents[2]
PARAM = re.compile(r"^(key|keys|scope|limit|v_[a-z0-9_]+|w\d+_\d+|k\d+)$")


def test_the_sync_repository_has_every_method_of_the_async_one() -> None:
    def public(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")}

    assert public(repos.TrunkRepo) == public(repos.AsyncTrunkRepo)
    assert public(repos.LcrRateRepo) == public(repos.AsyncLcrRateRepo)


def test_statements_are_cached_and_bind_only_named_parameters() -> None:
    for row in TABLES.values():
        scoped = row.__table_spec__.tenant is not None
        create = repos.REPOSITORIES[row.__table_spec__.name].create_model
        names = tuple(name for name, field in create.model_fields.items() if field.is_required())
        statements = [
            _sql.select_by_key(row, scoped, False),
            _sql.select_by_key(row, scoped, True),
            _sql.insert_row(row, names),
            _sql.update_row(row, names, scoped),
            _sql.delete_returning(row, None, scoped),
            _sql.count_rows(row, (_sql.FilterShape("eq", names[0]),), scoped),
            _sql.select_rows(row, (), scoped, _sql.parse_order(_sql.info(row), ()), True, (False,)),
        ]
        for stmt in statements:
            assert all(PARAM.match(p) for p in stmt.params), (row.__name__, stmt.params)
            assert "%(" in stmt.sql or not stmt.params
        assert _sql.select_by_key(row, scoped, False) is statements[0]


def test_values_are_never_part_of_the_statement_text() -> None:
    t = _sql.info(SipTrunk)
    hostile = "x'); DROP TABLE sip_trunks; --"
    where, params = _sql.bind_filters(t, [Eq("name", hostile)])
    stmt = _sql.select_rows(SipTrunk, where, True, (), False)
    assert hostile not in stmt.sql
    assert params == {"w0_0": hostile}


def test_column_references_build_filters() -> None:
    c = repos.TrunkRepo.c
    assert (c.status == "active") == Eq("status", "active")
    assert (c.status != "active") == Ne("status", "active")
    assert (c.max_channels < 1, c.max_channels <= 1) == (Lt("max_channels", 1), Le("max_channels", 1))
    assert (c.max_channels > 1, c.max_channels >= 1) == (Gt("max_channels", 1), Ge("max_channels", 1))
    assert c.name.in_(["a", "b"]) == In("name", ("a", "b"))
    assert c.max_channels.between(1, 5) == Range("max_channels", 1, 5)
    assert c.outbound_proxy.is_null() == IsNull("outbound_proxy")
    assert c.outbound_proxy.is_not_null() == IsNull("outbound_proxy", null=False)
    assert c.name.desc() == Order("name", descending=True) == Order.parse("-name")
    assert str(Order.parse("-name")) == "-name"
    with pytest.raises(QueryError, match="start, an end"):
        Range("max_channels").shape()


def test_the_ordering_is_made_total_with_the_key() -> None:
    t = _sql.info(Cdr)
    assert _sql.parse_order(t, ["-start_time"]) == (Order("start_time", True), Order("id", True))
    assert _sql.parse_order(t, ["id", "start_time"]) == (Order("id"), Order("start_time"))
    assert _sql.parse_order(t, []) == (Order("id"),)


def test_repository_classes_check_their_type_arguments() -> None:
    with pytest.raises(TypeError, match="must be shapes of"):

        class Mixed(Repo[LcrRate, LcrRateCreate, TrunkAclUpdate]):
            pass

    with pytest.raises(TypeError, match="shared by every organization"):

        class Wrong(TenantRepo[LcrRate, LcrRateCreate, LcrRateUpdate]):
            pass

    assert repos.LcrRateRepo.create_model is LcrRateCreate
    assert repos.TrunkRepo.create_model is SipTrunkCreate


def test_the_repos_module_exports_a_sorted_list_of_every_repository() -> None:
    constants_first = sorted(repos.__all__, key=lambda name: (not name.isupper(), name))
    assert repos.__all__ == constants_first
    classes = {name for name in repos.__all__ if name.endswith("Repo")}
    assert len(classes) == 2 * len(TABLES)
