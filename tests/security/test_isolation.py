"""Tenant isolation as the application login sees it: no context, one organization, reused connections."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import LiteralString
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from psycopg_pool import ConnectionPool

from warp_models import AuditLogCreate, CdrCreate, SipTrunkCreate, TrunkAclCreate, UserCreate
from warp_models._base import TABLES, Create
from warp_models._columns import OrgScoped

from .conftest import Logins, Populated
from .dataset import PASSWORD_HASH, Relation, insert, months

Conn = psycopg.Connection[tuple[object, ...]]


APPEND_ONLY = ("audit_logs", "api_audit_logs")
"""The change log and the API call log: the application may only append to them."""


def set_tenant(conn: Conn, org: UUID | str) -> None:
    conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(org)])


def run_in_tenant(conn: Conn, org: UUID, query: LiteralString | sql.Composed, params: Sequence[object] = ()) -> None:
    """Run ``query`` in a transaction (a savepoint when one is open) whose tenant is ``org``."""
    with conn.transaction():
        set_tenant(conn, org)
        conn.execute(query, params)


def visible(conn: Conn, relation: Relation) -> set[str]:
    query = sql.SQL("SELECT {}::text FROM {}").format(sql.Identifier(relation.key), sql.Identifier(relation.name))
    return {str(row[0]) for row in conn.execute(query)}


def populated_relations(populated: Populated) -> list[Relation]:
    return [r for r in populated.relations if r.owners]


def test_every_tenant_table_and_partition_is_populated(populated: Populated) -> None:
    roots = {r.root for r in populated_relations(populated)}
    assert roots == {name for name, row in TABLES.items() if row.__table_spec__.tenant is not None}
    partitions = {r.name for r in populated_relations(populated) if r.name != r.root}
    assert {"cdrs_default", "usage_records_default", "messages_default"} <= partitions
    assert len(partitions) >= 9  # this month, last month and DEFAULT, of three tables


def test_without_a_tenant_context_no_row_is_visible(populated: Populated, app_conn: Conn) -> None:
    for relation in populated_relations(populated):
        assert visible(app_conn, relation) == set(), relation.name
    app_conn.rollback()
    set_tenant(app_conn, "")  # what current_setting returns once a transaction-local setting has ended
    for relation in populated_relations(populated):
        assert visible(app_conn, relation) == set(), relation.name


def test_a_tenant_sees_exactly_its_rows_in_every_table_and_partition(populated: Populated, app_conn: Conn) -> None:
    for org in populated.orgs:
        with app_conn.transaction():
            set_tenant(app_conn, org)
            for relation in populated.relations:
                assert visible(app_conn, relation) == relation.rows_of(org), (relation.name, org)
    # Partitions queried directly are confined too (not only through their parent).
    cdrs_default = next(r for r in populated.relations if r.name == "cdrs_default")
    assert sum(cdrs_default.counts().values()) == len(populated.orgs)
    with app_conn.transaction():
        set_tenant(app_conn, populated.orgs[0])
        assert app_conn.execute("SELECT count(*) FROM cdrs_default").fetchone() == (1,)


def test_rows_of_no_organization_are_invisible_to_every_tenant(populated: Populated, app_conn: Conn) -> None:
    unowned = {r.name: r.rows_of(None) for r in populated.relations if r.rows_of(None)}
    assert set(unowned) == {
        "phone_numbers",
        "e911_addresses",
        "audit_logs",
        "api_audit_logs",
        f"api_audit_logs_{dt.date.today():%Y_%m}",
    }
    for org in populated.orgs:
        with app_conn.transaction():
            set_tenant(app_conn, org)
            for relation in populated.relations:
                assert not visible(app_conn, relation) & relation.rows_of(None)


def test_a_value_that_is_not_a_uuid_is_an_error_not_a_wildcard(populated: Populated, app_conn: Conn) -> None:
    set_tenant(app_conn, "*")
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        app_conn.execute("SELECT count(*) FROM users")


def _trunk_of(populated: Populated, org: UUID) -> UUID:
    trunks = next(r for r in populated.relations if r.name == "sip_trunks")
    return UUID(sorted(trunks.rows_of(org))[0])


def _foreign_rows(populated: Populated, other: UUID) -> dict[str, Create]:
    n = uuid.uuid4().hex[:8]
    this_month, _, far = months()
    return {
        "users": UserCreate(
            org_id=other,
            email=f"x{n}@example.com",
            username=f"x{n}",
            password_hash=PASSWORD_HASH,
        ),
        "audit_logs": AuditLogCreate(org_id=other, action="login"),
        "sip_trunks": SipTrunkCreate(org_id=other, name=f"t{n}", username=f"t{n}"),
        "cdrs (current month)": CdrCreate(call_id=f"c{n}", org_id=other, start_time=this_month),
        "cdrs (DEFAULT partition)": CdrCreate(call_id=f"d{n}", org_id=other, start_time=far),
        "trunk_acl (child of another org's trunk)": TrunkAclCreate(
            trunk_id=_trunk_of(populated, other),
            ip_address="198.51.100.7",  # type: ignore[arg-type]
        ),
    }


@pytest.mark.parametrize(
    "what",
    [
        "users",
        "audit_logs",
        "sip_trunks",
        "cdrs (current month)",
        "cdrs (DEFAULT partition)",
        "trunk_acl (child of another org's trunk)",
    ],
)
def test_inserting_a_row_of_another_organization_is_refused(populated: Populated, app_conn: Conn, what: str) -> None:
    mine, other = populated.orgs[0], populated.orgs[1]
    row = _foreign_rows(populated, other)[what]
    set_tenant(app_conn, mine)
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        insert(app_conn, row)
    assert caught.value.sqlstate == "42501"
    assert "row-level security" in str(caught.value)


def test_inserting_into_a_partition_directly_for_another_organization_is_refused(
    populated: Populated, app_conn: Conn
) -> None:
    set_tenant(app_conn, populated.orgs[0])
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_conn.execute(
            "INSERT INTO cdrs_default (call_id, org_id, start_time) VALUES ('direct', %s, '2035-01-01')",
            [populated.orgs[1]],
        )


def test_moving_own_rows_to_another_organization_is_refused(populated: Populated, app_conn: Conn) -> None:
    mine, other = populated.orgs[0], populated.orgs[1]
    scoped = [r for r in populated_relations(populated) if isinstance(TABLES[r.root].__table_spec__.tenant, OrgScoped)]
    for relation in scoped:
        if not relation.rows_of(mine) or relation.root in APPEND_ONLY:  # audit rows cannot be updated at all
            continue
        column = TABLES[relation.root].__table_spec__.tenant
        assert isinstance(column, OrgScoped)
        move = sql.SQL("UPDATE {} SET {} = %s").format(sql.Identifier(relation.name), sql.Identifier(column.column))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            run_in_tenant(app_conn, mine, move, [other])
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        run_in_tenant(app_conn, mine, "UPDATE trunk_acl SET trunk_id = %s", [_trunk_of(populated, other)])


def test_the_setting_is_gone_after_commit_and_after_rollback(populated: Populated, app_conn: Conn) -> None:
    org = populated.orgs[0]
    users = next(r for r in populated.relations if r.name == "users")
    with app_conn.transaction():
        set_tenant(app_conn, org)
        assert visible(app_conn, users) == users.rows_of(org)
    assert app_conn.execute("SELECT current_setting('warp.org_id', true)").fetchone() == ("",)
    assert visible(app_conn, users) == set()
    app_conn.rollback()
    set_tenant(app_conn, org)
    app_conn.rollback()
    assert app_conn.execute("SELECT current_setting('warp.org_id', true)").fetchone() == ("",)
    assert visible(app_conn, users) == set()


def test_a_pooled_connection_reused_for_another_org_sees_only_that_org(populated: Populated) -> None:
    first, second = populated.orgs[0], populated.orgs[1]
    users = next(r for r in populated.relations if r.name == "users")
    cdrs = next(r for r in populated.relations if r.name == "cdrs")
    with ConnectionPool(populated.app_url, min_size=1, max_size=1, open=True) as pool:
        with pool.connection() as conn:
            set_tenant(conn, first)
            assert visible(conn, users) == users.rows_of(first)
            pid = conn.info.backend_pid
        with pool.connection() as conn:
            assert conn.info.backend_pid == pid  # the very same server session
            set_tenant(conn, second)
            assert visible(conn, users) == users.rows_of(second)
            assert visible(conn, cdrs) == cdrs.rows_of(second)
        with pool.connection() as conn:
            assert conn.info.backend_pid == pid
            assert conn.execute("SELECT current_setting('warp.org_id', true)").fetchone() == ("",)
            assert visible(conn, users) == set()


def test_a_session_level_setting_would_leak_to_the_next_borrower(populated: Populated) -> None:
    """Why the repositories pass ``true`` (transaction-local) to set_config: ``false`` outlives the borrower."""
    first = populated.orgs[0]
    users = next(r for r in populated.relations if r.name == "users")
    with ConnectionPool(populated.app_url, min_size=1, max_size=1, open=True) as pool:
        with pool.connection() as conn:
            conn.execute("SELECT set_config('warp.org_id', %s, false)", [str(first)])
        with pool.connection() as conn:
            assert visible(conn, users) == users.rows_of(first)


def test_the_application_cannot_widen_its_reach_with_the_platform_setting(populated: Populated, app_conn: Conn) -> None:
    app_conn.execute("SELECT set_config('warp.platform', 'on', true)")
    for relation in populated_relations(populated):
        assert visible(app_conn, relation) == set(), relation.name


def test_the_platform_reaches_every_organization_only_when_it_asks(populated: Populated, logins: Logins) -> None:
    users = next(r for r in populated.relations if r.name == "users")
    with psycopg.connect(logins.url(populated.url, "warp_platform")) as conn:
        assert visible(conn, users) == set()
        conn.rollback()
        set_tenant(conn, populated.orgs[2])
        assert visible(conn, users) == users.rows_of(populated.orgs[2])
        conn.rollback()
        conn.execute("SELECT set_config('warp.platform', 'on', true)")
        for relation in populated.relations:
            assert visible(conn, relation) == set(relation.owners), relation.name
        conn.rollback()
        assert visible(conn, users) == set()


def test_the_read_only_role_reads_its_tenant_and_writes_nothing(populated: Populated, logins: Logins) -> None:
    users = next(r for r in populated.relations if r.name == "users")
    org = populated.orgs[1]
    with psycopg.connect(logins.url(populated.url, "warp_readonly")) as conn:
        set_tenant(conn, org)
        assert visible(conn, users) == users.rows_of(org)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("UPDATE users SET status = 'active'")


def test_shared_rates_are_read_by_every_tenant_and_written_by_the_platform_only(
    populated: Populated, app_conn: Conn, logins: Logins
) -> None:
    assert app_conn.execute("SELECT count(*) FROM lcr_rates").fetchone() == (3,)  # no tenant context needed
    writes: tuple[LiteralString, ...] = (
        "INSERT INTO lcr_rates (prefix, rate, effective_date) VALUES ('33', 0.01, '2026-01-01')",
        "UPDATE lcr_rates SET rate = 0",
        "DELETE FROM lcr_rates",
    )
    for statement in writes:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            run_in_tenant(app_conn, populated.orgs[0], statement)
    insert_rate: LiteralString = (
        "INSERT INTO lcr_rates (prefix, rate, effective_date) VALUES ('33', 0.01, '2026-01-01')"
    )
    with psycopg.connect(logins.url(populated.url, "warp_platform")) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"), conn.transaction():
            conn.execute(insert_rate)
        conn.execute("SELECT set_config('warp.platform', 'on', true)")
        assert conn.execute(insert_rate).rowcount == 1
        conn.rollback()


def test_the_audit_log_is_append_only_for_the_application(populated: Populated, app_conn: Conn) -> None:
    org = populated.orgs[0]
    statements: tuple[LiteralString, ...] = (
        "UPDATE audit_logs SET action = 'x'",
        "DELETE FROM audit_logs",
        "TRUNCATE audit_logs",
    )
    for statement in statements:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            run_in_tenant(app_conn, org, statement)
    set_tenant(app_conn, org)
    insert(app_conn, AuditLogCreate(org_id=org, action="export"))
    assert app_conn.execute("SELECT count(*) FROM audit_logs WHERE action = 'export'").fetchone() == (1,)
    app_conn.rollback()  # the module's database stays as populated
