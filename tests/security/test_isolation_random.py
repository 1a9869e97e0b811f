"""Randomized cross-tenant attempts through raw SQL as the application login: nothing foreign is read or changed.

Each example picks an acting organization (or none), a tenant table or partition, an operation and a row that
belongs to someone else, runs the statement in a transaction that is rolled back, and checks what came back.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from .conftest import Populated
from .dataset import Relation, relations

Conn = psycopg.Connection[tuple[object, ...]]

READ_EXAMPLES = 600
WRITE_EXAMPLES = 600
RUNS: dict[str, int] = {"read": 0, "write": 0}


@pytest.fixture(scope="module")
def app_session(populated: Populated) -> Iterator[Conn]:
    """One connection of the application login for every example (as a pooled service would reuse it)."""
    with psycopg.connect(populated.app_url) as conn:
        yield conn


def start(conn: Conn, actor: UUID | None, blank: bool) -> None:
    """Begin an example: the tenant context of ``actor``, none at all, or the empty string."""
    conn.rollback()
    if actor is not None:
        conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(actor)])
    elif blank:
        conn.execute("SELECT set_config('warp.org_id', '', true)")


def foreign(relation: Relation, actor: UUID | None) -> list[str]:
    return sorted(key for key, owner in relation.owners.items() if actor is None or owner != actor)


def _actors(populated: Populated) -> st.SearchStrategy[UUID | None]:
    return st.sampled_from([*populated.orgs, None])


def test_reads_never_return_another_organizations_rows(populated: Populated, app_session: Conn) -> None:
    targets = [r for r in populated.relations if r.owners]

    @settings(max_examples=READ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(actor=_actors(populated), blank=st.booleans(), relation=st.sampled_from(targets), data=st.data())
    def attempt(actor: UUID | None, blank: bool, relation: Relation, data: st.DataObject) -> None:
        key = sql.Identifier(relation.key)
        table = sql.Identifier(relation.name)
        RUNS["read"] += 1
        start(app_session, actor, blank)
        try:
            others = foreign(relation, actor)
            by_key: bool = data.draw(st.booleans(), label="by key")
            if others and by_key:
                target = data.draw(st.sampled_from(others), label="target")
                query = sql.SQL("SELECT {}::text FROM {} WHERE {}::text = %s").format(key, table, key)
                assert app_session.execute(query, [target]).fetchall() == []
            else:
                query = sql.SQL("SELECT {}::text FROM {}").format(key, table)
                seen = {str(row[0]) for row in app_session.execute(query)}
                assert seen == (relation.rows_of(actor) if actor is not None else set())
        finally:
            app_session.rollback()

    attempt()
    assert RUNS["read"] >= READ_EXAMPLES  # every example really ran a statement


def test_updates_and_deletes_never_touch_another_organizations_rows(populated: Populated, app_session: Conn) -> None:
    targets = [r for r in populated.relations if r.owners and foreign(r, populated.orgs[0])]
    before = relations(populated.url)

    @settings(max_examples=WRITE_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        actor=_actors(populated),
        blank=st.booleans(),
        relation=st.sampled_from(targets),
        operation=st.sampled_from(["update", "delete"]),
        data=st.data(),
    )
    def attempt(actor: UUID | None, blank: bool, relation: Relation, operation: str, data: st.DataObject) -> None:
        others = foreign(relation, actor)
        if not others:
            return
        target = data.draw(st.sampled_from(others), label="target")
        key = sql.Identifier(relation.key)
        table = sql.Identifier(relation.name)
        if operation == "update":
            query = sql.SQL("UPDATE {} SET {} = {} WHERE {}::text = %s RETURNING {}::text").format(
                table, key, key, key, key
            )
        else:
            query = sql.SQL("DELETE FROM {} WHERE {}::text = %s RETURNING {}::text").format(table, key, key)
        RUNS["write"] += 1
        start(app_session, actor, blank)
        try:
            if relation.root in ("audit_logs", "api_audit_logs"):  # append-only: refused outright, whoever owns it
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app_session.execute(query, [target])
                return
            cursor = app_session.execute(query, [target])
            assert cursor.rowcount == 0
            assert cursor.fetchall() == []
        finally:
            app_session.rollback()

    attempt()
    assert RUNS["write"] >= WRITE_EXAMPLES
    assert relations(populated.url) == before  # read back as the superuser: nothing changed anywhere
