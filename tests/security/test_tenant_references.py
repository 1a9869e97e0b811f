"""No write can make a row of organization A reference a row of organization B, through any path.

PostgreSQL checks foreign keys without row-level security, so the policies alone would let A name B's trunk,
user or API key. For every reference between tenant tables, every write API of the repositories (sync and async)
and raw SQL as the application login try to do exactly that; each attempt must be refused with a typed error,
nothing of it may stay, and B must still be able to delete its own rows afterwards.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, LiteralString
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg import sql

from tests.conftest import DatabaseFactory
from warp_models import Create, Update
from warp_models._base import TABLES
from warp_models._columns import OrgScoped
from warp_models._references import foreign_keys
from warp_models.devices import DeviceLine, DeviceUpdate
from warp_models.errors import WarpError
from warp_repo._core.repository_async import AsyncRepo
from warp_repo._core.repository_sync import Repo
from warp_repo._core.statements import driver_values
from warp_repo.errors import InvalidReference, PermissionDenied, TenantScopeError
from warp_repo.repos import ASYNC_REPOSITORIES, REPOSITORIES, DeviceRepo, ExtensionRepo
from warp_repo.testing import Factories

from .conftest import Logins, migrate_all

FACTORY = {
    "organizations": "organization",
    "users": "user",
    "api_keys": "api_key",
    "audit_logs": "audit_log",
    "sip_trunks": "trunk",
    "trunk_registrations": "trunk_registration",
    "trunk_acl": "trunk_acl",
    "phone_numbers": "phone_number",
    "e911_addresses": "e911_address",
    "routing_rules": "routing_rule",
    "cdrs": "cdr",
    "extensions": "extension",
    "device_configurations": "device_configuration",
    "devices": "device",
    "device_health_metrics": "device_health_metric",
    "voicemail_boxes": "voicemail_box",
    "voicemail_messages": "voicemail_message",
    "voicemail_transcriptions": "voicemail_transcription",
    "api_audit_logs": "api_audit_log",
}
PARENTS = (
    "users",
    "api_keys",
    "sip_trunks",
    "phone_numbers",
    "extensions",
    "device_configurations",
    "devices",
    "voicemail_boxes",
    "voicemail_messages",
)
"""The tables whose rows other tenant rows reference (besides organizations), parents before children."""


@dataclass(frozen=True)
class Link:
    """One reference from a tenant table to a row of another tenant table."""

    table: str
    column: str
    parent: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column}->{self.parent}"


def tenant_links() -> list[Link]:
    """Every foreign key from a tenant table to a tenant table, other than a row's own organization column."""
    out = []
    for name, row in TABLES.items():
        tenant = row.__table_spec__.tenant
        if tenant is None:
            continue
        for fk in foreign_keys(row):
            parent = TABLES[fk.parent]
            if parent.__table_spec__.tenant is None:
                continue
            if isinstance(tenant, OrgScoped) and fk.column == tenant.column and name != "organizations":
                continue  # the row's own organization: stamped by for_org, checked by the tenant policy
            out.append(Link(name, fk.column, fk.parent))
    return out


LINKS = tenant_links()
APIS = ("insert", "insert_many", "update", "upsert", "upsert_many", "copy_in")


def test_every_reference_between_tenant_tables_is_covered() -> None:
    """A new foreign key between tenant tables must join this test (and be made tenant-safe)."""
    assert sorted(map(str, LINKS)) == [
        "api_audit_logs.api_key_id->api_keys",
        "api_audit_logs.user_id->users",
        "api_keys.user_id->users",
        "audit_logs.api_key_id->api_keys",
        "audit_logs.user_id->users",
        "cdrs.trunk_id->sip_trunks",
        "device_configurations.parent_id->device_configurations",
        "device_health_metrics.device_id->devices",
        "devices.configuration_id->device_configurations",
        "devices.primary_extension_id->extensions",
        "devices.user_id->users",
        "e911_addresses.phone_number_id->phone_numbers",
        "extensions.user_id->users",
        "organizations.parent_org_id->organizations",
        "phone_numbers.trunk_id->sip_trunks",
        "routing_rules.trunk_id->sip_trunks",
        "sip_trunks.failover_trunk_id->sip_trunks",
        "trunk_acl.trunk_id->sip_trunks",
        "trunk_registrations.trunk_id->sip_trunks",
        "voicemail_boxes.extension_id->extensions",
        "voicemail_boxes.user_id->users",
        "voicemail_messages.box_id->voicemail_boxes",
        "voicemail_transcriptions.message_id->voicemail_messages",
    ]
    # Each reference to a tenant table that has its own org_id is stored with the organization in the key.
    for link in LINKS:
        row = TABLES[link.table]
        fk = next(k for k in foreign_keys(row) if k.column == link.column)
        if isinstance(row.__table_spec__.tenant, OrgScoped) and link.table != "organizations":
            assert fk.same_org, link


@dataclass
class World:
    """Two organizations with parent rows each, and for A one row of every child table."""

    admin_url: str
    app_url: str
    platform_url: str
    a: UUID
    b: UUID
    parents: dict[UUID, dict[str, UUID]]
    children: dict[str, UUID]
    factories: Factories

    def build(self, table: str, org: UUID, **overrides: Any) -> Create:
        """A valid create of ``table`` for ``org``, every reference pointing at ``org``'s rows."""
        row = TABLES[table]
        values: dict[str, Any] = {}
        tenant = row.__table_spec__.tenant
        if isinstance(tenant, OrgScoped) and table != "organizations":
            values[tenant.column] = org
        for fk in foreign_keys(row):
            if fk.parent in PARENTS and fk.column not in values:
                values[fk.column] = self.parents[org].get(fk.parent)
        if table == "sip_trunks":
            values["failover_trunk_id"] = None
        if table == "device_configurations":
            values["parent_id"] = None
        if table == "voicemail_boxes":
            values["extension_id"] = None  # unique: the organization's extension may have its box already
        if table == "organizations":
            values["parent_org_id"] = None
        values |= overrides
        made: Create = getattr(self.factories, FACTORY[table]).build(**values)
        return made

    def key_of(self, create: Create) -> UUID:
        """The key of the row ``create`` would make."""
        row = create.__row__
        key = "id" if "id" in row.__column_map__ else row.primary_key()[0]
        value = getattr(create, key)
        assert isinstance(value, UUID)
        return value


def _insert_as_admin(conn: psycopg.Connection[Any], create: Create) -> None:
    values = driver_values(create)
    table = create.__row__.__table_spec__.name
    conn.execute(
        sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, values)),
            sql.SQL(", ").join(sql.Placeholder() * len(values)),
        ),
        list(values.values()),
    )


@pytest.fixture(scope="module")
def world(create_database: DatabaseFactory, logins: Logins) -> World:
    url = create_database()
    migrate_all(url)
    factories = Factories(seed=16)
    a, b = uuid4(), uuid4()
    parents: dict[UUID, dict[str, UUID]] = {}
    children: dict[str, UUID] = {}
    made = World(url, logins.url(url, "warp_app"), logins.url(url, "warp_platform"), a, b, {}, {}, factories)
    with psycopg.connect(url) as conn:
        for org in (a, b):
            _insert_as_admin(conn, factories.organization.build(id=org, parent_org_id=None))
            parents[org] = {}
            made.parents = parents
            for table in PARENTS:
                create = made.build(table, org)
                _insert_as_admin(conn, create)
                parents[org][table] = made.key_of(create)
        for link in LINKS:
            if link.table in children or link.table == "organizations":
                continue
            # trunk_registrations is keyed by its trunk: A's row sits on a trunk of its own.
            extra: dict[str, Any] = {}
            if link.table == "trunk_registrations":
                trunk = made.build("sip_trunks", a)
                _insert_as_admin(conn, trunk)
                extra["trunk_id"] = made.key_of(trunk)
            if link.table == "e911_addresses":
                number = made.build("phone_numbers", a)
                _insert_as_admin(conn, number)
                extra["phone_number_id"] = made.key_of(number)
            create = made.build(link.table, a, **extra)
            _insert_as_admin(conn, create)
            children[link.table] = made.key_of(create)
        conn.commit()
    children["organizations"] = a
    made.children = children
    return made


REFUSED = (TenantScopeError, InvalidReference, PermissionDenied)


def _attempt(world: World, link: Link, api: str, repo_of: Callable[[str], Any]) -> Callable[[], Any]:
    """A write through ``api`` that would make A's row reference B's (call it to run it)."""
    bad = world.parents[world.b].get(link.parent, world.b)
    repo = repo_of(link.table)
    if link.table == "organizations":
        new_org = uuid4()
        scope = new_org
        create = world.build("organizations", new_org, id=new_org, parent_org_id=bad)
    else:
        scope = world.a
        extra: dict[str, Any] = {link.column: bad}
        create = world.build(link.table, world.a, **extra)
    scoped = repo.for_org(scope)
    if api == "update":
        if link.column not in REPOSITORIES[link.table].update_model.model_fields:
            pytest.skip(f"{link.column} is {link.table}'s primary key: no update changes it")
        update: Update = REPOSITORIES[link.table].update_model.model_validate({link.column: bad})
        return lambda: repo.for_org(world.a).update(world.children[link.table], update)
    if api in ("insert", "upsert"):
        return lambda: getattr(scoped, api)(create)
    return lambda: getattr(scoped, api)([create])


def _check_refusal(error: BaseException) -> None:
    assert isinstance(error, WarpError)
    assert error.__cause__ is None or isinstance(error.__cause__, psycopg.Error)


def _sync_repo(conn: psycopg.Connection[Any]) -> Callable[[str], Repo[Any, Any, Any]]:
    return lambda table: REPOSITORIES[table](conn)


def _async_repo(conn: psycopg.AsyncConnection[Any]) -> Callable[[str], AsyncRepo[Any, Any, Any]]:
    return lambda table: ASYNC_REPOSITORIES[table](conn)


@pytest.fixture
def app(world: World) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(world.app_url) as conn:
        yield conn


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("link", LINKS, ids=str)
def test_sync_writes_cannot_link_two_tenants(world: World, app: psycopg.Connection[Any], link: Link, api: str) -> None:
    call = _attempt(world, link, api, _sync_repo(app))
    with pytest.raises(REFUSED) as caught:
        call()
    _check_refusal(caught.value)
    app.rollback()
    _assert_no_cross_links(world)


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("link", LINKS, ids=str)
def test_async_writes_cannot_link_two_tenants(world: World, link: Link, api: str) -> None:
    async def main() -> None:
        conn = await psycopg.AsyncConnection.connect(world.app_url)
        try:
            call = _attempt(world, link, api, _async_repo(conn))
            with pytest.raises(REFUSED) as caught:
                await call()
            _check_refusal(caught.value)
            await conn.rollback()
        finally:
            await conn.close()

    asyncio.run(main())
    _assert_no_cross_links(world)


@pytest.mark.parametrize("link", LINKS, ids=str)
def test_raw_sql_as_the_application_cannot_link_two_tenants(
    world: World, app: psycopg.Connection[Any], link: Link
) -> None:
    bad = world.parents[world.b].get(link.parent, world.b)
    row = TABLES[link.table]
    key = "id" if "id" in row.__column_map__ else row.primary_key()[0]
    if link.table == "organizations":
        new_org = uuid4()
        scope, create = new_org, world.build("organizations", new_org, id=new_org, parent_org_id=bad)
    else:
        scope, create = world.a, world.build(link.table, world.a, **{link.column: bad})
    values = driver_values(create)
    insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(link.table),
        sql.SQL(", ").join(map(sql.Identifier, values)),
        sql.SQL(", ").join(sql.Placeholder() * len(values)),
    )
    update = sql.SQL("UPDATE {} SET {} = %s WHERE {} = %s").format(
        sql.Identifier(link.table), sql.Identifier(link.column), sql.Identifier(key)
    )
    for statement, params, tenant in (
        (insert, list(values.values()), scope),
        (update, [bad, world.children[link.table]], world.a),
    ):
        with pytest.raises(psycopg.Error) as caught:
            _as_tenant(app, tenant, statement, params)
        assert caught.value.sqlstate in {"23503", "42501"}, caught.value
    app.rollback()
    _assert_no_cross_links(world)


def _as_tenant(app: psycopg.Connection[Any], tenant: UUID, statement: sql.Composed, params: list[Any]) -> None:
    """Run ``statement`` in a transaction of ``tenant``; an UPDATE that changed nothing raises too (not a link)."""
    with app.transaction():
        app.execute("SELECT set_config('warp.org_id', %s, true)", (str(tenant),))
        if app.execute(statement, params).rowcount == 0:
            raise psycopg.errors.InsufficientPrivilege("no row changed")


def test_the_platform_role_may_set_a_parent_organization(world: World) -> None:
    """The documented rule: parent_org_id is the platform role's to set, never a tenant's."""
    from warp_repo.repos import OrganizationRepo

    child = uuid4()
    with psycopg.connect(world.platform_url) as conn:
        conn.execute("SELECT set_config('warp.platform', 'on', true)")
        made = (
            OrganizationRepo(conn)
            .for_org(child)
            .insert(
                world.build("organizations", child, id=child, parent_org_id=world.b)  # type: ignore[arg-type]
            )
        )
        assert made.parent_org_id == world.b
        conn.rollback()


def test_b_can_still_delete_its_own_rows(world: World) -> None:
    """After every attempt above, nothing of A points at B: B's parents go without InvalidReference."""
    _assert_no_cross_links(world)
    with psycopg.connect(world.app_url) as conn:
        for table in reversed(PARENTS):
            assert REPOSITORIES[table](conn).for_org(world.b).delete(world.parents[world.b][table])  # type: ignore[attr-defined]
        conn.rollback()


def _assert_no_cross_links(world: World) -> None:
    """As the superuser (who sees every row): no stored row references a row of another organization."""
    checks = {
        "organizations.parent_org_id->organizations": "SELECT count(*) FROM organizations WHERE parent_org_id = %s",
    }
    with psycopg.connect(world.admin_url) as conn:
        for link in LINKS:
            if str(link) in checks:
                found = conn.execute(checks[str(link)], (world.b,)).fetchone()
            else:
                row = TABLES[link.table]
                key = "id" if "id" in row.__column_map__ else row.primary_key()[0]
                query = sql.SQL("SELECT count(*) FROM {} WHERE {} = ANY(%(b)s) AND NOT {} = ANY(%(b)s)").format(
                    sql.Identifier(link.table), sql.Identifier(link.column), sql.Identifier(key)
                )
                found = conn.execute(query, {"b": list(world.parents[world.b].values())}).fetchone()
            assert found is not None and found[0] == 0, f"{link}: a row of A references B"


# --- devices.lines: extension ids inside a JSON document ---------------------------------------------------------
#
# No foreign key reaches inside devices.lines, so migration 20261206_015 checks it with a trigger pair
# (warp_device_lines_same_org): a line names an extension of the device's own organization, and a named extension
# cannot be deleted. The same write APIs and raw SQL try to name B's extension from A's device.

LINES_RULE = "warp_device_lines_same_org"


def _line_to(extension: UUID, line: int = 2) -> DeviceLine:
    return DeviceLine(line=line, extension_id=extension)


def _lines_attempt(world: World, api: str, repo_of: Callable[[str], Any], extension: UUID) -> Callable[[], Any]:
    """A write through ``api`` of one of A's devices whose line 2 names ``extension``."""
    scoped = repo_of("devices").for_org(world.a)
    if api == "update":
        update = DeviceUpdate(lines=[_line_to(extension)])
        return lambda: scoped.update(world.children["devices"], update)
    create = world.build("devices", world.a, lines=[_line_to(extension)])
    if api in ("insert", "upsert"):
        return lambda: getattr(scoped, api)(create)
    return lambda: getattr(scoped, api)([create])


def _check_lines_refusal(error: BaseException) -> None:
    """Refused as a foreign key would be: ``InvalidReference``, SQLSTATE 23503, naming the rule and the line."""
    assert isinstance(error, InvalidReference), repr(error)
    assert error.sqlstate == "23503" and error.constraint == LINES_RULE, (error.sqlstate, error.constraint)
    cause = error.__cause__
    assert isinstance(cause, psycopg.Error), repr(cause)
    assert "line 2" in str(cause) and "device's organization" in str(cause), str(cause)
    assert "line 2" in str(error) and "device's organization" in str(error), "the SDK's message says it too"


@pytest.mark.parametrize("api", APIS)
def test_sync_writes_cannot_put_another_tenants_extension_on_a_device(
    world: World, app: psycopg.Connection[Any], api: str
) -> None:
    call = _lines_attempt(world, api, _sync_repo(app), world.parents[world.b]["extensions"])
    with pytest.raises(InvalidReference) as caught:
        call()
    _check_lines_refusal(caught.value)
    app.rollback()
    _assert_no_cross_lines(world)


@pytest.mark.parametrize("api", APIS)
def test_async_writes_cannot_put_another_tenants_extension_on_a_device(world: World, api: str) -> None:
    async def main() -> None:
        conn = await psycopg.AsyncConnection.connect(world.app_url)
        try:
            call = _lines_attempt(world, api, _async_repo(conn), world.parents[world.b]["extensions"])
            with pytest.raises(InvalidReference) as caught:
                await call()
            _check_lines_refusal(caught.value)
            await conn.rollback()
        finally:
            await conn.close()

    asyncio.run(main())
    _assert_no_cross_lines(world)


def _raw_lines(line: int, extension: object) -> str:
    return json.dumps([{"line": line, "extension_id": extension}])


def test_raw_sql_as_the_application_cannot_put_another_tenants_extension_on_a_device(
    world: World, app: psycopg.Connection[Any]
) -> None:
    """INSERT and UPDATE, with B's id, an unknown id, a non-canonical spelling of A's id and no id at all."""
    own = world.parents[world.a]["extensions"]
    device = world.children["devices"]
    insert = sql.Composed(
        [sql.SQL("INSERT INTO devices (org_id, mac_address, lines) VALUES (%s, '02:00:00:00:15:01', %s)")]
    )
    update = sql.Composed([sql.SQL("UPDATE devices SET lines = %s WHERE id = %s")])
    for named in (str(world.parents[world.b]["extensions"]), str(uuid4()), str(own).upper(), own.hex, None):
        for statement, params in ((insert, [world.a, _raw_lines(3, named)]), (update, [_raw_lines(3, named), device])):
            with pytest.raises(psycopg.Error) as caught:
                _as_tenant(app, world.a, statement, params)
            assert caught.value.sqlstate == "23503", caught.value
            assert caught.value.diag.constraint_name == LINES_RULE
            assert "line 3" in str(caught.value), str(caught.value)
    # A document that is not a list of lines is no list of references either.
    with pytest.raises(psycopg.errors.CheckViolation):
        _as_tenant(app, world.a, update, [json.dumps({"extension_id": str(own)}), device])
    app.rollback()
    _assert_no_cross_lines(world)


def test_a_device_names_its_own_organizations_extensions(world: World, app: psycopg.Connection[Any]) -> None:
    own = world.parents[world.a]["extensions"]
    devices = DeviceRepo(app).for_org(world.a)
    made = devices.insert(world.build("devices", world.a, lines=[_line_to(own), _line_to(own, 3)]))  # type: ignore[arg-type]
    assert [line.extension_id for line in made.lines] == [own, own]
    changed = devices.update(world.children["devices"], DeviceUpdate(lines=[_line_to(own, 4)]))
    assert [(line.line, line.extension_id) for line in changed.lines] == [(4, own)]
    app.rollback()


def test_a_named_extension_cannot_be_deleted_an_unnamed_one_can(world: World, app: psycopg.Connection[Any]) -> None:
    named = ExtensionRepo(app).for_org(world.a).insert(world.build("extensions", world.a))  # type: ignore[arg-type]
    spare = ExtensionRepo(app).for_org(world.a).insert(world.build("extensions", world.a))  # type: ignore[arg-type]
    DeviceRepo(app).for_org(world.a).update(world.children["devices"], DeviceUpdate(lines=[_line_to(named.id)]))
    extensions = ExtensionRepo(app).for_org(world.a)
    with pytest.raises(InvalidReference) as caught:
        extensions.delete(named.id)
    assert caught.value.sqlstate == "23503" and caught.value.constraint == LINES_RULE
    assert str(world.children["devices"]) in str(caught.value.__cause__)
    app.rollback()

    # Nothing of the refused delete stayed: the same steps with the line removed first delete both.
    named = ExtensionRepo(app).for_org(world.a).insert(world.build("extensions", world.a))  # type: ignore[arg-type]
    spare = ExtensionRepo(app).for_org(world.a).insert(world.build("extensions", world.a))  # type: ignore[arg-type]
    DeviceRepo(app).for_org(world.a).update(world.children["devices"], DeviceUpdate(lines=[_line_to(named.id)]))
    assert extensions.delete(spare.id)
    DeviceRepo(app).for_org(world.a).update(world.children["devices"], DeviceUpdate(lines=[]))
    assert extensions.delete(named.id)
    app.rollback()


def test_the_platform_role_cannot_put_another_tenants_extension_on_a_device(world: World) -> None:
    """With the platform reach every extension is visible: the organization comparison refuses B's for A."""
    theirs = world.parents[world.b]["extensions"]
    with psycopg.connect(world.platform_url) as conn:
        conn.execute("SELECT set_config('warp.platform', 'on', false)")
        assert conn.execute("SELECT count(*) FROM extensions WHERE id = %s", (theirs,)).fetchone() == (1,)
        devices = DeviceRepo(conn).for_org(world.a)
        calls: list[Callable[[], object]] = [
            lambda: devices.insert(world.build("devices", world.a, lines=[_line_to(theirs)])),  # type: ignore[arg-type]
            lambda: devices.update(world.children["devices"], DeviceUpdate(lines=[_line_to(theirs)])),
        ]
        for call in calls:
            with pytest.raises(InvalidReference) as caught:
                call()
            _check_lines_refusal(caught.value)
            conn.rollback()
            conn.execute("SELECT set_config('warp.platform', 'on', false)")
        # Raw SQL, and moving A's device (whose line names A's extension) to B.
        own = world.parents[world.a]["extensions"]
        for statement, params in (
            ("UPDATE devices SET lines = %s WHERE id = %s", [_raw_lines(2, str(theirs)), world.children["devices"]]),
            (
                "INSERT INTO devices (org_id, mac_address, lines) VALUES (%s, '02:00:00:00:15:02', %s)",
                [world.b, _raw_lines(2, str(own))],
            ),
        ):
            with pytest.raises(psycopg.errors.ForeignKeyViolation):
                conn.execute(statement, params)
            conn.rollback()
            conn.execute("SELECT set_config('warp.platform', 'on', false)")
        conn.execute(
            "UPDATE devices SET lines = %s WHERE id = %s", [_raw_lines(2, str(own)), world.children["devices"]]
        )
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("UPDATE devices SET org_id = %s WHERE id = %s", [world.b, world.children["devices"]])
        conn.rollback()
        # Nor may it delete an extension still named, or move it to another organization.
        conn.execute("SELECT set_config('warp.platform', 'on', false)")
        conn.execute(
            "UPDATE devices SET lines = %s WHERE id = %s", [_raw_lines(2, str(own)), world.children["devices"]]
        )
        guarded: list[tuple[LiteralString, list[Any]]] = [
            ("DELETE FROM extensions WHERE id = %s", [own]),
            ("UPDATE extensions SET org_id = %s WHERE id = %s", [world.b, own]),
        ]
        for statement, params in guarded:
            with pytest.raises(psycopg.errors.ForeignKeyViolation), conn.transaction():
                conn.execute(statement, params)
        conn.rollback()
    _assert_no_cross_lines(world)


def _assert_no_cross_lines(world: World) -> None:
    """As the superuser: every line of every device names an extension of the device's own organization."""
    with psycopg.connect(world.admin_url) as conn:
        found = conn.execute(
            "SELECT count(*) FROM devices d, jsonb_array_elements(d.lines) AS item(value) "
            "WHERE NOT EXISTS (SELECT 1 FROM extensions e "
            "                  WHERE e.org_id = d.org_id AND e.id::text = item.value ->> 'extension_id')"
        ).fetchone()
    assert found == (0,), "a device's line names no extension of its organization"


def test_a_line_being_written_holds_its_extension_against_a_concurrent_delete(
    world: World, app: psycopg.Connection[Any]
) -> None:
    """The device side locks the extension as a foreign key check does: a delete waits instead of slipping past."""
    own = world.parents[world.a]["extensions"]
    DeviceRepo(app).for_org(world.a).update(world.children["devices"], DeviceUpdate(lines=[_line_to(own)]))
    try:
        with psycopg.connect(world.admin_url) as other:
            other.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM extensions WHERE id = %s", (own,))
            other.rollback()
    finally:
        app.rollback()
