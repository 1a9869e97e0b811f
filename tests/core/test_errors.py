"""One error tree: every database failure is a ``WarpError``, chosen by SQLSTATE, then by SQLSTATE class."""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

import psycopg
import pytest

import warp_models
import warp_models.errors
import warp_repo
from warp_models import OrganizationCreate
from warp_models.errors import WarpError
from warp_repo.errors import (
    ConnectionLost,
    DatabaseError,
    InsufficientResources,
    InvalidData,
    PermissionDenied,
    RepositoryError,
    SchemaMismatch,
    SerializationFailure,
    StatementTimeout,
    TransactionStateError,
    translating,
)
from warp_repo.repos import OrganizationRepo


def _raise(sqlstate: str) -> str:
    return f"DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{sqlstate}'; END $$"


# SQLSTATEs the SDK had no class for, provoked for real where the server can be made to, else raised by PL/pgSQL.
PROVOKED: list[tuple[str, str, type[RepositoryError]]] = [
    ("22P05", "SELECT '\"\\u0000\"'::jsonb", InvalidData),
    ("22021", "SELECT convert_from('\\xc328'::bytea, 'UTF8')", InvalidData),
    ("22P02", "SELECT 'not a uuid'::uuid", InvalidData),
    ("57014", "SET LOCAL statement_timeout = 10; SELECT pg_sleep(1)", StatementTimeout),
    ("42P01", "SELECT * FROM no_such_table", SchemaMismatch),
    ("42703", "SELECT no_such_column FROM organizations", SchemaMismatch),
    ("42501", "TRUNCATE organizations", PermissionDenied),
    ("40P01", _raise("40P01"), SerializationFailure),
    ("53300", _raise("53300"), InsufficientResources),
    ("08006", _raise("08006"), ConnectionLost),
    ("P0001", _raise("P0001"), DatabaseError),
    ("XX000", _raise("XX000"), DatabaseError),
]


@pytest.mark.parametrize(("sqlstate", "statement", "expected"), PROVOKED, ids=[p[0] for p in PROVOKED])
def test_every_sqlstate_is_a_warp_error_chained_to_the_driver_error(
    conn: psycopg.Connection[Any], sqlstate: str, statement: str, expected: type[RepositoryError]
) -> None:
    with pytest.raises(WarpError) as caught, translating():
        conn.execute(statement)
    error = caught.value
    assert type(error) is expected or (expected is PermissionDenied and isinstance(error, PermissionDenied))
    assert isinstance(error, RepositoryError) and error.sqlstate == sqlstate
    assert isinstance(error.__cause__, psycopg.Error) and error.__cause__.sqlstate == sqlstate
    conn.rollback()


def test_a_repository_call_in_an_aborted_transaction_is_a_transaction_state_error(
    conn: psycopg.Connection[Any],
) -> None:
    with pytest.raises(SchemaMismatch), translating():
        conn.execute("SELECT * FROM no_such_table")
    with pytest.raises(TransactionStateError, match="conn.transaction") as caught:
        OrganizationRepo(conn).insert(OrganizationCreate(name="After a failure"))
    assert caught.value.sqlstate == "25P02"
    conn.rollback()


def test_a_broken_connection_is_connection_lost(database_url: str, admin_url: str) -> None:
    conn = psycopg.connect(database_url)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
    with pytest.raises(ConnectionLost) as caught:
        OrganizationRepo(conn).for_org(__import__("uuid").uuid4()).count()
    assert isinstance(caught.value.__cause__, psycopg.OperationalError)
    conn.close()


def _sdk_error_classes() -> set[type[BaseException]]:
    for package in (warp_models, warp_repo):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if ".testing" not in module.name and not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    found: set[type[BaseException]] = set()
    pending: list[type[BaseException]] = [WarpError]
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith(("warp_models", "warp_repo")) and cls not in found:
            found.add(cls)
            pending.extend(cls.__subclasses__())
    return found


def test_the_tree_is_drawn_once_with_every_class() -> None:
    drawing = warp_models.errors.__doc__ or ""
    drawn = set(re.findall(r"[─ ]([A-Z][A-Za-z]+)\b", drawing))
    missing = sorted(cls.__name__ for cls in _sdk_error_classes() if cls.__name__ not in drawn)
    assert missing == []


def test_a_copied_mapping_with_a_bad_email_is_a_validation_error_at_its_row(database_url: str) -> None:
    """Rebuilding the row's errors works for every error type, built-in validators' included."""
    import uuid

    from pydantic import ValidationError

    from warp_repo.repos import UserRepo

    with psycopg.connect(database_url) as conn:
        org = OrganizationRepo(conn).insert(OrganizationCreate(name="Copy")).id
        rows = [{"email": "not-an-address", "username": f"u{uuid.uuid4().hex[:8]}", "password_hash": "x{y}"}]
        with pytest.raises(ValidationError) as caught:
            UserRepo(conn).for_org(org).copy_in(rows)
        errors = {e["loc"]: e["type"] for e in caught.value.errors()}
        assert errors[(0, "email")] == "value_error" and errors[(0, "password_hash")] == "value_error"
        assert "x{y}" not in str(caught.value)
        conn.rollback()


def test_a_value_the_driver_cannot_send_is_invalid_data_not_a_lost_connection(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(InvalidData) as caught, translating():
        conn.execute("SELECT %s::text", ("a\x00b",))
    assert isinstance(caught.value.__cause__, psycopg.DataError) and caught.value.sqlstate is None
    assert "a\x00b" not in str(caught.value)
    conn.rollback()
