"""Randomized cross-tenant attempts through every repository method, as the application login.

Each example picks an acting organization, a tenant table, a row that belongs to someone else and a repository
method, calls it the way a service would (scoped with ``for_org``, or unscoped under the tenant context), and
checks that nothing foreign came back and nothing foreign changed. Every example is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warp_models import TABLES
from warp_models._base import _server_defaults
from warp_repo import REPOSITORIES, Eq, In
from warp_repo.errors import NotFound, PermissionDenied, QueryError, TenantScopeError

from .conftest import Populated
from .dataset import Relation

Conn = psycopg.Connection[tuple[object, ...]]
EXAMPLES = 1000
REFUSALS = (NotFound, TenantScopeError, QueryError, PermissionDenied)


@pytest.fixture(scope="module")
def app_session(populated: Populated) -> Iterator[Conn]:
    with psycopg.connect(populated.app_url) as conn:
        yield conn


def _patch(table: str) -> Any:
    """An update that sets one nullable column to NULL (or, in a table without one, a column to its default):
    valid for every table, harmless if it ever ran."""
    repo = REPOSITORIES[table]
    fields = repo.update_model.model_fields
    nullable = [c.name for c in TABLES[table].__columns__ if c.nullable and c.name in fields]
    if nullable:
        return repo.update_model(**{nullable[0]: None})
    default = next((name, value) for name, value in _server_defaults(TABLES[table]).items() if name in fields)
    return repo.update_model(**{default[0]: default[1]})


def _keys(rows: list[Any], key: str) -> set[str]:
    return {str(getattr(row, key)) for row in rows}


def _attempt(repo: Any, method: str, key: UUID, key_column: str, org: UUID, table: str) -> set[str]:
    """Call ``method`` aimed at the foreign row ``key``; return the keys of whatever rows came back."""
    calls: dict[str, Callable[[], Any]] = {
        "get": lambda: repo.get(key),
        "get_many": lambda: repo.get_many([key]),
        "list": lambda: repo.list(Eq(key_column, key)),
        "list_all": lambda: repo.list(),
        "count": lambda: repo.count(Eq(key_column, key)),
        "exists": lambda: repo.exists(In(key_column, [key])),
        "page": lambda: repo.page(Eq(key_column, key)).items,
        "by_org": lambda: repo.by_org(org),
        "update": lambda: repo.update(key, _patch(table)),
        "delete": lambda: repo.delete(key),
        "delete_where": lambda: repo.delete_where(Eq(key_column, key)),
        "unscoped_platform_list": lambda: repo.unscoped_platform_list(Eq(key_column, key)),
    }
    try:
        result = calls[method]()
    except REFUSALS:
        return set()
    if result is None or result is False or result == 0:
        return set()
    if result is True or isinstance(result, int):
        return {f"<{method} reported {result!r}>"}
    rows = result if isinstance(result, list) else [result]
    return _keys(rows, key_column)


METHODS = (
    "get",
    "get_many",
    "list",
    "list_all",
    "count",
    "exists",
    "page",
    "by_org",
    "update",
    "delete",
    "delete_where",
    "unscoped_platform_list",
)


def test_no_repository_method_reaches_another_organizations_rows(populated: Populated, app_session: Conn) -> None:
    roots = [r for r in populated.relations if r.name == r.root and r.root in REPOSITORIES and r.owners]
    seen: dict[str, int] = dict.fromkeys(METHODS, 0)

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        actor=st.sampled_from(populated.orgs),
        scoped=st.booleans(),
        relation=st.sampled_from(roots),
        method=st.sampled_from(METHODS),
        data=st.data(),
    )
    def attempt(actor: UUID, scoped: bool, relation: Relation, method: str, data: st.DataObject) -> None:
        foreign = sorted(k for k, owner in relation.owners.items() if owner is not None and owner != actor)
        if not foreign:
            return
        key = data.draw(st.sampled_from(foreign))
        victim = relation.owners[key]
        assert victim is not None
        app_session.rollback()
        app_session.execute("SELECT set_config('warp.org_id', %s, true)", [str(actor)])
        repo: Any = REPOSITORIES[relation.root](app_session)
        if scoped:
            repo = repo.for_org(actor)
        elif method == "list_all":
            method = "list"  # unscoped multi-row reads without a filter are refused by design; aim at the row
        # An unscoped ``by_org(org)`` is an explicit request to act as ``org`` (it sets that tenant context), so
        # the attack is a scoped repository asked for another organization; unscoped, ask for one's own rows.
        target = victim if scoped else actor
        try:
            got = _attempt(repo, method, UUID(key), relation.key, target, relation.root)
            own = relation.rows_of(actor)
            assert got <= own, f"{method} on {relation.root} as {actor} returned foreign rows {got - own}"
            failed = app_session.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
            if method in ("update", "delete", "delete_where") and not failed:  # a refused write changed nothing
                still = app_session.execute("SELECT set_config('warp.org_id', %s, true)", [str(victim)]).fetchone()
                assert still is not None
                owner_repo: Any = REPOSITORIES[relation.root](app_session)
                left = owner_repo.for_org(victim).get(UUID(key))
                assert left is not None, f"{method} as {actor} removed {relation.root} {key} of {victim}"
        finally:
            app_session.rollback()
        seen[method] += 1

    attempt()
    assert all(seen[m] > 0 for m in METHODS if m != "list_all"), seen
    assert sum(seen.values()) >= EXAMPLES * 0.9
