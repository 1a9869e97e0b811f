"""Rows the domain tests start from, each made unique so that committed ones never collide.

Each helper writes as the role that writes such rows in production: the application writes in an organization's
scope (``for_org``); unassigned numbers and rates are the platform's (``platform_work``); an organization with a
parent is the platform's too (pass a platform connection to ``new_org``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql as pg_sql

from tests.conftest import PLATFORM_REACH
from warp_models import (
    LcrRateCreate,
    OrganizationCreate,
    OrganizationSettingsCreate,
    PhoneNumberCreate,
    SipTrunk,
    SipTrunkCreate,
)
from warp_repo.repos import LcrRateRepo, OrganizationRepo, OrganizationSettingsRepo, PhoneNumberRepo, TrunkRepo

Conn = psycopg.Connection[Any]


def unique(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@contextmanager
def platform_work(conn: Conn) -> Iterator[Conn]:
    """A block with the platform reach, on a platform connection: a savepoint of the caller's transaction, or on
    an autocommit connection a transaction committed at its end."""
    with conn.transaction():
        conn.execute(PLATFORM_REACH)
        yield conn


def new_org(conn: Conn, name: str = "Acme", **values: Any) -> UUID:
    """A new organization; one with a ``parent_org_id`` needs a platform connection."""
    return OrganizationRepo(conn).insert(OrganizationCreate(name=name, **values)).id


def bare_org(admin: Conn, name: str = "Acme") -> UUID:
    """An organization inserted by the superuser, without the audit entry of its creation (which no service may
    delete); the caller commits it."""
    org = uuid.uuid4()
    admin.execute("INSERT INTO organizations (id, name) VALUES (%s, %s)", [org, name])
    return org


def with_limits(conn: Conn, org: UUID, **limits: Any) -> None:
    OrganizationSettingsRepo(conn).for_org(org).insert(OrganizationSettingsCreate(org_id=org, **limits))


def new_trunk(conn: Conn, org: UUID, **values: Any) -> SipTrunk:
    create = SipTrunkCreate(org_id=org, name=values.pop("name", unique("trunk-")), username=unique("sip-"), **values)
    return TrunkRepo(conn).for_org(org).insert(create)


def new_number(platform: Conn, **values: Any) -> UUID:
    """A number added to the inventory (held by no organization): platform work."""
    number = values.pop("number", None) or f"+1{uuid.uuid4().int % 10**10:010d}"
    with platform_work(platform):
        return PhoneNumberRepo(platform).insert(PhoneNumberCreate(number=number, country_code="1", **values)).id


def add_rates(platform: Conn, rates: list[LcrRateCreate]) -> None:
    """Rates added to the shared rate deck: platform work."""
    with platform_work(platform):
        LcrRateRepo(platform).insert_many(rates)


def this_month() -> date:
    """The first day of the current month: its partition exists whatever day the database was migrated."""
    return datetime.now(UTC).date().replace(day=1)


def last_month() -> date:
    return (this_month() - timedelta(days=1)).replace(day=1)


def month_range(first: date) -> tuple[datetime, datetime]:
    start = datetime(first.year, first.month, 1, tzinfo=UTC)
    following = (first + timedelta(days=32)).replace(day=1)
    return start, datetime(following.year, following.month, 1, tzinfo=UTC)


def explain(
    conn: Conn, sql: str, params: dict[str, Any], *, generic: bool = False, types: dict[str, str] | None = None
) -> dict[str, Any]:
    """The plan of a statement with its parameters.

    ``generic``: the plan a prepared statement reuses whatever its parameters (``PREPARE``, with ``types`` for the
    parameters the server cannot infer, ``plan_cache_mode = force_generic_plan``, then ``EXPLAIN EXECUTE``): what
    runs once a statement has been executed often. Without it, the plan made for these very values.
    """
    if not generic:
        row = conn.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()
    else:
        names: list[str] = []

        def placeholder(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        numbered = re.sub(r"%\((\w+)\)s", placeholder, sql)
        declared = ", ".join((types or {}).get(n, "unknown") for n in names)
        conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        conn.execute(f"PREPARE warp_explained ({declared}) AS {numbered}")
        try:
            values = pg_sql.SQL(", ").join(pg_sql.Literal(params[n]) for n in names)
            query = pg_sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE warp_explained ({})").format(values)
            row = conn.execute(query).fetchone()
        finally:
            conn.execute("DEALLOCATE warp_explained")
    assert row is not None
    found = row[0] if isinstance(row[0], list) else json.loads(row[0])
    plan: dict[str, Any] = found[0]["Plan"]
    return plan


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def run_threads(count: int, target: Callable[[int], None]) -> None:
    """Run ``target(i)`` in ``count`` threads started together; re-raise the first failure."""
    import threading

    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
