"""Start-up self-check: does the database itself keep each tenant's rows away from the others?

Row-level security protects nothing when the service connects as a role that skips it, or when one table of
twenty was left without a policy. :func:`check_security` reads the catalog and lists every way in which the
application role could reach another organization's rows; a service calls :func:`require_secure` before taking
traffic. The rules, each with a stable ``code``:

``app-role-missing``
    the application role does not exist (the migrations that create it were not applied).
``superuser`` / ``bypassrls``
    the application role, a role it can act as, or the connected login (when it is a member of the application
    role) is a superuser or has BYPASSRLS: PostgreSQL never applies row-level security to such a role.
``owns-table``
    one of those roles owns a tenant table or partition: an owner can turn row-level security off.
``table-missing``
    a table the models declare is not in the database.
``rls-disabled`` / ``rls-not-forced``
    a tenant table or partition does not enable, or does not force, row-level security.
``no-policy``
    a tenant table or partition has no permissive policy that applies to the application role.
``policy-not-tenant-keyed``
    a permissive policy that applies to the application role does not test ``warp.org_id``, so it lets rows of
    other organizations through (permissive policies add up).
``truncate-granted``
    the application role may ``TRUNCATE`` a tenant table, which ignores row-level security.
``reference-writable``
    the application role may write shared reference data (``lcr_rates``), which only the platform writes.
``view-bypasses-rls``
    a view or materialized view over a tenant table that the application role can read runs with its owner's
    rights (a view without ``security_invoker``), so its owner's reach is what the application sees.
``security-definer``
    a ``SECURITY DEFINER`` function the application role may call is owned by a role that skips row-level
    security.

The checks are planned without I/O (a generator that yields its queries), so one plan serves the sync and the
async connection.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

import psycopg

from warp_models._base import TABLES
from warp_models.errors import WarpError

__all__ = [
    "DEFAULT_APP_ROLE",
    "InsecureDatabase",
    "SecurityIssue",
    "check_security",
    "check_security_async",
    "reference_tables",
    "require_secure",
    "require_secure_async",
    "tenant_tables",
]

DEFAULT_APP_ROLE = "warp_app"
"""The application role's name unless the database sets ``warp.role_app`` (see migration 20261122_008)."""

_TENANT_SETTING = "warp.org_id"


def tenant_tables() -> tuple[str, ...]:
    """The tables that hold tenant data, as the models declare them (``TableSpec.tenant`` is set)."""
    return tuple(name for name, row in TABLES.items() if row.__table_spec__.tenant is not None)


def reference_tables() -> tuple[str, ...]:
    """The shared tables every tenant reads and only the platform writes (``TableSpec.tenant`` is None)."""
    return tuple(name for name, row in TABLES.items() if row.__table_spec__.tenant is None)


@dataclass(frozen=True)
class SecurityIssue:
    """One way in which the application role could reach rows of another organization.

    Attributes:
        code: the rule broken (see the module documentation), stable for scripts.
        message: what is wrong and how to fix it.
        table: the table, partition, view or function concerned, when there is one.
        role: the role concerned, when there is one.
    """

    code: str
    message: str
    table: str | None = None
    role: str | None = None

    def __str__(self) -> str:
        return f"{self.table or self.role or 'database'}: {self.message} [{self.code}]"


class InsecureDatabase(WarpError):
    """The database does not enforce tenant isolation for the application role; the service must not start.

    Attributes:
        issues: every problem found.
    """

    def __init__(self, issues: Sequence[SecurityIssue]) -> None:
        self.issues = tuple(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"tenant isolation is not enforced by the database ({len(self.issues)} issue(s)):\n{lines}")


@dataclass(frozen=True)
class _Query:
    sql: LiteralString
    params: Sequence[Any] = ()


_Rows = list[tuple[Any, ...]]
_Plan = Generator[_Query, _Rows, list[SecurityIssue]]

_WHO: LiteralString = (
    "SELECT current_user::text, coalesce(nullif(current_setting('warp.role_app', true), ''), %s)::text"
)
_ROLES: LiteralString = "SELECT oid, rolname::text, rolsuper, rolbypassrls FROM pg_roles"
_MEMBERSHIPS: LiteralString = "SELECT member, roleid FROM pg_auth_members"
_RELATIONS: LiteralString = """
SELECT roots.name, coalesce(tree.level, 0), c.oid, c.relname::text, c.relowner, c.relrowsecurity,
       c.relforcerowsecurity
  FROM unnest(%s::text[]) AS roots(name)
  JOIN pg_class root ON root.relname = roots.name AND root.relnamespace = current_schema()::regnamespace
       AND root.relkind IN ('r', 'p')
  LEFT JOIN LATERAL pg_partition_tree(root.oid) AS tree ON true  -- no rows for a table that is not partitioned
  JOIN pg_class c ON c.oid = coalesce(tree.relid, root.oid)
 ORDER BY roots.name, coalesce(tree.level, 0), c.relname
"""
_POLICIES: LiteralString = """
SELECT p.polrelid, p.polname::text, p.polpermissive, p.polroles, p.polcmd::text,
       pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
  FROM pg_policy p
 WHERE p.polrelid = ANY(%s::oid[])
"""
_PRIVILEGES: LiteralString = """
SELECT s.oid, c.oid,
       has_table_privilege(s.oid, c.oid, 'INSERT'), has_table_privilege(s.oid, c.oid, 'UPDATE'),
       has_table_privilege(s.oid, c.oid, 'DELETE'), has_table_privilege(s.oid, c.oid, 'TRUNCATE')
  FROM unnest(%s::oid[]) AS s(oid), unnest(%s::oid[]) AS c(oid)
"""
_VIEWS: LiteralString = """
SELECT DISTINCT v.oid::regclass::text, v.relkind::text, coalesce(v.reloptions, '{}'::text[]), base.relname::text,
       EXISTS (SELECT 1 FROM unnest(%s::oid[]) AS s(oid) WHERE has_table_privilege(s.oid, v.oid, 'SELECT'))
  FROM pg_depend d
  JOIN pg_rewrite r ON r.oid = d.objid
  JOIN pg_class v ON v.oid = r.ev_class
  JOIN pg_class base ON base.oid = d.refobjid
 WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
   AND d.refobjid = ANY(%s::oid[]) AND v.oid <> d.refobjid AND v.relkind IN ('v', 'm')
"""
_DEFINERS: LiteralString = """
SELECT p.oid::regprocedure::text, p.proowner
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND EXISTS (SELECT 1 FROM unnest(%s::oid[]) AS s(oid) WHERE has_function_privilege(s.oid, p.oid, 'EXECUTE'))
"""

_INVOKER_ON = re.compile(r"^security_invoker=(true|on|yes|1)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Role:
    oid: int
    name: str
    superuser: bool
    bypassrls: bool


@dataclass(frozen=True)
class _Relation:
    root: str
    level: int
    oid: int
    name: str
    owner: int
    rls: bool
    forced: bool

    @property
    def what(self) -> str:
        return f"partition {self.name} of {self.root}" if self.level else f"table {self.name}"


@dataclass(frozen=True)
class _Policy:
    name: str
    permissive: bool
    roles: tuple[int, ...]
    command: str
    using: str | None
    check: str | None


def _reachable(start: int, edges: Mapping[int, set[int]]) -> set[int]:
    """``start`` and every role it is a member of, directly or through other roles."""
    seen = {start}
    todo = [start]
    while todo:
        for parent in edges.get(todo.pop(), set()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _plan(app_role: str | None) -> _Plan:
    """Query the catalog and judge it; yields queries, receives their rows, returns the issues."""
    ((current_user, configured),) = yield _Query(_WHO, (DEFAULT_APP_ROLE,))
    app_name: str = app_role or configured
    roles = {row[0]: _Role(*row) for row in (yield _Query(_ROLES))}
    by_name = {role.name: role for role in roles.values()}
    edges: dict[int, set[int]] = {}
    for member, group in (yield _Query(_MEMBERSHIPS)):
        edges.setdefault(member, set()).add(group)

    issues: list[SecurityIssue] = []
    app = by_name.get(app_name)
    subjects: list[_Role] = []
    if app is None:
        issues.append(
            SecurityIssue(
                "app-role-missing",
                f"the application role {app_name} does not exist: apply the migrations (20261122_008 creates it) "
                "or pass the right name (app_role=..., or warp.role_app on the database)",
                role=app_name,
            )
        )
    else:
        subjects.append(app)
        login = by_name.get(current_user)
        if login is not None and login.oid != app.oid and app.oid in _reachable(login.oid, edges):
            subjects.append(login)  # the service's own login: what it can become matters as much
    acting = {oid for subject in subjects for oid in _reachable(subject.oid, edges)}
    for oid in sorted(acting, key=lambda o: roles[o].name):
        role = roles[oid]
        if role.superuser:
            issues.append(
                SecurityIssue(
                    "superuser",
                    f"{_as(role, subjects)} is a superuser: PostgreSQL never applies row-level security to it; "
                    "connect the service as a login that is only a member of the application role",
                    role=role.name,
                )
            )
        if role.bypassrls:
            issues.append(
                SecurityIssue(
                    "bypassrls",
                    f"{_as(role, subjects)} has BYPASSRLS, so no policy applies to it: ALTER ROLE {role.name} "
                    "NOBYPASSRLS",
                    role=role.name,
                )
            )

    tenants, references = tenant_tables(), reference_tables()
    relations = [_Relation(*row) for row in (yield _Query(_RELATIONS, ([*tenants, *references],)))]
    present = {relation.root for relation in relations}
    issues.extend(
        SecurityIssue(
            "table-missing", f"the table {name} is not in the current schema: apply the migrations", table=name
        )
        for name in (*tenants, *references)
        if name not in present
    )
    tenant_relations = [r for r in relations if r.root in tenants]
    oids = [r.oid for r in relations]
    policies: dict[int, list[_Policy]] = {}
    for relid, name, permissive, polroles, command, using, check in (yield _Query(_POLICIES, (oids,))):
        policies.setdefault(relid, []).append(_Policy(name, permissive, tuple(polroles), command, using, check))
    applies_to = {0} | acting  # 0 is PUBLIC in pg_policy.polroles

    for relation in tenant_relations:
        issues.extend(_judge_relation(relation, policies.get(relation.oid, []), applies_to, acting, roles, app_name))

    subject_oids = [s.oid for s in subjects]
    if subject_oids:
        for subject_oid, relid, insert, update, delete, truncate in (yield _Query(_PRIVILEGES, (subject_oids, oids))):
            relation = next(r for r in relations if r.oid == relid)
            who = roles[subject_oid].name
            if relation.root in references and (insert or update or delete or truncate):
                issues.append(
                    SecurityIssue(
                        "reference-writable",
                        f"{who} may write the shared reference {relation.what}; only the platform writes it: "
                        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {relation.name} FROM {who}",
                        table=relation.name,
                        role=who,
                    )
                )
            elif relation.root in tenants and truncate:
                issues.append(
                    SecurityIssue(
                        "truncate-granted",
                        f"{who} may TRUNCATE {relation.what}, which ignores row-level security: "
                        f"REVOKE TRUNCATE ON {relation.name} FROM {who}",
                        table=relation.name,
                        role=who,
                    )
                )
        tenant_oids = [r.oid for r in tenant_relations]
        for view, kind, options, base, readable in (yield _Query(_VIEWS, (subject_oids, tenant_oids))):
            invoker = kind == "v" and any(_INVOKER_ON.match(option) for option in options)
            if readable and not invoker:
                what = "materialized view" if kind == "m" else "view"
                fix = (
                    "drop it or revoke SELECT from the application role"
                    if kind == "m"
                    else f"ALTER VIEW {view} SET (security_invoker = true)"
                )
                issues.append(
                    SecurityIssue(
                        "view-bypasses-rls",
                        f"the {what} {view} reads the tenant table {base} with its owner's rights and the "
                        f"application role can read it: {fix}",
                        table=view,
                    )
                )
        for function, owner in (yield _Query(_DEFINERS, (subject_oids,))):
            owner_role = roles.get(owner)
            if owner_role is not None and (owner_role.superuser or owner_role.bypassrls):
                issues.append(
                    SecurityIssue(
                        "security-definer",
                        f"the SECURITY DEFINER function {function} runs as {owner_role.name}, which skips "
                        "row-level security, and the application role may call it: revoke EXECUTE, or make it "
                        "SECURITY INVOKER",
                        table=function,
                        role=owner_role.name,
                    )
                )
    return sorted(issues, key=lambda i: (i.table or "", i.role or "", i.code, i.message))


def _as(role: _Role, subjects: Sequence[_Role]) -> str:
    if role in subjects:
        return f"the role {role.name}"
    return f"the role {role.name}, which the application role can act as,"


def _judge_relation(
    relation: _Relation,
    policies: Iterable[_Policy],
    applies_to: set[int],
    acting: set[int],
    roles: Mapping[int, _Role],
    app_name: str,
) -> list[SecurityIssue]:
    issues: list[SecurityIssue] = []
    name = relation.name
    if relation.owner in acting:
        issues.append(
            SecurityIssue(
                "owns-table",
                f"{relation.what} is owned by {roles[relation.owner].name}, which the application role is or can "
                f"act as; an owner can switch row-level security off: ALTER TABLE {name} OWNER TO <the owner role>",
                table=name,
                role=roles[relation.owner].name,
            )
        )
    if not relation.rls:
        issues.append(
            SecurityIssue(
                "rls-disabled",
                f"{relation.what} does not enable row-level security: ALTER TABLE {name} ENABLE ROW LEVEL SECURITY",
                table=name,
            )
        )
    if not relation.forced:
        issues.append(
            SecurityIssue(
                "rls-not-forced",
                f"{relation.what} does not force row-level security, so its owner skips the policies: "
                f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY",
                table=name,
            )
        )
    applicable = [p for p in policies if p.permissive and applies_to.intersection(p.roles)]
    if not applicable:
        issues.append(
            SecurityIssue(
                "no-policy",
                f"{relation.what} has no permissive policy that applies to {app_name}; give it the tenant policy "
                f"(a partition: SELECT warp_secure_partition('{name}'))",
                table=name,
            )
        )
    for policy in applicable:
        expressions = [e for e in (policy.using, policy.check) if e is not None]
        if not expressions or any(f"'{_TENANT_SETTING}'" not in e for e in expressions):
            to = ", ".join(sorted("PUBLIC" if oid == 0 else roles[oid].name for oid in applies_to & set(policy.roles)))
            issues.append(
                SecurityIssue(
                    "policy-not-tenant-keyed",
                    f"the policy {policy.name} on {relation.what} applies to {to} ({app_name} is or can act as "
                    f"it) and does not test {_TENANT_SETTING}, so it lets other organizations' rows through",
                    table=name,
                )
            )
    return issues


def _run_sync(conn: psycopg.Connection[Any], plan: _Plan) -> list[SecurityIssue]:
    query = next(plan)
    with conn.transaction(), conn.cursor() as cur:
        while True:
            rows = cur.execute(query.sql, query.params).fetchall()
            try:
                query = plan.send(rows)
            except StopIteration as done:
                result: list[SecurityIssue] = done.value
                return result


async def _run_async(conn: psycopg.AsyncConnection[Any], plan: _Plan) -> list[SecurityIssue]:
    query = next(plan)
    async with conn.transaction(), conn.cursor() as cur:
        while True:
            await cur.execute(query.sql, query.params)
            rows = await cur.fetchall()
            try:
                query = plan.send(rows)
            except StopIteration as done:
                result: list[SecurityIssue] = done.value
                return result


def check_security(conn: psycopg.Connection[Any], app_role: str | None = None) -> list[SecurityIssue]:
    """List every way in which the application role could reach another organization's rows.

    Reads only the catalog (in a transaction of its own, or a savepoint when one is open) and changes nothing.
    Works from any connection: the service's own (its login is then checked too) or an administrator's.

    Args:
        conn: a connection to the WARP database.
        app_role: the application role; the database's ``warp.role_app`` setting, else ``warp_app``, when None.

    Returns:
        The issues, sorted by table; empty when the database enforces tenant isolation.
    """
    return _run_sync(conn, _plan(app_role))


async def check_security_async(conn: psycopg.AsyncConnection[Any], app_role: str | None = None) -> list[SecurityIssue]:
    """:func:`check_security` on an async connection."""
    return await _run_async(conn, _plan(app_role))


def require_secure(conn: psycopg.Connection[Any], app_role: str | None = None) -> None:
    """Refuse to start on a database that does not enforce tenant isolation (call it at start-up).

    Raises:
        InsecureDatabase: :func:`check_security` found issues; the message lists them.
    """
    issues = check_security(conn, app_role)
    if issues:
        raise InsecureDatabase(issues)


async def require_secure_async(conn: psycopg.AsyncConnection[Any], app_role: str | None = None) -> None:
    """:func:`require_secure` on an async connection."""
    issues = await check_security_async(conn, app_role)
    if issues:
        raise InsecureDatabase(issues)
