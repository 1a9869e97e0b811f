"""The model is the contract: what a create model accepts is stored and read back equal, what the database would
refuse is a ``ValidationError`` before any I/O, and what real platforms send is accepted.

Round trips run as the application login, through scoped repositories.
"""

from __future__ import annotations

import functools
import os
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from warp_models import (
    CdrCreate,
    MessageCreate,
    MessagingCampaignCreate,
    OrganizationCreate,
    PhoneNumberCreate,
    SipTrunkCreate,
    TrunkAclCreate,
    UserCreate,
)
from warp_repo.repos import CdrRepo, MessageRepo, OrganizationRepo, PhoneNumberRepo, TrunkRepo, UserRepo

NOW = datetime.now(UTC).replace(microsecond=0)
PROFILE = settings(
    max_examples=80,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _org(conn: psycopg.Connection[Any]) -> uuid.UUID:
    return OrganizationRepo(conn).insert(OrganizationCreate(name="Contract")).id


# --- what the database would refuse is refused first ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: OrganizationCreate(name="a\x00b"), "name"),
        (lambda: OrganizationCreate(name="x\ud800y"), "name"),
        (lambda: OrganizationCreate(name="ok", metadata={"k": "a\x00b"}), "metadata"),
        (lambda: OrganizationCreate(name="ok", metadata={"a\x00": 1}), "metadata"),
        (lambda: OrganizationCreate(name="ok", metadata={"k": float("nan")}), "metadata"),
        (lambda: OrganizationCreate(name="ok", metadata={"k": [1.0, float("inf")]}), "metadata"),
        (lambda: OrganizationCreate(name="ok", metadata={"\udcff": 1}), "metadata"),
        (lambda: SipTrunkCreate.model_validate({"org_id": uuid.uuid4(), "allowed_ips": [True]}), "allowed_ips"),
        (lambda: UserCreate.model_validate({"org_id": uuid.uuid4(), "email": "ops@pbx.invalid"}), "email"),
        (
            lambda: OrganizationCreate(name="ok", created_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=2)))),
            "created_at",
        ),
        (
            lambda: OrganizationCreate(
                name="ok", created_at=datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))
            ),
            "created_at",
        ),
        (
            lambda: TrunkAclCreate.model_validate(
                {"trunk_id": uuid.uuid4(), "ip_address": "fe80::1%eth0", "subnet_mask": 128}
            ),
            "ip_address",
        ),
        (
            lambda: MessagingCampaignCreate(
                org_id=uuid.uuid4(),
                name="c",
                from_number="+14155550123",
                recipient_list=["+14155550124"],
                message_template="t",
                delivered_count=1,
            ),
            None,
        ),
        (
            lambda: MessageCreate(
                message_id="m",
                org_id=uuid.uuid4(),
                from_number="+14155550123",
                to_number="+14155550124",
                direction="outbound",
                created_at=None,
            ),
            None,
        ),
    ],
    ids=[
        "nul",
        "surrogate",
        "json-nul",
        "json-key-nul",
        "nan",
        "infinity",
        "json-key-surrogate",
        "boolean-as-network",
        "email-at-invalid",
        "year-1-east",
        "year-9999-west",
        "ipv6-zone",
        "campaign-counts-against-default-total",
        "null-for-not-null",
    ],
)
def test_what_the_database_would_refuse_is_a_validation_error(make: Any, field: str | None) -> None:
    with pytest.raises(ValidationError) as caught:
        make()
    if field is not None:
        assert field in {error["loc"][0] for error in caught.value.errors()}


# --- what real platforms send is accepted, stored and read back -----------------------------------------------------


def test_real_call_and_message_parties_are_stored_and_read_back(conn: psycopg.Connection[Any]) -> None:
    org = _org(conn)
    calls = CdrRepo(conn).for_org(org)
    for caller, dialed in [
        ("anonymous", "*67"),
        ("Restricted", "#31#"),
        ("unavailable", "911"),
        ("+442071234567", "*72"),
    ]:
        made = calls.insert(
            CdrCreate(call_id=uuid.uuid4().hex, org_id=org, start_time=NOW, from_number=caller, to_number=dialed)
        )
        again = calls.get_one(made.id)
        assert (again.from_number, again.to_number) == (caller, dialed)
    messages = MessageRepo(conn).for_org(org)
    for sender in ["ACME", "Acme Bank", "A1", "12345", "+14155550123"]:
        sent = messages.insert(
            MessageCreate(
                message_id=uuid.uuid4().hex,
                org_id=org,
                from_number=sender,
                to_number="+14155550124",
                direction="outbound",
            )
        )
        assert messages.get_one(sent.id).from_number == sender


def test_codecs_are_case_insensitive_and_stored_canonically(conn: psycopg.Connection[Any]) -> None:
    org = _org(conn)
    trunk = (
        TrunkRepo(conn)
        .for_org(org)
        .insert(
            SipTrunkCreate.model_validate(  # as an SDP offer spells them
                {
                    "org_id": org,
                    "name": "t",
                    "username": f"acme&co={uuid.uuid4().hex[:6]}",
                    "codecs": ["opus", "pcmu", "G722"],
                }
            )
        )
    )
    assert trunk.codecs == ["OPUS", "PCMU", "G722"]
    assert TrunkRepo(conn).for_org(org).get_one(trunk.id).username == trunk.username


def test_mailboxes_on_the_platforms_own_hosts_are_stored_and_read_back(conn: psycopg.Connection[Any]) -> None:
    from warp_repo.testing import Factories

    users = Factories(7, conn=conn).for_table("users")
    for address, stored in [("root@localhost", "root@localhost"), ("NOC@PBX1.Local", "noc@pbx1.local")]:
        made = users.create(email=address)
        assert UserRepo(conn).for_org(made.org_id).get_one(made.id).email == stored


def test_canadian_numbers_have_their_province(conn: psycopg.Connection[Any]) -> None:
    org = _org(conn)
    number = (
        PhoneNumberRepo(conn)
        .for_org(org)
        .insert(PhoneNumberCreate(number=f"+1416{uuid.uuid4().int % 10**7:07d}", country_code="1", state="ON"))
    )
    assert PhoneNumberRepo(conn).for_org(org).get_one(number.id).state == "ON"


@pytest.mark.parametrize("bad", ["123456789012", "ACMECORPORATION", "   ", "AC-ME"])
def test_senders_that_are_neither_numbers_nor_sender_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        MessageCreate(
            message_id="m", org_id=uuid.uuid4(), from_number=bad, to_number="+14155550124", direction="outbound"
        )


# --- differential: what the model accepts, the database stores and reads back equal -------------------------------

SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
STORABLE = st.text(alphabet=st.characters(exclude_categories=SURROGATES, exclude_characters="\x00"), max_size=300)
TEXT = STORABLE | st.text(alphabet=st.characters(codec=None), max_size=40)  # NUL and lone surrogates too, at times
JSON_LEAF = st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats(allow_nan=True) | TEXT
JSON = st.recursive(
    JSON_LEAF, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=12
)
AWARE = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), timezone(timedelta(minutes=330))]
    ),
)


@PROFILE
@given(name=TEXT, metadata=st.dictionaries(TEXT, JSON, max_size=4), created=AWARE)
def test_every_accepted_organization_is_stored_and_read_back_equal(
    conn: psycopg.Connection[Any], name: str, metadata: dict[str, Any], created: datetime
) -> None:
    try:
        create = OrganizationCreate(name=name, metadata=metadata, created_at=created)
    except ValidationError:
        event("refused by the model")
        return  # refused before any I/O: nothing to compare
    event("stored and read back")
    with conn.transaction(force_rollback=True):
        made = OrganizationRepo(conn).insert(create)
        again = OrganizationRepo(conn).for_org(made.id).get_one(made.id)
    assert again.name == name
    assert _same_json(again.metadata, create.metadata)
    assert again.created_at == created.astimezone(UTC).replace(microsecond=created.microsecond)


def _same_json(stored: Any, given: Any) -> bool:
    """JSON equality as JSONB keeps it: numbers are decimals there, so a float whose value is whole (``6.6e16``)
    comes back as an int of that value; everything else comes back exactly."""
    if isinstance(given, float) or isinstance(stored, float):
        return isinstance(stored, int | float) and isinstance(given, int | float) and float(stored) == float(given)
    if isinstance(given, dict):
        return (
            isinstance(stored, dict)
            and stored.keys() == given.keys()
            and all(_same_json(stored[k], given[k]) for k in given)
        )
    if isinstance(given, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(given)
            and all(_same_json(a, b) for a, b in zip(stored, given, strict=True))
        )
    return bool(stored == given and type(stored) is type(given))


def _free_text_columns() -> list[tuple[str, str]]:
    """Every ``VARCHAR``/``TEXT`` column that is not a secret, a key, or a reference: the columns free text reaches."""
    from warp_models import TABLES
    from warp_models._columns import Text, Varchar, split_optional

    out = []
    for table, row in TABLES.items():
        for column in row.__columns__:
            inner, _ = split_optional(column.python_type)
            free = inner is str and isinstance(column.sql_type, Varchar | Text)
            platform_written = table in ("lcr_rates", "firmware_versions")
            if free and not column.col.secret and column.name not in row.primary_key() and not platform_written:
                out.append((table, column.name))
    return out


FREE_TEXT = _free_text_columns()


def _near_the_limit(column: tuple[str, str]) -> st.SearchStrategy[str]:
    """Text of every kind, with lengths up to a little past the column's ``VARCHAR`` limit."""
    from warp_models import TABLES
    from warp_models._columns import Varchar

    sql_type = TABLES[column[0]].column(column[1]).sql_type
    limit = sql_type.length + 2 if isinstance(sql_type, Varchar) else 400
    storable = st.text(alphabet=st.characters(exclude_categories=SURROGATES, exclude_characters="\x00"), max_size=limit)
    return storable | st.text(alphabet=st.characters(codec=None), max_size=limit)


@PROFILE
@given(data=st.data(), column=st.sampled_from(FREE_TEXT), seed=st.integers(0, 2**31))
def test_every_text_column_stores_what_its_model_accepts(
    conn: psycopg.Connection[Any], data: st.DataObject, column: tuple[str, str], seed: int
) -> None:
    """Any string the model takes for any text column of any table (multi-byte, around the length limit, NUL,
    surrogates) is stored and read back equal, through the factories' scoped repositories, as the application."""
    from warp_models._columns import OrgScoped
    from warp_repo.repos import REPOSITORIES
    from warp_repo.testing import Factories

    table, name = column
    text = data.draw(_near_the_limit(column), label="text")
    with conn.transaction(force_rollback=True):
        factories = Factories(seed, conn=conn)
        try:
            made = factories.for_table(table).create(**{name: text})
        except ValidationError:
            event("refused by the model")
            return
        event("stored and read back")
        assert getattr(made, name) == text, "the row the INSERT returned"
        tenant = made.__table_spec__.tenant
        if isinstance(tenant, OrgScoped):  # read it again in its organization (child rows: the RETURNING above)
            key = "id" if "id" in made.__column_map__ else made.primary_key()[0]
            again = REPOSITORIES[table](conn).for_org(getattr(made, tenant.column)).get_one(getattr(made, key))  # type: ignore[attr-defined]
            assert getattr(again, name) == text


# --- every other column of every table ------------------------------------------------------------------------------

INT32 = 2**31
NAIVE = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))


def _field_schema(shape: type[Any], name: str) -> dict[str, Any]:
    """The JSON schema the create model publishes for one field, ``null`` branch removed."""
    schema: dict[str, Any] = shape.model_json_schema(mode="validation")["properties"][name]
    for branch in schema.get("anyOf", []):
        if branch.get("type") != "null":
            return {**schema, **branch}
    return schema


def _numeric(precision: int, scale: int) -> st.SearchStrategy[Any]:
    """Decimals around the column's precision and scale: one digit too many on either side, at times."""
    bound = Decimal(10) ** (precision - scale)
    return st.integers(0, scale + 2).flatmap(
        lambda places: st.decimals(min_value=-bound - 1, max_value=bound + 1, places=places)
    ) | st.sampled_from([Decimal("NaN"), Decimal("Infinity"), bound, -bound, bound - Decimal(1).scaleb(-scale)])


def _column_values(table: str, name: str) -> st.SearchStrategy[Any]:
    """Values of every kind a caller may hand the create model for one column, accepted or not."""
    from warp_models import TABLES
    from warp_models._columns import Boolean, Date, Inet, Integer, Jsonb, Numeric, Text, Timestamp, Uuid, Varchar
    from warp_repo.testing import Factories

    column = TABLES[table].column(name)
    sql_type = column.sql_type
    shape = Factories(0).for_table(table).shape
    schema = _field_schema(shape, name)
    values: st.SearchStrategy[Any]
    if isinstance(sql_type, Integer):
        values = st.integers(-INT32 - 2, INT32 + 1) | st.sampled_from([-INT32 - 1, -INT32, -1, 0, 1, INT32 - 1, INT32])
    elif isinstance(sql_type, Numeric):
        values = _numeric(sql_type.precision, sql_type.scale)
    elif isinstance(sql_type, Boolean):
        values = st.booleans()
    elif isinstance(sql_type, Timestamp):
        values = AWARE | NAIVE
    elif isinstance(sql_type, Date):
        values = st.dates()
    elif isinstance(sql_type, Inet):
        values = st.ip_addresses() | st.ip_addresses().map(str)
    elif isinstance(sql_type, Uuid):
        values = st.uuids()
    elif isinstance(sql_type, Jsonb):
        values = JSON
    elif isinstance(sql_type, Varchar | Text):
        limit = sql_type.length + 2 if isinstance(sql_type, Varchar) else 400
        if "enum" in schema:  # a closed set: its members in any case, and strangers
            members = st.sampled_from(schema["enum"])
            values = members | members.map(str.swapcase) | st.text(max_size=limit)
        elif "pattern" in schema:  # a format: strings of that format of every length, and strangers
            values = st.from_regex(schema["pattern"], fullmatch=True) | _near_the_limit((table, name))
        else:
            values = _near_the_limit((table, name))
    else:  # pragma: no cover - a new SQL type needs a strategy here
        raise AssertionError(f"no strategy for {table}.{name} ({sql_type})")
    return st.none() | values if column.nullable else values


def _typed_columns() -> list[tuple[str, str]]:
    """Every column a caller writes that is not free text (``FREE_TEXT`` above): numbers, money, times, dates,
    addresses, documents, flags, closed sets and formats. Keys, references and secrets are the factories' to make."""
    from warp_models import TABLES
    from warp_models._columns import OrgScoped, ParentScoped
    from warp_models._references import foreign_keys

    out = []
    for table, row in TABLES.items():
        if table in ("lcr_rates", "firmware_versions"):  # platform-written: covered as the platform role
            continue
        linked = {name for key in foreign_keys(row) for name in key.columns}
        tenant = row.__table_spec__.tenant
        if isinstance(tenant, OrgScoped | ParentScoped):
            linked.add(tenant.column)
        for column in row.__columns__:
            keyed = column.name in row.primary_key() or column.name in linked or column.col.references
            if not keyed and not column.col.secret and (table, column.name) not in FREE_TEXT:
                out.append((table, column.name))
    return out


TYPED = _typed_columns()


@functools.cache
def _field_adapter(shape: type[BaseModel], name: str) -> TypeAdapter[Any]:
    """A validator of one field of a create model, constraints included."""
    field = shape.model_fields[name]
    return TypeAdapter(cast(Any, Annotated)[field.annotation, field])


def _same(stored: Any, given: Any) -> bool:
    if isinstance(given, BaseModel):
        return type(stored) is type(given) and bool(stored == given)
    if isinstance(given, list) and given and isinstance(given[0], BaseModel):
        return bool(stored == given)
    if isinstance(given, dict | list | float):
        return _same_json(stored, given)
    return bool(stored == given and type(stored) is type(given))


@settings(PROFILE, max_examples=300)  # about two values per column; 1,500 per run found nothing more
@given(data=st.data(), column=st.sampled_from(TYPED), seed=st.integers(0, 2**31))
def test_every_typed_column_stores_what_its_model_accepts(
    conn: psycopg.Connection[Any], data: st.DataObject, column: tuple[str, str], seed: int
) -> None:
    """Any value the create model takes for any column (numbers and money around their bounds, times near year 1
    and 9999 in any offset, IPv4/IPv6, documents, closed sets in any case, formats of any length) is stored and
    read back as the model normalised it, as the application; what the database would refuse the model refuses."""
    from warp_models._columns import OrgScoped
    from warp_repo.repos import REPOSITORIES
    from warp_repo.testing import Factories, Plan

    table, name = column
    value = data.draw(_column_values(table, name), label="value")
    with conn.transaction(force_rollback=True):
        factories = Factories(seed, conn=conn)
        factory = factories.for_table(table)
        plan = Plan()
        try:
            value = _field_adapter(factory.shape, name).validate_python(value)  # the column's own rules first
            create = factory.add(plan, **{name: value})  # then the row's, with the factory's other values
        except ValidationError:
            event("refused by the model")
            return
        event("stored and read back")
        expected = getattr(create, name)
        (made,) = factories.insert_plan(plan)
        assert _same(getattr(made, name), expected), f"{table}.{name}: {value!r} came back {getattr(made, name)!r}"
        tenant = made.__table_spec__.tenant
        if isinstance(tenant, OrgScoped):
            key = "id" if "id" in made.__column_map__ else made.primary_key()[0]
            again = REPOSITORIES[table](conn).for_org(getattr(made, tenant.column)).get_one(getattr(made, key))  # type: ignore[attr-defined]
            assert _same(getattr(again, name), expected)
