"""The trusted read path builds exactly the models validation builds, for every table, and never a model that lies.

Rows are made by the factories of every registered table (``TABLES``: a table declared later is covered without
editing this file), stored, read back as the driver loads them, and built both ways: ``Row.from_db`` (full
validation) and ``Row.from_db_trusted`` (what the repositories use by default). The two must agree field by field,
types included.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from warp_models import TABLES, OrganizationCreate, Row, SipTrunk, SipTrunkCreate, TrunkRegistration
from warp_repo._core.loading import session_in_utc, use_read_loaders
from warp_repo._core.queries import columns
from warp_repo._core.statements import info, parse_order, rows_of, select_rows
from warp_repo.repos import OrganizationRepo, TrunkRegistrationRepo, TrunkRepo
from warp_repo.testing import Factories

ROWS_PER_TABLE = 12
SEED = random.SystemRandom().randrange(2**32)


@pytest.fixture(autouse=True)
def seed_of_the_run() -> int:
    """The seed, printed so that any failure's report shows it (captured output): ``Factories(seed=...)`` replays it."""
    print(f"factories seed of this run: {SEED}")
    return SEED


def same_value(validated: Any, trusted: Any, where: str) -> None:
    """Equal and of the same type all the way down (a Decimal's exponent, a secret's text, a document's fields)."""
    assert type(validated) is type(trusted), f"{where}: {type(validated).__name__} != {type(trusted).__name__}"
    if isinstance(validated, SecretStr):
        assert validated.get_secret_value() == trusted.get_secret_value(), where
    elif isinstance(validated, Decimal):
        assert validated.as_tuple() == trusted.as_tuple(), where
    elif isinstance(validated, BaseModel):
        for name in type(validated).model_fields:
            same_value(getattr(validated, name), getattr(trusted, name), f"{where}.{name}")
    elif isinstance(validated, dict):
        assert list(validated) == list(trusted), where
        for key in validated:
            same_value(validated[key], trusted[key], f"{where}[{key!r}]")
    elif isinstance(validated, list | tuple):
        assert len(validated) == len(trusted), where
        for index, (a, b) in enumerate(zip(validated, trusted, strict=True)):
            same_value(a, b, f"{where}[{index}]")
    else:
        assert validated == trusted, where
        if hasattr(validated, "tzinfo"):
            assert validated.tzinfo is trusted.tzinfo, f"{where}: tzinfo"


def same_model(row: type[Row], stored: tuple[Any, ...]) -> None:
    """Both ways agree; every failure names the table and the run's seed (``Factories(seed=...)`` replays it)."""
    table = f"{row.__table_spec__.name} (seed {SEED})"
    names = [c.name for c in row.__columns__]
    validated = row.from_db(dict(zip(names, stored, strict=True)))
    trusted = row.from_db_trusted(stored)
    assert type(trusted) is row, table
    for name in names:
        same_value(getattr(validated, name), getattr(trusted, name), f"{table}.{name}")
    assert trusted.model_fields_set == validated.model_fields_set, table
    assert trusted == validated, table
    assert trusted.model_dump() == validated.model_dump(), table
    assert trusted.model_dump_json() == validated.model_dump_json(), table
    sent = trusted.to_db()
    assert list(sent) == names, table
    for name in names:
        value = getattr(validated, name)
        if value is None:
            expected = None
        elif row.column(name).is_jsonb:
            expected = validated.model_dump(mode="json", include={name})[name]
        elif isinstance(value, SecretStr):
            expected = value.get_secret_value()
        elif isinstance(value, datetime):
            expected = value.astimezone(UTC).replace(tzinfo=None)
        else:
            expected = value
        assert type(sent[name]) is type(expected) and sent[name] == expected, f"{table}.{name} as sent"


def stored_rows(conn: psycopg.Connection[Any], row: type[Row]) -> list[tuple[Any, ...]]:
    return conn.execute(f"SELECT {columns(row)} FROM {row.__table_spec__.name}").fetchall()


def rows_as_repositories_read(conn: psycopg.Connection[Any], row: type[Row]) -> list[tuple[Any, ...]]:
    """The same rows, in key order, loaded as a repository loads them on a session in UTC: the statement of
    ``list()`` (timestamps ``AT TIME ZONE 'UTC'``) and the repositories' loaders (addresses, documents)."""
    t = info(row)
    stmt = select_rows(row, (), False, parse_order(t, ()), False, None, True)
    conn.execute("SET TimeZone = 'UTC'")
    try:
        assert session_in_utc(conn)
        with conn.cursor() as cur:
            use_read_loaders(cur)
            return cur.execute(stmt.sql).fetchall()
    finally:
        conn.execute("RESET TimeZone")


class Stored:
    """Rows of each table as the driver loads them, made by the factories (with their parents) on first use."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url)
        self.factories = Factories(seed=SEED, conn=self.conn)
        self.rows: dict[str, list[tuple[Any, ...]]] = {}

    def __getitem__(self, table: str) -> list[tuple[Any, ...]]:
        if table not in self.rows:
            factory = self.factories.for_table(table)
            for _ in range(ROWS_PER_TABLE):
                factory.create()  # each with parents of its own: a one-per-parent table gets every row
            self.rows[table] = stored_rows(self.conn, TABLES[table])
        return self.rows[table]


@pytest.fixture(scope="module")
def stored(admin_url: str) -> Iterator[Stored]:
    made = Stored(admin_url)
    try:
        yield made
    finally:
        made.conn.rollback()
        made.conn.close()


@pytest.mark.parametrize("table", list(TABLES))
def test_trusted_models_equal_validated_models_for_stored_rows(table: str, stored: Stored) -> None:
    rows = stored[table]
    assert len(rows) >= ROWS_PER_TABLE, f"{table}: the factories stored too few rows to compare (seed {SEED})"
    for values in rows:
        same_model(TABLES[table], values)


@pytest.mark.parametrize("table", list(TABLES))
def test_rows_as_repositories_load_them_build_the_validated_models(table: str, stored: Stored) -> None:
    """What ``list()``/``get()``/``page()`` build (aware UTC timestamps and the read loaders' values) equals what
    validation builds from the values psycopg's own loaders give, field by field, types included."""
    row = TABLES[table]
    stored[table]
    key = info(row).key
    default = stored.conn.execute(f"SELECT {columns(row)} FROM {row.__table_spec__.name} ORDER BY {key}").fetchall()
    loaded = rows_as_repositories_read(stored.conn, row)
    assert len(loaded) == len(default) >= ROWS_PER_TABLE, f"{table} (seed {SEED})"
    names = [c.name for c in row.__columns__]
    for plain, fast in zip(default, loaded, strict=True):
        for value in fast:
            if isinstance(value, datetime):  # made aware by the driver, not by the trusted path
                assert value.tzinfo is UTC, f"{table} (seed {SEED})"
        validated = row.from_db(dict(zip(names, plain, strict=True)))
        trusted = row.from_db_trusted(fast)
        for name in names:
            same_value(getattr(validated, name), getattr(trusted, name), f"{table}.{name} (seed {SEED})")
        assert trusted == validated


@pytest.mark.parametrize("table", list(TABLES))
def test_trusted_models_equal_validated_models_with_nulls(table: str, stored: Stored) -> None:
    """Every nullable column, one at a time, stored as NULL."""
    row = TABLES[table]
    base = list(stored[table][0])
    for index, column in enumerate(row.__columns__):
        if column.nullable:
            values = list(base)
            values[index] = None
            try:
                row.from_db(dict(zip([c.name for c in row.__columns__], values, strict=True)))
            except ValidationError:
                continue  # a cross-column rule needs the value; the trusted path is not asked for such rows
            same_model(row, tuple(values))


def test_the_comparison_enumerates_the_registry() -> None:
    """A table declared later is compared too (and fails until it has a factory), never skipped."""
    marks = pytest.mark.parametrize("table", list(TABLES)).mark
    assert list(marks.args[1]) == list(TABLES)


# --- Values outside the model: never a model that lies about its type ---------------------------------------------


def trunk_values(stored: Stored, **changes: Any) -> tuple[Any, ...]:
    names = [c.name for c in SipTrunk.__columns__]
    values = dict(zip(names, stored["sip_trunks"][0], strict=True)) | changes
    return tuple(values[n] for n in names)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("status", "on-fire"),  # outside the closed set
        ("transport", 7),  # another type in a closed-set column
        ("metadata", ["not", "an", "object"]),  # a document of another shape
        ("codecs", ["PCMU", "NOT-A-CODEC"]),  # an item outside the closed set
        ("allowed_ips", ["not a network"]),
    ],
)
def test_a_stored_value_outside_the_model_raises_instead_of_building_a_model(
    stored: Stored, column: str, value: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        SipTrunk.from_db_trusted(trunk_values(stored, **{column: value}))
    assert {e["loc"][0] for e in caught.value.errors()} == {column}


def table_values(stored: Stored, table: str, **changes: Any) -> tuple[Any, ...]:
    names = [c.name for c in TABLES[table].__columns__]
    values = dict(zip(names, stored[table][0], strict=True)) | changes
    return tuple(values[n] for n in names)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("extensions", "settings", None),  # JSON null in a NOT NULL document column: loaded as None
        ("extensions", "allowed_call_classes", None),
        ("messaging_campaigns", "recipient_list", None),
        ("cdrs", "codecs_used", [{"a": 1}]),  # an item that cannot be a member of a closed set (not hashable)
        ("extensions", "allowed_call_classes", [["local"]]),
        ("cdrs", "mos_score", Decimal("NaN")),  # numeric(p, s) stores NaN; the model refuses it
        ("cdrs", "cost", Decimal("NaN")),
        ("billing_accounts", "current_balance", Decimal("NaN")),
        ("usage_records", "quantity", Decimal("-Infinity")),
    ],
)
def test_a_stored_value_a_field_refuses_ends_in_the_validation_error(
    stored: Stored, table: str, column: str, value: Any
) -> None:
    row = TABLES[table]
    values = table_values(stored, table, **{column: value})
    with pytest.raises(ValidationError) as caught:
        row.from_db_trusted(values)
    assert column in {e["loc"][0] for e in caught.value.errors()}, f"{table}.{column} (seed {SEED})"
    with pytest.raises(ValidationError):
        row.from_db(dict(zip([c.name for c in row.__columns__], values, strict=True)))


def test_a_stored_value_the_trusted_path_can_vouch_for_after_validation_is_validated(
    stored: Stored,
) -> None:
    """A codec stored in another spelling is respelled exactly as validation does it, not refused."""
    values = trunk_values(stored, codecs=["pcmu", "OPUS"])
    trusted = SipTrunk.from_db_trusted(values)
    assert trusted.codecs == ["PCMU", "OPUS"]
    same_model(SipTrunk, values)


# --- Strict mode: reads validated in full -------------------------------------------------------------------------


@pytest.fixture
def org_id(conn: psycopg.Connection[Any]) -> uuid.UUID:
    return OrganizationRepo(conn).insert(OrganizationCreate(name="Reads")).id


def test_strict_reads_refuse_a_pattern_the_trusted_path_takes_as_stored(
    conn: psycopg.Connection[Any], admin_conn: psycopg.Connection[Any], org_id: uuid.UUID
) -> None:
    conn.commit()
    trunk = TrunkRepo(conn).for_org(org_id).insert(SipTrunkCreate(org_id=org_id, name="t", username="strict-reads"))
    conn.commit()
    # Another system writes a user name the model's pattern refuses (a space is not allowed in a SIP user).
    admin_conn.execute("UPDATE sip_trunks SET username = 'has space' WHERE id = %s", (trunk.id,))
    admin_conn.commit()
    trusted = TrunkRepo(conn).for_org(org_id).get_one(trunk.id)
    assert trusted.username == "has space"
    with pytest.raises(ValidationError) as caught:
        TrunkRepo(conn, validate_reads=True).for_org(org_id).get_one(trunk.id)
    assert [e["loc"] for e in caught.value.errors()] == [("username",)]
    conn.rollback()


def test_a_closed_set_value_written_by_another_system_is_refused_on_every_path(
    conn: psycopg.Connection[Any], admin_conn: psycopg.Connection[Any], org_id: uuid.UUID
) -> None:
    conn.commit()
    trunk = TrunkRepo(conn).for_org(org_id).insert(SipTrunkCreate(org_id=org_id, name="t", username="closed-set"))
    conn.commit()
    admin_conn.execute("UPDATE sip_trunks SET status = 'on-fire' WHERE id = %s", (trunk.id,))
    admin_conn.commit()
    for repo in (TrunkRepo(conn), TrunkRepo(conn, validate_reads=True)):
        with pytest.raises(ValidationError) as caught:
            repo.for_org(org_id).list()
        assert [e["loc"] for e in caught.value.errors()] == [("status",)]
        conn.rollback()


def test_trunk_registrations_are_validated_on_read_by_default(conn: psycopg.Connection[Any]) -> None:
    """Registrations are written by the SIP proxy, not through the models: their repository validates reads."""
    assert TrunkRegistrationRepo.validate_reads is True
    assert TrunkRegistrationRepo(conn).validate_reads is True
    assert TrunkRegistrationRepo(conn, validate_reads=False).validate_reads is False
    assert TrunkRepo(conn).validate_reads is False
    make = rows_of(TrunkRegistration, True)(None)  # type: ignore[arg-type]
    names = [c.name for c in TrunkRegistration.__columns__]
    values = dict.fromkeys(names) | {"id": uuid.uuid4(), "trunk_id": uuid.uuid4(), "status": "on-fire"}
    with pytest.raises(ValidationError):
        make(tuple(values[n] for n in names))
