"""The column declaration: one ``Col`` per column, from which everything else is derived.

A table is a pydantic model whose fields are annotated ``Annotated[<python type>, Col(<sql type>, ...)]``. From
that single declaration come: the validation limits (VARCHAR length, DECIMAL precision, INT range), the nullability
(``None`` in the Python type), the SQLAlchemy ``Table``, the create/update shapes, the drift check's expectations
and the generated reference docs.
"""

from __future__ import annotations

import json
import math
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any, ClassVar, Literal, Optional, TypeVar, Union, cast, get_args, get_origin

import annotated_types as at
import sqlalchemy as sa
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    GetCoreSchemaHandler,
    SecretStr,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import core_schema
from sqlalchemy.dialects import postgresql as pg

_T = TypeVar("_T")

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


class SqlType:
    """A PostgreSQL column type as the seed writes it.

    Attributes:
        ddl: the type as written in DDL (``VARCHAR(255)``).
        catalog: the type as ``pg_catalog.format_type`` reports it (``character varying(255)``).
    """

    ddl: ClassVar[str] = ""
    catalog: ClassVar[str] = ""

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        """The SQLAlchemy type used for query building."""
        raise NotImplementedError

    def constraints(self) -> tuple[Any, ...]:
        """Validation metadata that makes pydantic refuse what the database would refuse."""
        return ()

    def describe(self) -> str:
        """The DDL spelling, for messages and docs."""
        return self.ddl

    def catalog_name(self) -> str:
        """The ``format_type`` spelling, for the drift check."""
        return self.catalog


@dataclass(frozen=True)
class Varchar(SqlType):
    """``VARCHAR(n)``: strings longer than ``n`` characters are refused."""

    length: int

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.String(self.length)

    def constraints(self) -> tuple[Any, ...]:
        return (at.MaxLen(self.length), AfterValidator(storable_text))

    def describe(self) -> str:
        return f"VARCHAR({self.length})"

    def catalog_name(self) -> str:
        return f"character varying({self.length})"


@dataclass(frozen=True)
class Numeric(SqlType):
    """``DECIMAL(p, s)``: more than ``s`` decimals or ``p - s`` integer digits are refused, never rounded."""

    precision: int
    scale: int

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Numeric(self.precision, self.scale, asdecimal=True)

    def constraints(self) -> tuple[Any, ...]:
        return (Field(max_digits=self.precision, decimal_places=self.scale),)

    def describe(self) -> str:
        return f"DECIMAL({self.precision}, {self.scale})"

    def catalog_name(self) -> str:
        return f"numeric({self.precision},{self.scale})"


@dataclass(frozen=True)
class _Simple(SqlType):
    """A type without parameters."""


class Uuid(_Simple):
    """``UUID``."""

    ddl = "UUID"
    catalog = "uuid"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Uuid(as_uuid=True)


class Integer(_Simple):
    """``INT`` (32 bits): values outside its range are refused."""

    ddl = "INT"
    catalog = "integer"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Integer()

    def constraints(self) -> tuple[Any, ...]:
        # A validator, not ``Ge``/``Le``: those would replace a tighter bound of the Python type (``ge=0``).
        return (AfterValidator(_fits_int4),)


class Boolean(_Simple):
    """``BOOLEAN``."""

    ddl = "BOOLEAN"
    catalog = "boolean"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Boolean()


class Text(_Simple):
    """``TEXT``: any string PostgreSQL can store (no NUL character, no lone surrogate)."""

    ddl = "TEXT"
    catalog = "text"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Text()

    def constraints(self) -> tuple[Any, ...]:
        return (AfterValidator(storable_text),)


class Jsonb(_Simple):
    """``JSONB``: the Python type says the document's shape; only what JSONB can store is accepted."""

    ddl = "JSONB"
    catalog = "jsonb"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return pg.JSONB()

    def constraints(self) -> tuple[Any, ...]:
        return (AfterValidator(storable_json),)


class Timestamp(_Simple):
    """``TIMESTAMP`` (without time zone): holds UTC, see ``warp_models._time``."""

    ddl = "TIMESTAMP"
    catalog = "timestamp without time zone"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.DateTime(timezone=False)


class Date(_Simple):
    """``DATE``."""

    ddl = "DATE"
    catalog = "date"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Date()


class Inet(_Simple):
    """``INET``: an IPv4 or IPv6 address, without an IPv6 zone index (``INET`` has no place for one)."""

    ddl = "INET"
    catalog = "inet"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return pg.INET()

    def constraints(self) -> tuple[Any, ...]:
        return (AfterValidator(_no_zone),)


def refuses_only(func: _T) -> _T:
    """Mark a validator that gives its value back unchanged or raises: the trusted read path takes it as a check.

    Decorate the function an ``AfterValidator`` or ``BeforeValidator`` wraps (a hash column's "stored form" check).
    """
    func.__warp_refuses_only__ = True  # type: ignore[attr-defined]
    return func


def only_refuses(func: Any) -> bool:
    """Whether ``func`` was marked with ``refuses_only``."""
    return getattr(func, "__warp_refuses_only__", False) is True


def storable_text(value: _T) -> _T:
    """``value`` if PostgreSQL can store it as text: no NUL character and valid UTF-8 (no lone surrogate).

    Works on ``str`` and on ``SecretStr``; the message never repeats the value (it may be a secret).
    """
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if isinstance(text, str):
        if "\x00" in text:
            raise ValueError("contains a NUL character (\\x00), which PostgreSQL text cannot store: remove it")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(
                    "contains a lone surrogate (an invalid Unicode code point), which UTF-8 cannot encode: "
                    "decode the input with errors='replace' or fix its source"
                ) from None
    return value


def storable_json(value: _T) -> _T:
    """``value`` if JSONB can store it: strings and keys storable as text, numbers finite (no NaN, no Infinity)."""
    document = value.model_dump(mode="python") if isinstance(value, BaseModel) else value
    if not _plainly_storable(document):
        _check_json(document, "")  # the walk that names what cannot be stored, or accepts what JSON cannot spell
    return value


_FLAT_ITEMS = 16
"""The most items of a document checked by a loop rather than by ``json.dumps`` (the loop is faster up to here)."""


def _plainly_storable(document: Any) -> bool:
    """A quick yes for the common document: JSON values only, finite, no NUL, valid UTF-8 (one pass in C).

    ``False`` means "look closer", never "refused": the walk decides (a key that is not a string, a value JSON
    cannot spell, a backslash that looks like an escaped NUL).
    """
    if type(document) is dict and len(document) <= _FLAT_ITEMS:
        # A small flat object of ASCII text, integers, booleans and nulls (a CDR's metadata): storable as it is.
        for key, value in document.items():
            if type(key) is not str or not key.isascii() or "\x00" in key:
                break
            kind = type(value)
            if kind is str:
                if not value.isascii() or "\x00" in value:
                    break
            elif kind is not int and kind is not bool and value is not None:
                break
        else:
            return True
    try:
        text = json.dumps(document, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return False
    return "\\u0000" not in text


def _check_json(value: Any, path: str) -> None:
    if isinstance(value, str):
        _text_in_json(value, path or "the document")
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(
                f"{path or 'the document'} is {value}, which JSON cannot hold: use null or a finite number"
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                _text_in_json(key, f"a key of {path or 'the document'}")
            _check_json(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]")
    elif isinstance(value, BaseModel):
        _check_json(value.model_dump(mode="python"), path)


def _text_in_json(text: str, where: str) -> None:
    try:
        storable_text(text)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _no_zone(value: _T) -> _T:
    if isinstance(value, IPv6Address) and value.scope_id is not None:
        raise ValueError("an IPv6 zone index (%...) is not stored by INET: give the address without it")
    return value


def _is_any_address(tp: Any) -> bool:
    """Whether ``tp`` is ``IPv4Address | IPv6Address`` (annotated or not), the type ``_address_as_held`` keeps."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return get_origin(tp) in (Union, types.UnionType) and set(get_args(tp)) == {IPv4Address, IPv6Address}


def _address_as_held(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """An address object with nothing to refuse, kept as it is: one call instead of the union's five.

    Any other input goes through the whole validation.
    """
    kind = type(value)
    if kind is IPv4Address or (kind is IPv6Address and value.scope_id is None):
        return value
    return handler(value)


def _fits_int4(value: int) -> int:
    if not INT32_MIN <= value <= INT32_MAX:
        raise ValueError(f"{value} does not fit an INT column ({INT32_MIN} to {INT32_MAX})")
    return value


UUID_ = Uuid()
INT = Integer()
BOOLEAN = Boolean()
TEXT = Text()
JSONB = Jsonb()
TIMESTAMP = Timestamp()
DATE = Date()
INET = Inet()

GEN_UUID = "gen_random_uuid()"
NOW = "NOW()"


@dataclass(frozen=True)
class Col:
    """The declaration of one column.

    Args:
        type: the SQL type.
        default: the server ``DEFAULT`` expression as SQL text (``"'active'"``, ``"NOW()"``), or ``None``.
        primary_key: part of the table's primary key.
        unique: a single-column ``UNIQUE`` constraint.
        references: ``"table.column"`` of a foreign key.
        doc: one line for the generated reference.
        secret: never shown in ``repr``, logs, audit rows or docs examples.
    """

    type: SqlType
    default: str | None = None
    primary_key: bool = False
    unique: bool = False
    references: str | None = None
    doc: str = ""
    secret: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """Apply the SQL type's limits to the Python type, keeping ``None`` when the type allows it."""
        if isinstance(self.type, Integer):
            bounded = _int4_bounds(handler(source))
            if bounded is not None:
                return bounded
        constraints = self.type.constraints()
        inner, nullable = split_optional(source)
        if isinstance(self.type, Jsonb) and _names_only(inner):
            constraints = ()  # a list of declared names: storable by construction, nothing to walk
        elif isinstance(self.type, Varchar | Text) and _matches_storable_only(handler(source)):
            # The type's own pattern admits no NUL and no lone surrogate: the text check would only repeat it.
            constraints = tuple(c for c in constraints if getattr(c, "func", None) is not storable_text)
        elif isinstance(self.type, Inet) and _is_any_address(inner):
            # An address object with nothing to refuse is kept without the union's calls (any other input, and any
            # other declared type, goes through the whole validation).
            constraints = (*constraints, WrapValidator(_address_as_held))
        if not constraints:
            return handler(source)
        limited: Any = Annotated[inner, *constraints]
        # Through ``handler``, so that annotations written before this one (a pattern, a bound) still apply.
        return handler(Optional[limited] if nullable else limited)  # noqa: UP045


_OPEN_ESCAPES = frozenset("SWDxuUpPN0123456789")
"""Escapes after which a pattern can match characters it does not list (a negated class, a code point)."""


def _closed_pattern(pattern: str) -> bool:
    """Whether every character ``pattern`` can match is one it lists (or a case, digit, word or space variant).

    Such a pattern can never match NUL or a lone surrogate. Refused as open: ``.`` outside a class, a negated or
    POSIX class, a raw control character, and the escapes of ``_OPEN_ESCAPES``.
    """
    if not pattern.isascii() or "[^" in pattern or "[:" in pattern or any(ch < " " for ch in pattern):
        return False  # a negated or POSIX class anywhere (nested ones too), or a control character written raw
    # A pattern is searched anywhere in the text: only one anchored at both ends, with no alternative outside a
    # group, says what every character of the text is.
    if not pattern.startswith("^") or not pattern.endswith("$") or pattern.endswith("\\$"):
        return False
    in_class = False
    depth = 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            if index + 1 >= len(pattern) or pattern[index + 1] in _OPEN_ESCAPES:
                return False
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            if pattern.startswith("]", index + 1):  # a literal ``]`` first in the class
                index += 1
        elif char == ".":
            return False
        elif char == "(":
            if pattern.startswith("?", index + 1) and not pattern.startswith(("?:", "?i:"), index + 1):
                return False  # flags (multi-line, dot-all) or a construct this check does not read
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return False
        index += 1
    return True


def _matches_storable_only(schema: core_schema.CoreSchema) -> bool:
    """Whether ``schema`` is a string schema whose pattern matches only storable text (see ``_closed_pattern``)."""
    if schema["type"] == "nullable":
        return _matches_storable_only(schema["schema"])
    pattern = schema.get("pattern") if schema["type"] == "str" else None
    return isinstance(pattern, str) and _closed_pattern(pattern)


def _int4_bounds(schema: core_schema.CoreSchema) -> core_schema.CoreSchema | None:
    """``schema`` with the INT range as pydantic-core bounds (no Python call per value), tighter bounds kept.

    ``None`` when its integer is not a plain ``int`` schema: the range is then checked by a validator.
    """
    if schema["type"] == "nullable":
        inner = _int4_bounds(schema["schema"])
        return None if inner is None else {**schema, "schema": inner}
    if schema["type"] != "int":
        return None
    out = dict(schema)
    out["le"] = min(schema.get("le", INT32_MAX), INT32_MAX)
    out["ge"] = max(schema.get("ge", INT32_MIN), INT32_MIN)
    return cast(core_schema.CoreSchema, out)


def int4_bound_widened(schema: Any) -> bool:
    """Whether a field's validation ``schema`` lets an integer outside the INT range through.

    The range is a pydantic-core bound (``_int4_bounds``); a bound written after ``Col(INT)`` in the same
    ``Annotated`` (``Field(le=10**12)``) would replace it, which a model declaration must not do. Wrappers (nullable,
    defaults, validators) are looked through; an integer schema that cannot be found counts as widened.
    """
    while isinstance(schema, dict):
        if schema.get("type") == "int":
            return bool(schema.get("le", INT32_MAX + 1) > INT32_MAX or schema.get("ge", INT32_MIN - 1) < INT32_MIN)
        function = schema.get("function")
        if isinstance(function, dict) and function.get("function") is _fits_int4:
            return False  # the range checked by the validator (an integer type pydantic-core cannot bound)
        schema = schema.get("schema")
    return True


def _names_only(tp: Any) -> bool:
    """Whether ``tp`` is a list of names from a closed set (``list[Codec]``): ASCII words, NUL-free, storable."""
    if get_origin(tp) is not list:
        return False
    item = get_args(tp)[0]
    while get_origin(item) is Annotated:
        item = get_args(item)[0]
    if get_origin(item) is not Literal:
        return False
    return all(isinstance(v, str) and v.isascii() and v.isprintable() for v in get_args(item))


def split_optional(tp: Any) -> tuple[Any, bool]:
    """Split ``X | None`` into ``(X, True)``; any other type into ``(type, False)``."""
    if get_origin(tp) in (Union, types.UnionType):
        args = get_args(tp)
        if type(None) in args:
            rest = tuple(a for a in args if a is not type(None))
            return (rest[0] if len(rest) == 1 else Union[rest]), True  # noqa: UP007
    return tp, False


@dataclass(frozen=True)
class Index:
    """A named index: its keys, and the access method when it is not a B-tree.

    A key is a column, optionally followed by ``DESC`` (``"start_time DESC"``), or an expression, optionally followed
    by an operator class; each key is written the way ``pg_get_indexdef`` prints it, which is what the drift check
    compares::

        Index("idx_cdrs_org_time", "org_id", "start_time DESC")
        Index("trunk_acl_network_idx", "set_masklen(ip_address, subnet_mask) inet_ops", using="gist")
    """

    name: str
    columns: tuple[str, ...]
    using: str = "btree"

    def __init__(self, name: str, *columns: str, using: str = "btree") -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "using", using)


@dataclass(frozen=True)
class OrgScoped:
    """The table holds tenant data in its own ``org_id`` column."""

    column: str = "org_id"


@dataclass(frozen=True)
class ParentScoped:
    """The table holds tenant data through a parent row: ``column`` references ``parent``'s ``id``."""

    column: str
    parent: str


@dataclass(frozen=True)
class TableSpec:
    """Table-level facts that no single column carries.

    Args:
        name: the table name.
        primary_key: the declared primary key columns (normally carried by ``Col(primary_key=True)``).
        unique: multi-column ``UNIQUE`` constraints.
        indexes: named indexes.
        partition_by: the ``RANGE`` partition column of a partitioned table. PostgreSQL requires every unique
            constraint of such a table (the primary key included) to contain it, so the derived constraints
            append it; the model still declares the seed's intent.
        tenant: how rows belong to an organization (``None`` for shared or platform data).
        doc: what the table is for.
    """

    name: str
    unique: tuple[tuple[str, ...], ...] = ()
    indexes: tuple[Index, ...] = ()
    partition_by: str | None = None
    tenant: OrgScoped | ParentScoped | None = None
    doc: str = ""
    primary_key: tuple[str, ...] = field(default=())


def widen_for_partition(columns: tuple[str, ...], partition_by: str | None) -> tuple[str, ...]:
    """Add the partition column to a unique key, as PostgreSQL requires on a partitioned table."""
    if partition_by is None or partition_by in columns:
        return columns
    return (*columns, partition_by)
