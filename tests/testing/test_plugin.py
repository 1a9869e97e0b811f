"""The pytest plugin as another team uses it: a test file asking for fixtures, run by pytest in a subprocess."""

from __future__ import annotations

import re
from importlib.metadata import entry_points

import psycopg
import pytest

PLUGIN = "warp_repo.testing.pytest_plugin"

TESTS = """
import asyncio

import psycopg
import pytest

from warp_repo.testing import Factories
from warp_repo.errors import PermissionDenied
from warp_repo.repos import TrunkRepo

FIXED = "00000000-0000-4000-8000-0000000000aa"


def test_runs_as_a_member_of_the_application_role_that_is_no_superuser(warp_db, warp_database):
    row = warp_db.execute(
        "SELECT rolsuper, rolbypassrls, pg_has_role(current_user, 'warp_app', 'MEMBER') "
        "FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row == (False, False, True)
    print("DATABASE", warp_database.name, "LOGIN", warp_database.login_role)


def test_a_tenant_reads_nothing_of_another(warp_factory, warp_db, warp_as_org):
    a, b = warp_factory.tenant(), warp_factory.tenant()
    forced = warp_db.execute("SELECT relforcerowsecurity FROM pg_class WHERE relname = 'sip_trunks'").fetchone()
    assert forced == (True,)
    with warp_as_org(a.id):
        theirs = warp_db.execute("SELECT count(*) FROM sip_trunks WHERE org_id = %s", (b.id,)).fetchone()
        mine = warp_db.execute("SELECT count(*) FROM sip_trunks WHERE org_id = %s", (a.id,)).fetchone()
        assert (theirs, mine) == ((0,), (1,))
        assert TrunkRepo(warp_db).for_org(b.id).count() == 1, "a scoped repository sets its own context"
    assert warp_db.execute("SELECT count(*) FROM organizations").fetchone() == (0,), "no context, no rows"


def test_writes_an_organization(warp_factory):
    assert str(warp_factory.organization.create(id=FIXED).id) == FIXED


def test_the_previous_test_was_rolled_back(warp_db, warp_as_org):
    with warp_as_org(FIXED):
        assert warp_db.execute("SELECT count(*) FROM organizations").fetchone() == (0,)


def test_commit_is_refused(warp_db):
    with pytest.raises(psycopg.ProgrammingError):
        warp_db.commit()


def test_rates_are_read_only_for_the_application(warp_rate_deck, warp_db, warp_factory):
    assert len(warp_rate_deck) == 300
    assert warp_db.execute("SELECT count(*) FROM lcr_rates").fetchone() == (300,)
    with pytest.raises(PermissionDenied) as refused, warp_db.transaction():
        warp_factory.lcr_rate.create()
    assert isinstance(refused.value.__cause__, psycopg.errors.InsufficientPrivilege)


def test_a_ready_tenant(warp_tenant, warp_as_org, warp_db):
    with warp_as_org(warp_tenant.id):
        assert warp_db.execute("SELECT count(*) FROM phone_numbers").fetchone() == (3,)


def test_redis_first(warp_redis):
    warp_redis.set("session:1", "x")
    assert warp_redis.dbsize() == 1


def test_redis_flushed_between_tests(warp_redis, warp_redis_url):
    assert warp_redis.dbsize() == 0
    assert warp_redis_url.startswith(("redis://", "unix://"))


def test_async_transactions_roll_back_and_close(warp_database):
    async def scenario():
        async with warp_database.async_transaction() as conn:
            factories = Factories(seed=1, aconn=conn)
            tenant = await factories.atenant()
            cursor = await conn.execute("SELECT current_user")
            return tenant, (await cursor.fetchone())[0], conn

    tenant, user, conn = asyncio.run(scenario())
    assert user == warp_database.login_role and conn.closed
    assert tenant.organization.status == "active"


def test_prints_its_rows(warp_factory):
    print("ORG", warp_factory.organization.build().name, warp_factory.cdr.build().call_id)
"""


def plugin_args(server: str) -> list[str]:
    """Options for the inner pytest; the plugin is named explicitly until its entry point is installed."""
    installed = any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))
    return ["-p", "no:cacheprovider", "-W", "error", "-s", "--warp-database-url", server] + (
        [] if installed else ["-p", PLUGIN]
    )


def test_fixtures_give_a_rolled_back_non_superuser_session(
    pytester: pytest.Pytester, pg_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_downstream=TESTS)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw7")
    result = pytester.runpytest_subprocess(*plugin_args(pg_server_url))
    result.assert_outcomes(passed=11)
    line = next(line for line in result.outlines if "DATABASE warp_test_" in line)
    match = re.search(r"DATABASE (\S+) LOGIN (\S+)", line)
    assert match is not None
    database, login = match.groups()
    assert database.startswith("warp_test_gw7_"), "one database per xdist worker"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is None
        assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone() is None
    assert any(line.startswith("warp: test databases on") for line in result.outlines)

    # Each test's factories are seeded from the session seed and the test's id: the same rows whichever tests run.
    first = [line[line.index("ORG ") :] for line in result.outlines if "ORG " in line]
    assert len(first) == 1
    assert rows_of(pytester, pg_server_url) == first
    assert rows_of(pytester, pg_server_url, "--warp-seed", "9") != first


def rows_of(pytester: pytest.Pytester, server: str, *extra: str) -> list[str]:
    result = pytester.runpytest_subprocess(*plugin_args(server), "-k", "prints_its_rows", *extra)
    result.assert_outcomes(passed=1)
    return [line[line.index("ORG ") :] for line in result.outlines if "ORG " in line]


def test_a_configured_login_role_is_created_and_kept(pytester: pytest.Pytester, pg_server_url: str) -> None:
    role = "warp_test_configured_login"
    pytester.makepyfile(
        test_role=f"""
def test_connects_as_the_configured_role(warp_db):
    assert warp_db.execute("SELECT current_user").fetchone() == ("{role}",)
"""
    )
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")
    try:
        result = pytester.runpytest_subprocess(*plugin_args(pg_server_url), "--warp-login-role", role)
        result.assert_outcomes(passed=1)
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            found = conn.execute("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            assert found == (False, True)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_a_superuser_login_role_is_refused(pytester: pytest.Pytester, pg_server_url: str) -> None:
    pytester.makepyfile(test_role="def test_never_runs(warp_db):\n    pass\n")
    result = pytester.runpytest_subprocess(*plugin_args(pg_server_url), "--warp-login-role", "postgres")
    result.assert_outcomes(errors=1)
    assert any("BYPASSRLS" in line for line in result.outlines)
