"""Every column's limits, derived from its declaration and checked against what the database would refuse.

These tests walk all 18 tables: each VARCHAR length, DECIMAL precision, INT range, closed set and NOT NULL is
tried at its edge, once with a value the database accepts and once with one it refuses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any, Literal, get_args, get_origin
from uuid import UUID

import pytest
from pydantic import Field, SecretStr, StringConstraints, TypeAdapter, ValidationError

from warp_models import TABLES, Column, Row
from warp_models._base import ModelDefinitionError
from warp_models._columns import (
    INET,
    INT,
    INT32_MAX,
    INT32_MIN,
    UUID_,
    Col,
    Integer,
    Jsonb,
    Numeric,
    TableSpec,
    Text,
    Varchar,
    _closed_pattern,
    split_optional,
)

ALL_COLUMNS = [(row, column) for row in TABLES.values() for column in row.__columns__]


def _id(item: tuple[type[Row], Column]) -> str:
    return f"{item[0].__table_spec__.name}.{item[1].name}"


def columns_where(predicate: Callable[[Column], bool]) -> pytest.MarkDecorator:
    chosen = [item for item in ALL_COLUMNS if predicate(item[1])]
    assert chosen, "the selection must not be empty"
    return pytest.mark.parametrize(("row", "column"), chosen, ids=[_id(i) for i in chosen])


@cache
def adapter(row: type[Row], name: str) -> TypeAdapter[Any]:
    column = row.column(name)
    annotated: Any = Annotated[column.python_type, column.col]
    return TypeAdapter(annotated)


def inner(column: Column) -> Any:
    return split_optional(column.python_type)[0]


def literal_values(column: Column) -> tuple[str, ...]:
    tp = inner(column)
    return get_args(tp) if get_origin(tp) is Literal else ()


def test_every_table_is_declared() -> None:
    assert len(TABLES) == 29  # the 18 of seed 003 and the 11 of the seed-000 domains
    assert sum(len(row.__columns__) for row in TABLES.values()) == len(ALL_COLUMNS) > 200


@columns_where(lambda c: isinstance(c.sql_type, Varchar) and inner(c) in (str, SecretStr))
def test_varchar_free_text_accepts_its_length_and_refuses_one_more(row: type[Row], column: Column) -> None:
    assert isinstance(column.sql_type, Varchar)
    n = column.sql_type.length
    adapter(row, column.name).validate_python("x" * n)
    with pytest.raises(ValidationError, match="at most"):
        adapter(row, column.name).validate_python("x" * (n + 1))


@columns_where(lambda c: isinstance(c.sql_type, Varchar))
def test_varchar_never_accepts_more_than_its_length(row: type[Row], column: Column) -> None:
    assert isinstance(column.sql_type, Varchar)
    with pytest.raises(ValidationError):
        adapter(row, column.name).validate_python("1" * (column.sql_type.length + 1))


@columns_where(lambda c: bool(literal_values(c)))
def test_closed_sets_fit_the_column_and_refuse_strangers(row: type[Row], column: Column) -> None:
    assert isinstance(column.sql_type, Varchar)
    for value in literal_values(column):
        assert len(value) <= column.sql_type.length
        assert adapter(row, column.name).validate_python(value) == value
    with pytest.raises(ValidationError):
        adapter(row, column.name).validate_python("no-such-value")


@columns_where(
    lambda c: c.col.default is not None and c.col.default.startswith("'") and not isinstance(c.sql_type, Jsonb)
)
def test_string_defaults_are_valid_values(row: type[Row], column: Column) -> None:
    assert column.col.default is not None
    value = column.col.default.strip("'")
    assert adapter(row, column.name).validate_python(value) == value


@columns_where(lambda c: isinstance(c.sql_type, Jsonb) and c.col.default is not None)
def test_json_defaults_are_valid_documents(row: type[Row], column: Column) -> None:
    assert column.col.default is not None
    document = json.loads(column.col.default.strip("'"))
    validated = adapter(row, column.name).validate_python(document)
    assert adapter(row, column.name).dump_python(validated, mode="json", exclude_defaults=False) is not None


@columns_where(lambda c: isinstance(c.sql_type, Numeric))
def test_decimal_scale_is_refused_not_rounded(row: type[Row], column: Column) -> None:
    assert isinstance(column.sql_type, Numeric)
    too_fine = Decimal(1).scaleb(-(column.sql_type.scale + 1))  # 0.000...1: one decimal place too many
    with pytest.raises(ValidationError) as caught:
        adapter(row, column.name).validate_python(too_fine)
    assert "decimal_max_places" in {e["type"] for e in caught.value.errors()}


@columns_where(lambda c: isinstance(c.sql_type, Numeric))
def test_decimal_precision_edge(row: type[Row], column: Column) -> None:
    numeric = column.sql_type
    assert isinstance(numeric, Numeric)
    integer_digits = numeric.precision - numeric.scale
    too_big = Decimal(10) ** integer_digits
    with pytest.raises(ValidationError):
        adapter(row, column.name).validate_python(too_big)
    largest = too_big - Decimal(1).scaleb(-numeric.scale)
    try:
        assert adapter(row, column.name).validate_python(largest) == largest
    except ValidationError as exc:  # a domain bound (MOS <= 5, percent <= 100) is tighter than the column
        assert {e["type"] for e in exc.errors()} <= {"less_than_equal", "less_than"}


@columns_where(lambda c: isinstance(c.sql_type, Integer))
def test_int_columns_refuse_what_int4_cannot_hold(row: type[Row], column: Column) -> None:
    validate = adapter(row, column.name).validate_python
    with pytest.raises(ValidationError):
        validate(INT32_MAX + 1)
    with pytest.raises(ValidationError):
        validate(INT32_MIN - 1)
    if inner(column) is int:
        assert validate(INT32_MAX) == INT32_MAX


@columns_where(lambda c: not c.nullable)
def test_not_null_columns_refuse_none(row: type[Row], column: Column) -> None:
    with pytest.raises(ValidationError):
        adapter(row, column.name).validate_python(None)


@columns_where(lambda c: c.nullable)
def test_nullable_columns_accept_none(row: type[Row], column: Column) -> None:
    assert adapter(row, column.name).validate_python(None) is None


def test_partitioned_tables_widen_their_keys() -> None:
    cdr, message, usage = TABLES["cdrs"], TABLES["messages"], TABLES["usage_records"]
    assert cdr.primary_key() == ("id", "start_time")
    assert ("call_id", "start_time") in cdr.unique_keys()
    assert message.primary_key() == ("id", "created_at")
    assert ("message_id", "created_at") in message.unique_keys()
    assert usage.primary_key() == ("id", "period_start")
    assert TABLES["sip_trunks"].primary_key() == ("id",)
    assert ("org_id", "name") in TABLES["sip_trunks"].unique_keys()


@columns_where(lambda c: isinstance(c.sql_type, Varchar | Text))
def test_text_columns_refuse_nul_and_lone_surrogates_with_or_without_a_pattern(row: type[Row], column: Column) -> None:
    """A column whose pattern admits only listed characters leaves the check to the pattern; every text column
    refuses what PostgreSQL text cannot hold, whichever refuses it."""
    validate = adapter(row, column.name).validate_python
    for bad in ("a\x00b", "\x00", "a\ud800", "\udfff"):
        with pytest.raises(ValidationError):
            validate(bad)


@pytest.mark.parametrize(
    ("pattern", "closed"),
    [
        (r"^(\+[1-9][0-9]{1,14}|[0-9]{3,8})$", True),
        (r"^(\*|[a-z][a-z_]*:(read|write|admin|\*))$", True),
        (r"^[A-Za-z0-9 ]{1,11}$", True),
        (r"^(?i:anonymous|unknown)$", True),
        (r"^[a-z]+\.example$", True),
        (r"^(https?|s3|gs)://[^\s]+$", False),  # a negated class
        (r"^.+$", False),
        (r"^[.]+x.y$", False),  # the second dot is any character
        (r"^\S+$", False),
        (r"^\W$", False),
        (r"^\D$", False),
        (r"^[\x00-\x7f]+$", False),  # a code point escape
        (r"^\u0000$", False),
        (r"^\p{L}+$", False),
        (r"^[[:^alpha:]]$", False),
        (r"^[a-z&&[^x]]$", False),  # a nested negated class
        ("^a\x00b$", False),  # a raw control character
        ("^é$", False),
        ("[a-z]+", False),  # searched anywhere: "ab\x00" holds a match
        ("^[a-z]+", False),
        ("[a-z]+$", False),
        ("^a|b$", False),  # an alternative outside a group escapes the anchors
        ("^(?m:[a-z]+)$", False),  # flags this check does not read
        ("(?m)^[a-z]+$", False),
        (r"^[a-z]+\$", False),  # an escaped dollar anchors nothing
    ],
)
def test_only_patterns_that_list_their_characters_count_as_closed(pattern: str, closed: bool) -> None:
    assert _closed_pattern(pattern) is closed


def test_an_unanchored_pattern_keeps_the_text_check() -> None:
    for pattern in ("[a-z]+", "^a|b$"):
        validate = TypeAdapter(Annotated[str, StringConstraints(pattern=pattern), Col(Varchar(20))]).validate_python
        with pytest.raises(ValidationError, match="NUL"):
            validate("ab\x00")


def test_an_inet_column_of_one_address_family_refuses_the_other() -> None:
    """The fast path for address objects is for the ``IpAddress`` union only; a narrower type keeps its check."""
    v4 = TypeAdapter(Annotated[IPv4Address, Col(INET)]).validate_python
    with pytest.raises(ValidationError):
        v4(IPv6Address("2001:db8::1"))
    assert v4(IPv4Address("192.0.2.1")) == IPv4Address("192.0.2.1")
    optional_v6 = TypeAdapter(Annotated[IPv6Address | None, Col(INET)]).validate_python
    with pytest.raises(ValidationError):
        optional_v6(IPv4Address("192.0.2.1"))


def test_a_bound_after_col_int_that_widens_the_range_is_refused_at_declaration() -> None:
    with pytest.raises(ModelDefinitionError, match="widens the INT range"):

        class Widened(Row):
            __table_spec__ = TableSpec("zz_widened_int")
            id: Annotated[UUID, Col(UUID_, primary_key=True)]
            count: Annotated[int, Col(INT), Field(le=10**12)]

    assert "zz_widened_int" not in TABLES
    with pytest.raises(ModelDefinitionError, match="widens the INT range"):

        class WidenedBelow(Row):
            __table_spec__ = TableSpec("zz_widened_int_below")
            id: Annotated[UUID, Col(UUID_, primary_key=True)]
            count: Annotated[int | None, Col(INT), Field(ge=-(10**12))]


def test_a_bound_before_col_int_is_kept_when_tighter() -> None:
    validate = TypeAdapter(Annotated[int, Field(le=10), Col(INT)]).validate_python
    with pytest.raises(ValidationError):
        validate(11)
    wide = TypeAdapter(Annotated[int, Field(le=10**12), Col(INT)]).validate_python
    with pytest.raises(ValidationError):
        wide(INT32_MAX + 1)
