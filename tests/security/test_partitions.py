"""Partitions created after the migrations: as closed as their parents, whoever creates them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

import psycopg
import pytest

from tests.conftest import DatabaseFactory
from warp_repo.migrations import ensure_partitions
from warp_repo.security import check_security

from .conftest import Logins, migrate_all, url_as
from .dataset import populate

FAR_MONTH = dt.date(2035, 6, 1)  # the dataset puts one row per organization and table there, in DEFAULT


@dataclass(frozen=True)
class Fresh:
    url: str
    orgs: tuple[UUID, ...]


@pytest.fixture
def fresh(create_database: DatabaseFactory) -> Fresh:
    url = create_database()
    migrate_all(url)
    return Fresh(url, populate(url, count=2))


def security_of(url: str, table: str) -> tuple[str, bool, bool, list[tuple[str, str | None]], list[str]]:
    """Owner, RLS, FORCE, policies (name, USING) and grants of ``table``, for comparing a partition with its parent."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT pg_get_userbyid(relowner), relrowsecurity, relforcerowsecurity,"
            " array(SELECT a.grantee::regrole::text || ':' || a.privilege_type FROM aclexplode(relacl) a"
            "       WHERE a.grantee <> relowner ORDER BY 1)"
            " FROM pg_class WHERE oid = %s::regclass",
            [table],
        ).fetchone()
        policies = conn.execute(
            "SELECT polname::text, pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polrelid = %s::regclass"
            " ORDER BY 1",
            [table],
        ).fetchall()
    assert row is not None
    return str(row[0]), bool(row[1]), bool(row[2]), [(str(p[0]), p[1]) for p in policies], list(row[3])


def count(conn: psycopg.Connection[tuple[object, ...]], table: str) -> int:
    found = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert found is not None
    return int(str(found[0]))


def test_a_partition_created_later_has_its_parents_security(fresh: Fresh, logins: Logins) -> None:
    assert ensure_partitions(fresh.url, 0, today=FAR_MONTH, tables=["cdrs"]) == ["cdrs_2035_06"]
    owner, rls, forced, policies, grants = security_of(fresh.url, "cdrs_2035_06")
    assert (owner, rls, forced) == (security_of(fresh.url, "cdrs")[0], True, True)
    assert policies == security_of(fresh.url, "cdrs")[3]
    assert {name for name, _ in policies} == {"warp_tenant_isolation", "warp_platform_reach"}
    assert grants == security_of(fresh.url, "cdrs")[4]
    with psycopg.connect(fresh.url) as conn:
        assert check_security(conn) == []
        assert count(conn, "cdrs_2035_06") == 2  # the rows waiting in DEFAULT moved in
    with psycopg.connect(logins.url(fresh.url, "warp_app")) as conn:
        assert count(conn, "cdrs_2035_06") == 0
        conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(fresh.orgs[0])])
        assert count(conn, "cdrs_2035_06") == 1


def test_a_member_of_the_owner_role_creates_partitions_under_forced_rls(fresh: Fresh, logins: Logins) -> None:
    # A deployment that lets the owner role own the tables (migrations run as a member of it).
    with psycopg.connect(fresh.url) as conn:
        conn.execute("GRANT CREATE ON SCHEMA public TO warp_owner")
        for (name,) in conn.execute("SELECT relid::text FROM pg_partition_tree('usage_records')").fetchall():
            conn.execute(f"ALTER TABLE {name} OWNER TO warp_owner")
    maintainer = logins.create("warp_owner")
    maintainer_url = url_as(fresh.url, maintainer, logins.passwords[maintainer])
    with psycopg.connect(maintainer_url) as conn:
        assert count(conn, "usage_records_default") == 0  # FORCE: even the owner sees nothing without a reach

    assert ensure_partitions(maintainer_url, 0, today=FAR_MONTH, tables=["usage_records"]) == ["usage_records_2035_06"]

    owner, rls, forced, policies, _ = security_of(fresh.url, "usage_records_2035_06")
    assert (owner, rls, forced, len(policies)) == ("warp_owner", True, True, 2)
    with psycopg.connect(fresh.url) as conn:
        assert count(conn, "usage_records_2035_06") == 2
        assert count(conn, "usage_records_default") == 0
        assert check_security(conn) == []


def test_the_application_cannot_create_partitions(fresh: Fresh, logins: Logins) -> None:
    with (
        psycopg.connect(logins.url(fresh.url, "warp_app")) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied for function"),
    ):
        conn.execute("SELECT warp_ensure_monthly_partitions('cdrs', '2040-01-01', '2040-01-01')")
