"""Errors: chosen by SQLSTATE, chained to the driver error, naming the constraint and saying what to do."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors
from pydantic import SecretStr

import warp_repo.errors
from warp_models import CdrCreate, OrganizationCreate, SipTrunkCreate, SipTrunkUpdate, UserCreate
from warp_models.errors import WarpError
from warp_repo._core.statements import Eq
from warp_repo.errors import (
    Conflict,
    ConstraintViolation,
    DatabaseError,
    InvalidReference,
    NotFound,
    QueryError,
    SchemaMismatch,
    SerializationFailure,
    TenantScopeError,
    translate,
)
from warp_repo.repos import CdrRepo, MessagingCampaignRepo, OrganizationRepo, TrunkRepo, UserRepo
from warp_repo.secrets import hash_password

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def org(conn: psycopg.Connection[Any]) -> uuid.UUID:
    return OrganizationRepo(conn).insert(OrganizationCreate(name="Acme")).id


def trunk(org_id: uuid.UUID, name: str = "primary", username: str | None = None) -> SipTrunkCreate:
    return SipTrunkCreate(org_id=org_id, name=name, username=username or f"u-{uuid.uuid4().hex[:8]}")


def caught(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("no error raised")


def test_every_error_is_a_warp_error_and_the_module_exports_a_sorted_list() -> None:
    exported = warp_repo.errors.__all__
    assert exported == sorted(exported)
    for name in exported:
        value = getattr(warp_repo.errors, name)
        if isinstance(value, type):
            assert issubclass(value, WarpError), name


def test_a_duplicate_key_is_a_conflict_naming_the_constraint_and_columns(conn: psycopg.Connection[Any]) -> None:
    org_id = org(conn)
    trunks = TrunkRepo(conn).for_org(org_id)
    trunks.insert(trunk(org_id, username="acme-primary"))
    exc = caught(lambda: trunks.insert(trunk(org_id, name="backup", username="acme-primary")))
    assert isinstance(exc, Conflict)
    assert exc.constraint == "sip_trunks_username_key"
    assert exc.columns == ("username",)
    assert exc.sqlstate == "23505"
    assert exc.table == "sip_trunks"
    assert isinstance(exc.__cause__, pg_errors.UniqueViolation)
    assert "sip_trunks_username_key" in str(exc)
    assert "upsert" in str(exc), "the message says what to do next"


def test_a_conflict_on_a_partition_names_the_declared_key(conn: psycopg.Connection[Any]) -> None:
    org_id = org(conn)
    cdrs = CdrRepo(conn).for_org(org_id)
    cdrs.insert(CdrCreate(call_id="dup@example.com", org_id=org_id, start_time=WHEN))
    exc = caught(lambda: cdrs.insert(CdrCreate(call_id="dup@example.com", org_id=org_id, start_time=WHEN)))
    assert isinstance(exc, Conflict)
    assert exc.constraint is not None and exc.constraint.startswith("cdrs_")
    assert exc.columns == ("call_id", "start_time")


def test_secret_values_never_reach_a_conflict_message(conn: psycopg.Connection[Any]) -> None:
    org_id = org(conn)
    users = UserRepo(conn).for_org(org_id)
    secret = hash_password("very secret").get_secret_value()
    users.insert(UserCreate(org_id=org_id, email="a@example.com", username="a", password_hash=SecretStr(secret)))
    exc = caught(
        lambda: users.insert(
            UserCreate(org_id=org_id, email="a@example.com", username="b", password_hash=SecretStr(secret))
        )
    )
    assert isinstance(exc, Conflict)
    assert exc.columns == ("email",)
    assert "a@example.com" not in str(exc)
    assert secret not in str(exc)


def test_a_missing_foreign_key_target_is_an_invalid_reference(conn: psycopg.Connection[Any]) -> None:
    missing = uuid.uuid4()
    exc = caught(lambda: TrunkRepo(conn).for_org(missing).insert(trunk(missing)))
    assert isinstance(exc, InvalidReference)
    assert exc.constraint == "sip_trunks_org_id_fkey"
    assert exc.sqlstate == "23503"
    assert isinstance(exc.__cause__, pg_errors.ForeignKeyViolation)


def test_deleting_a_referenced_row_is_an_invalid_reference(
    conn: psycopg.Connection[Any], admin_conn: psycopg.Connection[Any]
) -> None:
    # Made by the superuser, without the audit trail the application's writes leave (and may never delete), so
    # that the trunk is the organization's only reference.
    org_id = uuid.uuid4()
    admin_conn.execute("INSERT INTO organizations (id, name) VALUES (%s, 'Acme')", [org_id])
    admin_conn.execute(
        "INSERT INTO sip_trunks (org_id, name, username) VALUES (%s, 'primary', %s)", [org_id, f"u-{org_id.hex}"]
    )
    admin_conn.commit()
    exc = caught(lambda: OrganizationRepo(conn).for_org(org_id).delete(org_id))
    assert isinstance(exc, InvalidReference)
    assert exc.constraint == "sip_trunks_org_id_fkey"


def test_not_null_and_check_violations_are_constraint_violations(conn: psycopg.Connection[Any]) -> None:
    org_id = uuid.uuid4()
    conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(org_id)])  # the policy lets the row through
    with pytest.raises(pg_errors.NotNullViolation) as not_null:
        conn.execute("INSERT INTO organizations (id, name) VALUES (%s, NULL)", [org_id])
    error = translate(not_null.value)
    assert isinstance(error, ConstraintViolation)
    assert (error.sqlstate, error.column, error.table) == ("23502", "name", "organizations")
    conn.rollback()
    conn.execute("CREATE TEMP TABLE positive (x INT CONSTRAINT positive_x CHECK (x > 0))")
    with pytest.raises(pg_errors.CheckViolation) as check:
        conn.execute("INSERT INTO positive VALUES (-1)")
    error = translate(check.value)
    assert isinstance(error, ConstraintViolation)
    assert (error.sqlstate, error.constraint) == ("23514", "positive_x")


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_serialization_failures_and_deadlocks_are_retryable(conn: psycopg.Connection[Any], sqlstate: str) -> None:
    with pytest.raises(psycopg.Error) as raised:
        conn.execute(f"DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{sqlstate}'; END $$")
    error = translate(raised.value)
    assert isinstance(error, SerializationFailure)
    assert error.sqlstate == sqlstate
    assert "again" in str(error)


def test_errors_are_chosen_by_sqlstate_not_by_message(conn: psycopg.Connection[Any]) -> None:
    # A message that reads like a unique violation, with another SQLSTATE, is not a conflict ...
    with pytest.raises(psycopg.Error) as raised:
        conn.execute(
            "DO $$ BEGIN RAISE EXCEPTION 'duplicate key value violates unique constraint' USING ERRCODE = 'P0001'; "
            "END $$"
        )
    fallback = translate(raised.value)
    assert type(fallback) is DatabaseError and fallback.sqlstate == "P0001"
    conn.rollback()
    # ... and a unique violation with any message is one.
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("DO $$ BEGIN RAISE EXCEPTION 'custom text' USING ERRCODE = '23505', CONSTRAINT = 'k'; END $$")
    error = translate(raised.value)
    assert isinstance(error, Conflict)
    assert error.constraint == "k"


def test_a_missing_table_is_a_schema_mismatch_chained_to_the_driver_error(
    admin_conn: psycopg.Connection[Any],
) -> None:
    admin_conn.execute("DROP TABLE messaging_campaigns CASCADE")  # rolled back with the test's transaction
    with pytest.raises(SchemaMismatch, match="warp-db migrate") as caught:
        MessagingCampaignRepo(admin_conn).for_org(uuid.uuid4()).list()
    assert isinstance(caught.value.__cause__, pg_errors.UndefinedTable)


def test_missing_rows_are_not_found(conn: psycopg.Connection[Any]) -> None:
    missing = uuid.uuid4()
    trunks = TrunkRepo(conn).for_org(org(conn))
    assert trunks.get(missing) is None
    with pytest.raises(NotFound, match=str(missing)):
        trunks.get_one(missing)
    with pytest.raises(NotFound, match="sip_trunks"):
        trunks.update(missing, SipTrunkUpdate(max_channels=1))


def test_a_write_for_another_organization_is_a_tenant_scope_error(conn: psycopg.Connection[Any]) -> None:
    mine, theirs = org(conn), org(conn)
    with pytest.raises(TenantScopeError, match=str(theirs)):
        TrunkRepo(conn).for_org(mine).insert(trunk(theirs))
    assert TrunkRepo(conn).by_org(theirs) == []


def test_misuse_is_a_query_error_that_names_what_exists(conn: psycopg.Connection[Any]) -> None:
    scoped = TrunkRepo(conn).for_org(org(conn))
    with pytest.raises(QueryError, match="no column 'colour'.*username"):
        scoped.list(Eq("colour", "red"))
    with pytest.raises(QueryError, match="no unique key on \\(name\\)"):
        scoped.upsert(trunk(uuid.uuid4()), on=("name",))
    with pytest.raises(QueryError, match="at least one filter"):
        scoped.delete_where()
    with pytest.raises(QueryError, match="call_id', 'start_time'"):
        CdrRepo(conn).upsert(CdrCreate(call_id="x", org_id=uuid.uuid4(), start_time=WHEN), on=("call_id",))
    with pytest.raises(AttributeError, match="no column 'colour'"):
        _ = TrunkRepo.c.colour
    with pytest.raises(QueryError, match="naive datetime"):
        CdrRepo(conn).for_org(uuid.uuid4()).list(Eq("start_time", datetime(2026, 3, 1)))
