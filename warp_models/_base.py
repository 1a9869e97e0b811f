"""The three shapes of a table: the row as stored, what a caller passes to create one, and a partial update.

``Row`` subclasses are the declarations. ``Create`` and ``Update`` subclasses are generated from them
(``python tools/codegen.py``) with plain Python types, so that type checkers see every field; at class
creation each generated field takes its column's ``Col`` from the row, so the limits are never written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar, Union, get_args, get_origin
from uuid import UUID

import annotated_types as at
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    JsonValue,
    SecretStr,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.fields import FieldInfo

from warp_models._columns import (
    INT32_MAX,
    INT32_MIN,
    Col,
    Integer,
    Jsonb,
    SqlType,
    TableSpec,
    Timestamp,
    int4_bound_widened,
    only_refuses,
    split_optional,
    widen_for_partition,
)
from warp_models._references import org_key
from warp_models._time import FROM_DB, as_utc_validator, to_db_timestamp
from warp_models.errors import WarpError

_RowT = TypeVar("_RowT", bound="Row")

TABLES: dict[str, type[Row]] = {}
"""Every declared table by name, in declaration (and foreign-key) order."""


class ModelDefinitionError(WarpError):
    """A model declaration is inconsistent (a misuse of the library, not bad data)."""


@dataclass(frozen=True)
class Column:
    """A declared column, as derived from a ``Row`` field.

    Attributes:
        name: the column (and field) name.
        python_type: the field's Python type, ``None`` included when nullable.
        col: the declaration.
        nullable: whether the column accepts ``NULL``.
    """

    name: str
    python_type: Any
    col: Col
    nullable: bool

    @property
    def sql_type(self) -> SqlType:
        """The column's SQL type."""
        return self.col.type

    @property
    def has_server_default(self) -> bool:
        """Whether the database fills the column when an insert leaves it out."""
        return self.col.default is not None

    @property
    def is_jsonb(self) -> bool:
        """Whether the column is stored as ``JSONB``."""
        return isinstance(self.col.type, Jsonb)


def _declared_col(cls: type[BaseModel], name: str) -> Col:
    for meta in cls.model_fields[name].metadata:
        if isinstance(meta, Col):
            return meta
    raise ModelDefinitionError(f"{cls.__name__}.{name} has no Col(...) in its Annotated type")


class Row(BaseModel):
    """A row as stored: every column, server defaults filled in.

    Subclasses declare ``__table_spec__`` and one annotated field per column.
    """

    # Validation errors never print input values: they may be secrets or personal data (docs/security.md).
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False, hide_input_in_errors=True)

    __table_spec__: ClassVar[TableSpec]
    __columns__: ClassVar[tuple[Column, ...]] = ()
    __column_map__: ClassVar[dict[str, Column]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Derive the column list and register the table."""
        super().__pydantic_init_subclass__(**kwargs)
        spec = cls.__dict__.get("__table_spec__")
        if spec is None:
            return
        columns = []
        for name, info in cls.model_fields.items():
            col = _declared_col(cls, name)
            _, nullable = split_optional(info.annotation)
            if col.primary_key and nullable:
                raise ModelDefinitionError(f"{cls.__name__}.{name}: a primary key column cannot be nullable")
            columns.append(Column(name, info.annotation, col, nullable))
        cls.__columns__ = tuple(columns)
        cls.__column_map__ = {column.name: column for column in columns}
        _refuse_widened_int4(cls, columns)
        if spec.name in TABLES:
            raise ModelDefinitionError(f"table {spec.name!r} is declared twice")
        TABLES[spec.name] = cls

    @model_validator(mode="after")
    def _check_row(self) -> Self:
        type(self).check(self.__dict__)
        return self

    @classmethod
    def check(cls, values: Mapping[str, Any]) -> None:
        """Cross-column rules; override to add some. ``values`` may hold only some columns (updates).

        Raises:
            ValueError: a rule is broken; the message says which and how to fix it.
        """

    @classmethod
    def column(cls, name: str) -> Column:
        """The declared column ``name``."""
        try:
            return cls.__column_map__[name]
        except KeyError:
            raise KeyError(f"{cls.__table_spec__.name} has no column {name!r}") from None

    @classmethod
    def primary_key(cls) -> tuple[str, ...]:
        """The primary key as stored (a partitioned table's key includes its partition column)."""
        spec = cls.__table_spec__
        declared = spec.primary_key or tuple(c.name for c in cls.__columns__ if c.col.primary_key)
        return widen_for_partition(declared, spec.partition_by)

    @classmethod
    def unique_keys(cls) -> tuple[tuple[str, ...], ...]:
        """Every unique constraint as stored: single-column ones, declared ones, then the derived ``(org_id, id)``."""
        spec = cls.__table_spec__
        keys = [(c.name,) for c in cls.__columns__ if c.col.unique] + list(spec.unique)
        stored = [widen_for_partition(k, spec.partition_by) for k in keys]
        target = org_key(cls)
        return (*stored, target) if target is not None else tuple(stored)

    @classmethod
    def from_db(cls, values: dict[str, Any]) -> Self:
        """Validate a row read from the database (naive timestamps are UTC there)."""
        return cls.model_validate(values, context={FROM_DB: True})

    @classmethod
    def from_db_trusted(cls, values: Sequence[Any]) -> Self:
        """The model of a stored row given as values in column order, without validating it again.

        What the database stored was validated on its way in (or is checked by the column's SQL type), so only
        what the driver's value does not already say is done here: naive timestamps become UTC (aware UTC ones, as
        a repository reads them on a session in UTC, are kept), secrets are
        wrapped, JSON documents are parsed into their models, and values of a closed set (``Literal``) and JSON
        documents are checked, so that a model never holds a value of another type than it declares. A row whose
        value fails such a check is validated in full instead (``from_db``), which raises a ``ValidationError``
        naming the column. Patterns, bounds and cross-column rules are not checked again: use ``from_db`` (a
        repository's ``validate_reads``) for rows another system writes.
        """
        return cls.trusted_maker()(values)

    @classmethod
    def trusted_maker(cls) -> Callable[[Sequence[Any]], Self]:
        """The function ``from_db_trusted`` calls, made once per table: for row factories that build many rows."""
        return _trusted_maker(cls)

    def to_db(self) -> dict[str, Any]:
        """Every column's value as stored: UTC timestamps, secrets revealed, JSON documents as JSON values."""
        return db_values_maker(type(self))(self)

    @classmethod
    def to_db_maker(cls, wrap_document: Callable[[Any], Any] | None = None) -> Callable[[Self], dict[str, Any]]:
        """The function ``to_db`` calls, made once per class; ``wrap_document`` wraps each JSON document value."""
        return db_values_maker(cls, wrap_document)


_DbPlan = tuple[tuple[str, Callable[[Any], Any] | None, bool], ...]


def _db_plan(shape: type[BaseModel]) -> _DbPlan:
    """How each field of ``shape`` (a row, create or update model) is sent, in column order, made once per class.

    Each entry is (column, conversion or ``None`` when the value is sent as it is, nullable): timestamps as naive
    UTC, secrets revealed, JSON documents dumped as JSON values (left as they are when they hold JSON values only).
    """
    made: _DbPlan | None = shape.__dict__.get("__db_plan__")
    if made is not None:
        return made
    row: type[Row] = shape if issubclass(shape, Row) else shape.__row__  # type: ignore[attr-defined]
    plan = []
    for column in row.__columns__:
        info = shape.model_fields.get(column.name)
        if info is None:
            continue
        plan.append((column.name, _db_conversion(info, column), column.nullable))
    made = tuple(plan)
    shape.__db_plan__ = made  # type: ignore[attr-defined]
    return made


_DB_MAKERS: dict[tuple[type[BaseModel], Callable[[Any], Any] | None], Callable[[Any], dict[str, Any]]] = {}


def db_values_maker(
    shape: type[BaseModel], wrap_document: Callable[[Any], Any] | None = None
) -> Callable[[Any], dict[str, Any]]:
    """The function giving ``to_db()`` of a ``shape`` instance, written once per class (and per ``wrap_document``).

    A row gives every column, a create model the fields given (``None`` left out for a NOT NULL column, so that
    the default applies), an update the fields given (``None`` as ``NULL``). ``wrap_document`` is applied to each
    JSONB value that is not ``None`` (the repositories wrap documents for the driver in the same pass).
    Its source is written for the class: one test of the fields given and one conversion per column, inline for
    a timestamp (UTC to naive by exact arithmetic), no call for a value sent as the model holds it.
    """
    key = (shape, wrap_document)
    made = _DB_MAKERS.get(key)
    if made is not None:
        return made
    row: type[Row] = shape if issubclass(shape, Row) else shape.__row__  # type: ignore[attr-defined]
    kind = "row" if issubclass(shape, Row) else "create" if issubclass(shape, Create) else "update"
    scope: dict[str, Any] = {
        "UTC": UTC,
        "UTC_EPOCH": _UTC_EPOCH,
        "NAIVE_EPOCH": _NAIVE_EPOCH,
        "datetime": datetime,
        "stored_time": _stored_time,
        "wrap": wrap_document,
    }
    lines = ["def to_db(model):", "    values = model.__dict__", "    out = {}"]
    if kind != "row":
        lines.append("    given = model.__pydantic_fields_set__")
    for index, (name, convert, nullable) in enumerate(_db_plan(shape)):
        if convert is _stored_time:  # the common case inline: an aware UTC datetime, as validated models hold
            expr = "(NAIVE_EPOCH + (v - UTC_EPOCH) if type(v) is datetime and v.tzinfo is UTC else stored_time(v))"
        elif convert is not None:
            scope[f"convert{index}"] = convert
            expr = f"convert{index}(v)"
        else:
            expr = "v"
        if wrap_document is not None and row.column(name).is_jsonb:
            expr = f"wrap({expr})"
        key_text = repr(name)
        if kind == "row":
            lines += [f"    v = values[{key_text}]", f"    out[{key_text}] = None if v is None else {expr}"]
        elif kind == "create":
            lines += [
                f"    if {key_text} in given:",
                f"        v = values[{key_text}]",
                f"        if v is not None: out[{key_text}] = {expr}",
            ]
            if nullable:
                lines.append(f"        else: out[{key_text}] = None")
        else:
            lines += [
                f"    if {key_text} in given:",
                f"        v = values[{key_text}]",
                f"        out[{key_text}] = None if v is None else {expr}",
            ]
    lines.append("    return out")
    compiled: Callable[[Any], dict[str, Any]] = _defined("\n".join(lines), scope, f"{shape.__name__}.to_db_maker")
    _DB_MAKERS[key] = compiled
    return compiled


def _defined(source: str, scope: dict[str, Any], qualname: str) -> Any:
    """The one function ``source`` defines, run in ``scope``; the source is kept on it (``__source__``) for a reader.

    The generated functions of this module (conversions, trusted makers) are written from declarations only:
    column names appear as ``repr`` literals, never as code.
    """
    exec(compile(source, f"<{qualname}>", "exec"), scope)  # noqa: S102 - source written from declarations
    function = scope[source.split("(", 1)[0].removeprefix("def ")]
    function.__qualname__ = qualname
    function.__source__ = source
    return function


def _revealed(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _stored_time(value: Any) -> Any:
    return to_db_timestamp(value) if isinstance(value, datetime) else value


def _db_conversion(info: FieldInfo, column: Column) -> Callable[[Any], Any] | None:
    inner, metadata = _annotations(info)
    if column.is_jsonb:
        plain = inner == dict[str, JsonValue] or (
            get_origin(inner) is list and _json_list_of_plain_values(get_args(inner)[0])
        )
        if plain and _only_checks(metadata):
            return None
        adapter: TypeAdapter[Any] = TypeAdapter(Annotated[info.annotation, *info.metadata])  # type: ignore[arg-type]
        dump = adapter.dump_python

        def as_json(value: Any) -> Any:
            return dump(value, mode="json")

        return as_json
    if inner is SecretStr:
        return _revealed
    if inner is datetime:
        return _stored_time
    if isinstance(inner, type) and inner in _AS_STORED:
        return None
    kinds = get_args(inner) if get_origin(inner) in (Union, UnionType) else (inner,)
    if all(kind in _SENT_AS_HELD for kind in kinds):
        return None  # addresses and networks: the driver adapts them as the model holds them
    allowed = _literal_values(inner)
    if allowed is not None and all(type(value) in (str, int, bool) for value in allowed):
        return None  # a closed set of plain values
    # Anything else: as the model holds it, converted by the value's own type.
    return _any_value


_SENT_AS_HELD = frozenset({IPv4Address, IPv6Address, IPv4Network, IPv6Network})


def _any_value(value: Any) -> Any:
    return _stored_time(_revealed(value))


def _json_list_of_plain_values(item: Any) -> bool:
    """Whether a JSON array of ``item`` holds JSON values as they are (strings of a closed set or a pattern)."""
    kind = _json_items(item)
    return kind is str or (isinstance(kind, frozenset) and all(type(v) is str for v in kind))


def _json_items(item: Any) -> frozenset[Any] | type[str] | None:
    """What the items of a JSON array of ``item`` are, when plain values: a ``Literal``'s closed set, or ``str``.

    ``str`` stands for strings that annotations only check; ``None`` for items of any other kind.
    """
    bare, metadata = _unwrapped(item)
    allowed = _literal_values(bare)
    if allowed is not None:
        return allowed
    return str if bare is str and _only_checks(metadata) else None


def _refuse_widened_int4(cls: type[BaseModel], columns: Sequence[Column]) -> None:
    """Refuse a declaration whose bound, written after ``Col(INT)``, would let values outside INT through."""
    fields = _field_schemas(cls.__pydantic_core_schema__)
    for column in columns:
        if isinstance(column.col.type, Integer) and int4_bound_widened(fields.get(column.name)):
            raise ModelDefinitionError(
                f"{cls.__name__}.{column.name}: a bound after Col(INT) widens the INT range "
                f"({INT32_MIN} to {INT32_MAX}); write it before Col(...) or keep it within the range"
            )


def _field_schemas(schema: Any) -> dict[str, Any]:
    """The schema of each field of a model's core schema (looked up through definitions and wrappers)."""
    while isinstance(schema, dict):
        if schema.get("type") == "model-fields":
            return {name: field.get("schema") for name, field in schema["fields"].items()}
        if schema.get("type") == "definitions":
            schema = schema.get("schema")
            continue
        schema = schema.get("schema")
    return {}


class _Shape(BaseModel):
    """Shared machinery of the generated create and update shapes."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # as ``Row``: no input in error text

    __row__: ClassVar[type[Row]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give each generated field its column's declaration before pydantic builds the validators."""
        super().__init_subclass__(**kwargs)
        row = cls.__dict__.get("__row__")
        if row is None:
            return
        annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 - edited in place, before pydantic reads it
        for name, annotation in list(annotations.items()):
            if name.startswith("__"):
                continue
            annotations[name] = Annotated[annotation, row.column(name).col]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a shape whose INT column was widened (see ``Row``)."""
        super().__pydantic_init_subclass__(**kwargs)
        row = cls.__dict__.get("__row__")
        if row is not None:
            _refuse_widened_int4(cls, [c for c in row.__columns__ if c.name in cls.model_fields])

    @model_validator(mode="after")
    def _check_given(self) -> Self:
        self.__row__.check({name: getattr(self, name) for name in self.model_fields_set})
        return self

    @classmethod
    def to_db_maker(cls, wrap_document: Callable[[Any], Any] | None = None) -> Callable[[Self], dict[str, Any]]:
        """The function ``to_db`` calls, made once per class; ``wrap_document`` wraps each JSON document value."""
        return db_values_maker(cls, wrap_document)

    def given(self) -> tuple[str, ...]:
        """The fields the caller set, in column order."""
        fields_set = self.model_fields_set
        return tuple(c.name for c in self.__row__.__columns__ if c.name in fields_set)


class Create(_Shape):
    """What a caller passes to create a row: fields the database can fill are optional.

    A field left out is left out of the ``INSERT``, so the server default applies; a nullable field set to
    ``None`` is stored as ``NULL``; ``None`` for a ``NOT NULL`` column is refused (leave the field out instead),
    except for a generated key (``id=None``: the database chooses it).
    Cross-column rules see the row the database will store: the values given, and the server defaults of the
    columns left out.
    """

    @model_validator(mode="after")
    def _check_given(self) -> Self:
        row = self.__row__
        fields = self.__dict__
        given = self.__pydantic_fields_set__
        for name in _not_null(row):
            if fields[name] is None and name in given:
                raise ValueError(
                    f"{name} cannot be NULL (the column is NOT NULL); leave it out to take the database's default"
                )
        if _has_rules(row):
            row.check(_Proposed(fields, given, _server_defaults(row)))
        return self

    def to_db(self) -> dict[str, Any]:
        """The columns to insert, as stored (see ``Row.to_db``): the fields given, but not ``None`` for NOT NULL."""
        return db_values_maker(type(self))(self)


class _Proposed(Mapping[str, Any]):
    """The row a create model proposes, as cross-column rules read it: the fields given, else the defaults."""

    __slots__ = ("defaults", "fields", "given")

    def __init__(self, fields: dict[str, Any], given: set[str], defaults: dict[str, Any]) -> None:
        self.fields = fields
        self.given = given
        self.defaults = defaults

    def get(self, key: str, default: Any = None) -> Any:
        """The value the row will hold, or ``default`` when neither given nor a constant default."""
        if key in self.given:
            return self.fields[key]
        return self.defaults.get(key, default)

    def __getitem__(self, key: str) -> Any:
        if key in self.given:
            return self.fields[key]
        return self.defaults[key]

    def __iter__(self) -> Iterator[str]:
        yield from self.given
        yield from (name for name in self.defaults if name not in self.given)

    def __len__(self) -> int:
        return len(self.given | self.defaults.keys())


def _not_null(row: type[Row]) -> frozenset[str]:
    """The columns a create may not set to ``None``: NOT NULL ones, except a generated key (``id=None``)."""
    cached: frozenset[str] | None = row.__dict__.get("__not_null__")
    if cached is None:
        # ``id=None`` keeps its documented meaning, "let the database choose the key".
        cached = frozenset(
            c.name for c in row.__columns__ if not c.nullable and not (c.col.primary_key and c.has_server_default)
        )
        row.__not_null__ = cached  # type: ignore[attr-defined]
    return cached


def _has_rules(row: type[Row]) -> bool:
    """Whether ``row`` (or a base between it and ``Row``) declares cross-column rules: else no need to call them."""
    cached: bool | None = row.__dict__.get("__has_rules__")
    if cached is None:
        # Wherever ``check`` comes from (the row, a base, a mixin that is no Row): any but Row's own is a rule.
        cached = row.check.__func__ is not Row.check.__func__  # type: ignore[attr-defined]
        row.__has_rules__ = cached  # type: ignore[attr-defined]
    return cached


def _server_defaults(row: type[Row]) -> dict[str, Any]:
    """The defaults of ``row``'s columns that are constants (``0``, ``FALSE``, ``'active'``), as Python values.

    Defaults computed by the server (``NOW()``, ``gen_random_uuid()``) and documents are left out: no rule reads
    them.
    """
    cached: dict[str, Any] | None = row.__dict__.get("__server_defaults__")
    if cached is not None:
        return cached
    out: dict[str, Any] = {}
    for column in row.__columns__:
        text = column.col.default
        if text is None:
            continue
        if text in ("TRUE", "FALSE"):
            out[column.name] = text == "TRUE"
        elif text.lstrip("-").isdigit():
            out[column.name] = int(text)
        elif len(text) >= 2 and text[0] == text[-1] == "'" and not column.is_jsonb and "'" not in text[1:-1]:
            out[column.name] = text[1:-1]
    row.__server_defaults__ = out  # type: ignore[attr-defined]
    return out


class Update(_Shape):
    """A partial update: only the fields given are changed; "not given" differs from "set to ``None``"."""

    @model_validator(mode="after")
    def _refuse_null_for_not_null(self) -> Self:
        for name in self.model_fields_set:
            if getattr(self, name) is None and not self.__row__.column(name).nullable:
                raise ValueError(
                    f"{name} cannot be set to NULL (the column is NOT NULL); leave it out to keep the current value"
                )
        return self

    def to_db(self) -> dict[str, Any]:
        """The columns to change, as stored (see ``Row.to_db``): the fields given, ``None`` as ``NULL``."""
        return db_values_maker(type(self))(self)


# --- The trusted read path ------------------------------------------------------------------------------------------


class _Untrusted(Exception):
    """A stored value the trusted path cannot vouch for: the row is validated in full instead."""


_CHECKS_ONLY = (Col, at.MaxLen, at.MinLen, at.Ge, at.Gt, at.Le, at.Lt, at.MultipleOf)
"""Annotations that only refuse values, never change them: a stored value passes them unchanged."""

_AS_STORED = (str, int, bool, UUID, Decimal, date)
"""Python types the driver loads exactly as validation would return them (given the column's SQL type).

A ``Decimal`` is, when finite: ``numeric(p, s)`` stores ``NaN``, which a model refuses unless it allows it.
"""


def _annotations(info: FieldInfo) -> tuple[Any, list[Any]]:
    """A field's bare type (``None`` removed) and every annotation on the way to it."""
    inner, _ = split_optional(info.annotation)
    bare, found = _unwrapped(inner)
    return bare, [*info.metadata, *found]


def _unwrapped(tp: Any) -> tuple[Any, list[Any]]:
    """A type without its ``Annotated`` layers, and their annotations (outermost first)."""
    metadata: list[Any] = []
    while get_origin(tp) is Annotated:
        metadata.extend(tp.__metadata__)
        tp = tp.__origin__
    return tp, metadata


def _allows_inf_nan(metadata: list[Any]) -> bool:
    """Whether the annotations accept ``NaN`` and infinities (``allow_inf_nan=True``); pydantic refuses them else."""
    return any(getattr(meta, "allow_inf_nan", None) is True for meta in metadata)


def _finite(value: Any) -> Any:
    if type(value) is not Decimal or not value.is_finite():
        raise _Untrusted
    return value


def _only_checks(metadata: list[Any]) -> bool:
    """Whether annotations only refuse values (or only describe them), never change them."""
    for meta in metadata:
        if isinstance(meta, (*_CHECKS_ONLY, WithJsonSchema)) or type(meta).__name__ == "AllowInfNan":
            continue
        if isinstance(meta, AfterValidator | BeforeValidator) and only_refuses(meta.func):
            continue
        if isinstance(meta, StringConstraints):
            if meta.strip_whitespace or meta.to_upper or meta.to_lower or meta.strict:
                return False
            continue
        if isinstance(meta, FieldInfo):
            if not _only_checks(list(meta.metadata)):
                return False
            continue
        return False
    return True


def _literal_values(tp: Any) -> frozenset[Any] | None:
    """The closed set of a ``Literal`` (or a union of them), ``None`` for any other type."""
    if get_origin(tp) is Literal:
        return frozenset(get_args(tp))
    if get_origin(tp) in (Union, UnionType):
        out: set[Any] = set()
        for arg in get_args(tp):
            part = _literal_values(arg)
            if part is None:
                return None
            out |= part
        return frozenset(out)
    return None


_NAIVE_EPOCH = datetime(2000, 1, 1)
_UTC_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _utc(value: Any) -> Any:
    if type(value) is not datetime:
        raise _Untrusted
    zone = value.tzinfo
    if zone is UTC:  # read ``AT TIME ZONE 'UTC'`` on a session in UTC: the driver made it aware already
        return value
    if zone is not None:
        raise _Untrusted  # another zone: full validation converts it
    # The same wall time in UTC, by exact microsecond arithmetic: a fifth of the cost of ``replace(tzinfo=UTC)``,
    # whose keyword parsing dominated the trusted build of a row with timestamps.
    return _UTC_EPOCH + (value - _NAIVE_EPOCH)


def _secret(value: Any) -> SecretStr:
    if type(value) is not str:
        raise _Untrusted
    return SecretStr(value)


def _address(value: Any) -> Any:
    if type(value) is not IPv4Address and type(value) is not IPv6Address:
        raise _Untrusted  # a network (a mask) or anything else: not the address the model declares
    return value


def _json_object(value: Any) -> Any:
    if type(value) is not dict:
        raise _Untrusted
    return value


def _member(allowed: frozenset[Any]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        try:
            if value not in allowed:
                raise _Untrusted
        except TypeError:
            raise _Untrusted from None
        return value

    check.allowed = allowed  # type: ignore[attr-defined]  # the maker inlines the membership test
    return check


def _json_list(item: Any) -> Callable[[Any], Any] | None:
    """A check for a stored JSON array whose items validate to themselves, ``None`` when items can change."""
    allowed = _json_items(item)
    if isinstance(allowed, frozenset):
        # A validator may respell an item (a codec in another case): the check keeps only values it leaves alone.
        adapter: TypeAdapter[Any] = TypeAdapter(list[item])
        if any(adapter.validate_python([value]) != [value] for value in allowed):
            return None

        def members(value: Any) -> Any:
            try:
                if type(value) is not list or not allowed.issuperset(value):
                    raise _Untrusted
            except TypeError:  # an item that cannot be looked up in a set (an object, an array): not a member
                raise _Untrusted from None
            return value

        return members
    if allowed is str:

        def strings(value: Any) -> Any:
            if type(value) is not list or not all(type(element) is str for element in value):
                raise _Untrusted
            return value

        return strings
    return None


_IMMUTABLE_VALUES = frozenset({IPv4Address, IPv6Address, IPv4Network, IPv6Network, UUID, Decimal, str, int})
"""Types of values a validated JSON item may be shared as between rows (nothing can change them in place)."""

_ITEM_CACHE_SIZE = 4096


def _json_list_of_values(item: Any) -> Callable[[Any], Any] | None:
    """Items validated one by one, each distinct text once: a document's items repeat across rows (networks).

    Validating a list is validating each item (the list itself only has checks here), so a stored item's value
    can be kept and shared, when it is of a type nothing can change in place.
    """
    bare, _ = _unwrapped(item)
    kinds = get_args(bare) if get_origin(bare) in (Union, UnionType) else (bare,)
    if not kinds or not all(kind in _IMMUTABLE_VALUES for kind in kinds):
        return None
    adapter: TypeAdapter[Any] = TypeAdapter(item)
    validate = adapter.validate_python
    context = {FROM_DB: True}
    known: dict[str, Any] = {}

    def items(value: Any) -> Any:
        if type(value) is not list:
            raise _Untrusted
        out = []
        for element in value:
            if type(element) is not str:
                out.append(validate(element, context=context))
                continue
            found = known.get(element)
            if found is None:
                found = validate(element, context=context)
                if len(known) >= _ITEM_CACHE_SIZE:
                    known.clear()
                known[element] = found
            out.append(found)
        return out

    return items


def _per_text(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert`` run once per distinct text (an e-mail address, validated in some 30 µs, repeats across rows).

    A column's validation is a function of the value alone (one column's adapter, the same context), and a text
    can be shared between rows: the result is kept, up to a bound.
    """
    known: dict[str, Any] = {}

    def once(value: Any) -> Any:
        if type(value) is not str:
            return convert(value)
        found = known.get(value)
        if found is None:
            found = convert(value)
            if len(known) >= _ITEM_CACHE_SIZE:
                known.clear()
            known[value] = found
        return found

    return once


def _is_address(tp: Any) -> bool:
    return get_origin(tp) in (Union, UnionType) and set(get_args(tp)) == {IPv4Address, IPv6Address}


def _gives_back(row: type[Row], name: str, probes: Sequence[Any]) -> bool:
    """Whether validating each probe as the field ``name`` returns it unchanged (same type, equal)."""
    convert = _validated_column(row, name)
    for probe in probes:
        try:
            again = convert(probe)
        except ValidationError:
            return False
        if type(again) is not type(probe) or again != probe:
            return False
    return True


def _validated_column(row: type[Row], name: str) -> Callable[[Any], Any]:
    info = row.model_fields[name]
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[info.annotation, *info.metadata])  # type: ignore[arg-type]
    context = {FROM_DB: True}

    def convert(value: Any) -> Any:
        return adapter.validate_python(value, context=context)

    return convert


def _converter(row: type[Row], column: Column) -> Callable[[Any], Any] | None:
    """How a stored value of ``column`` becomes the field's value; ``None`` when the driver's value is it already."""
    inner, metadata = _annotations(row.model_fields[column.name])
    if column.is_jsonb:
        if inner == dict[str, JsonValue] and _only_checks(metadata):
            return _json_object
        if get_origin(inner) is list and _only_checks(metadata):
            item = get_args(inner)[0]
            checked = _json_list(item) or _json_list_of_values(item)
            if checked is not None:
                return checked
        return _validated_column(row, column.name)
    if isinstance(column.col.type, Timestamp) and inner is datetime:
        rest = [m for m in metadata if not (isinstance(m, AfterValidator) and m.func is as_utc_validator)]
        if len(rest) < len(metadata) and _only_checks(rest):
            return _utc
        return _validated_column(row, column.name)
    if _is_address(inner):
        # A validator ahead of the type (one refusing booleans) may be declared: the fast check is used only when
        # validation gives back every kind of value it accepts unchanged.
        rest = [m for m in metadata if not isinstance(m, BeforeValidator)]
        probes = (IPv4Address("192.0.2.1"), IPv6Address("2001:db8::1"))
        if _only_checks(rest) and _gives_back(row, column.name, probes):
            return _address
        return _validated_column(row, column.name)
    if not _only_checks(metadata):
        convert = _validated_column(row, column.name)
        return _per_text(convert) if inner is str else convert
    allowed = _literal_values(inner)
    if allowed is not None:
        return _member(allowed)
    if inner is SecretStr:
        return _secret
    if inner is Decimal and not _allows_inf_nan(metadata):
        return _finite
    if isinstance(inner, type) and inner in _AS_STORED:
        return None
    return _validated_column(row, column.name)


def _trusted_maker(row: type[_RowT]) -> Callable[[Sequence[Any]], _RowT]:
    """The function building ``row`` models from stored values in column order, made once per table.

    Its source is written for the table (as ``dataclasses`` writes ``__init__``): the values unpacked into locals,
    each column's step inline (a timestamp's UTC, a closed set's membership) or one call of its converter, the
    field dictionary a literal. A value the steps cannot vouch for sends the row through full validation.
    """
    made: Callable[[Sequence[Any]], _RowT] | None = row.__dict__.get("__trusted_maker__")
    if made is not None:
        return made
    names = tuple(c.name for c in row.__columns__)
    validate = row.from_db
    if row.__pydantic_post_init__ or row.__private_attributes__:  # pragma: no cover - no table declares either

        def make_validated(values: Sequence[Any]) -> _RowT:
            return validate(dict(zip(names, values, strict=True)))

        made = make_validated
    else:
        made = _compiled_maker(row, names, validate)
    row.__trusted_maker__ = made  # type: ignore[attr-defined]
    return made


def _compiled_maker(
    row: type[_RowT], names: tuple[str, ...], validate: Callable[[dict[str, Any]], _RowT]
) -> Callable[[Sequence[Any]], _RowT]:
    count = len(names)
    scope: dict[str, Any] = {
        "row": row,
        "names": names,
        "validate": validate,
        "new": object.__new__,
        "set_attribute": object.__setattr__,
        "every_field": frozenset(names),
        "Untrusted": _Untrusted,
        "ValidationError": ValidationError,
        "datetime": datetime,
        "Decimal": Decimal,
        "IPv4Address": IPv4Address,
        "IPv6Address": IPv6Address,
        "UTC": UTC,
        "UTC_EPOCH": _UTC_EPOCH,
        "NAIVE_EPOCH": _NAIVE_EPOCH,
    }
    steps: list[str] = []
    for index, column in enumerate(row.__columns__):
        converter = _converter(row, column)
        if converter is None:
            continue
        value = f"v{index}"
        if converter is _utc:
            body = [
                f"if type({value}) is not datetime: raise Untrusted",
                f"zone = {value}.tzinfo",
                "if zone is not UTC:",
                "    if zone is not None: raise Untrusted",
                f"    {value} = UTC_EPOCH + ({value} - NAIVE_EPOCH)",
            ]
        elif converter is _finite:
            body = [f"if type({value}) is not Decimal or not {value}.is_finite(): raise Untrusted"]
        elif converter is _address:
            body = [f"if type({value}) is not IPv4Address and type({value}) is not IPv6Address: raise Untrusted"]
        elif converter is _json_object:
            body = [f"if type({value}) is not dict: raise Untrusted"]
        elif hasattr(converter, "allowed"):
            scope[f"allowed{index}"] = converter.allowed
            body = [f"if {value} not in allowed{index}: raise Untrusted"]  # unhashable: TypeError, caught below
        else:
            scope[f"convert{index}"] = converter
            body = [f"{value} = convert{index}({value})"]
        steps.append(f"if {value} is not None:")
        steps.extend(f"    {line}" for line in body)
        if not column.nullable:  # JSON null in a NOT NULL document column loads as None: such a row is validated
            steps.append("else: raise Untrusted")
    unpacked = ", ".join(f"v{i}" for i in range(count))
    fields = ", ".join(f"{name!r}: v{i}" for i, name in enumerate(names))
    indent = "        "
    source = "\n".join(
        [
            "def make(values):",
            f"    if len(values) != {count}:",
            f"        raise ValueError(f'{row.__name__}: {{len(values)}} values for {count} columns')",
            f"    {unpacked}{',' if count == 1 else ''} = values",
            "    try:",
            *(indent + line for line in steps or ["pass"]),
            "    except (Untrusted, ValidationError, TypeError):",
            "        return validate(dict(zip(names, values, strict=True)))",
            "    model = new(row)",
            f"    set_attribute(model, '__dict__', {{{fields}}})",
            "    set_attribute(model, '__pydantic_fields_set__', set(every_field))",
            "    set_attribute(model, '__pydantic_extra__', None)",
            "    set_attribute(model, '__pydantic_private__', None)",
            "    return model",
        ]
    )
    make: Callable[[Sequence[Any]], _RowT] = _defined(source, scope, f"{row.__name__}.trusted_maker")
    return make
