"""The I/O-free half of the repositories: filters, orderings, table facts and the statements they compile to.

Statements are built with SQLAlchemy Core and compiled to psycopg's ``%(name)s`` placeholders once per *shape*
(table, operation, column set, filter kinds, ordering, scope); the text is cached, so a call on the hot path is
a dictionary lookup plus a dictionary of parameters. Values never enter the statement text: every one is a bind
parameter, and identifiers come from the model declarations only.
"""

from __future__ import annotations

import functools
import gc
import re
import typing
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, LiteralString, TypeVar, cast
from uuid import UUID

import sqlalchemy as sa
from psycopg.rows import BaseRowFactory, RowMaker
from psycopg.types.json import Jsonb as JsonbParam
from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from warp_models import TABLES, Column, Create, Row, Update, table_of
from warp_models._columns import (
    Boolean,
    Date,
    Inet,
    Integer,
    Jsonb,
    Numeric,
    OrgScoped,
    ParentScoped,
    SqlType,
    Text,
    Timestamp,
    Uuid,
    Varchar,
)
from warp_models._references import is_tenant_root
from warp_models._time import to_db_timestamp
from warp_repo.errors import QueryError, TenantScopeError

T = TypeVar("T")
RowT = TypeVar("RowT", bound=Row)
CreateT = TypeVar("CreateT", bound=Create)
UpdateT = TypeVar("UpdateT", bound=Update)

SET_TENANT: LiteralString = "SELECT set_config('warp.org_id', %s, true)"
"""Sets the tenant context for the rest of the current transaction only (``is_local = true``)."""
PLATFORM_REACH: LiteralString = "SELECT set_config('warp.platform', 'on', true)"
"""Asks for the platform reach for the rest of the current transaction (granted to the platform role only)."""

_DIALECT = PGDialect_psycopg()  # type: ignore[no-untyped-call]  # SQLAlchemy leaves it unannotated
_SCOPE = sa.bindparam("scope", type_=sa.Uuid(as_uuid=True))
_UTC_NOW: sa.ColumnElement[Any] = sa.literal_column("timezone('UTC', now())")


# --- Table facts -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableInfo:
    """What the repositories need to know about one table, derived once from its model.

    Attributes:
        row: the row model.
        table: its SQLAlchemy ``Table``.
        key: the column a single row is addressed by (``id``, or the one-column primary key).
        tenant: how rows belong to an organization, ``None`` for shared data.
        stamps_updated_at: whether updates set ``updated_at`` to the current UTC time.
    """

    row: type[Row]
    table: sa.Table
    key: str
    tenant: OrgScoped | ParentScoped | None
    stamps_updated_at: bool

    @property
    def name(self) -> str:
        """The table name."""
        return self.table.name

    @property
    def root(self) -> bool:
        """Whether this is the organizations table: each row is its own tenant (its key is the tenant column)."""
        return is_tenant_root(self.row)

    def column(self, name: str) -> Column:
        """The declared column ``name``; a ``QueryError`` names the table's columns when there is none."""
        try:
            return self.row.column(name)
        except KeyError:
            known = ", ".join(c.name for c in self.row.__columns__)
            raise QueryError(f"{self.name} has no column {name!r}; its columns are: {known}") from None


@functools.cache
def info(row: type[Row]) -> TableInfo:
    """The facts of ``row``'s table (cached)."""
    names = {c.name for c in row.__columns__}
    primary_key = row.primary_key()
    if "id" in names:
        key = "id"
    elif len(primary_key) == 1:
        key = primary_key[0]
    else:
        raise QueryError(f"{row.__table_spec__.name} has no single column that identifies a row")
    return TableInfo(
        row=row,
        table=table_of(row),
        key=key,
        tenant=row.__table_spec__.tenant,
        stamps_updated_at="updated_at" in names,
    )


def parent_info(tenant: ParentScoped) -> TableInfo:
    """The table a parent-scoped table takes its organization from."""
    return info(TABLES[tenant.parent])


# --- Values ------------------------------------------------------------------------------------------------------


def db_value(column: Column, value: Any) -> Any:
    """A filter or cursor value as the driver should send it for ``column``."""
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, datetime):
        return utc(value, column.name)
    if column.is_jsonb:
        return JsonbParam(value.model_dump(mode="json") if isinstance(value, BaseModel) else value)
    return value


def utc(instant: datetime, name: str) -> datetime:
    """An aware datetime as the database's naive UTC; a naive one is refused (nothing says which zone it is in)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise QueryError(f"naive datetime for {name}: pass a timezone-aware datetime (the database stores UTC)")
    return to_db_timestamp(instant)


def driver_values(model: Row | Create | Update) -> dict[str, Any]:
    """``model.to_db()`` as the driver should send it: JSONB values wrapped as ``psycopg.types.json.Jsonb``.

    The models know nothing of the driver (``warp_models`` imports no psycopg); a JSON document alone would be
    adapted as an array or refused, so the wrapping happens here, where statements are run.
    """
    return type(model).to_db_maker(JsonbParam)(model)  # type: ignore[arg-type]  # the model's own class


# --- Filters and orderings ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterShape:
    """What a filter compiles to, without its values: the part of a statement's cache key a filter owns."""

    op: str
    column: str

    def clause(self, table: sa.Table, params: Sequence[str]) -> sa.ColumnElement[bool]:
        """The SQL condition, its values bound to ``params``."""
        col = table.c[self.column]

        def bind(i: int) -> sa.BindParameter[Any]:
            return sa.bindparam(params[i], type_=col.type)

        match self.op:
            case "eq":
                return col == bind(0)
            case "ne":
                return col.is_distinct_from(bind(0))
            case "lt":
                return col < bind(0)
            case "le":
                return col <= bind(0)
            case "gt":
                return col > bind(0)
            case "ge":
                return col >= bind(0)
            case "in":
                return col == sa.any_(sa.bindparam(params[0], type_=sa.ARRAY(col.type)))
            case "null":
                return col.is_(None)
            case "not_null":
                return col.is_not(None)
            case "range":
                return sa.and_(col >= bind(0), col < bind(1))
            case "from":
                return col >= bind(0)
            case "until":
                return col < bind(0)
        raise QueryError(f"unknown filter operation {self.op!r}")  # pragma: no cover - shapes come from Filter


class Filter(ABC):
    """A condition on one column: a small value object, never SQL text."""

    column: str

    @abstractmethod
    def shape(self) -> FilterShape:
        """What the filter compiles to."""

    @abstractmethod
    def values(self) -> tuple[Any, ...]:
        """The values to bind, in the order the shape uses them."""


@dataclass(frozen=True)
class _Compare(Filter):
    column: str
    value: Any
    op: ClassVar[str] = "eq"

    def shape(self) -> FilterShape:
        return FilterShape(self.op, self.column)

    def values(self) -> tuple[Any, ...]:
        return (self.value,)


class Eq(_Compare):
    """``column = value``; ``Eq(column, None)`` means ``column IS NULL``."""

    def shape(self) -> FilterShape:
        return FilterShape("null" if self.value is None else "eq", self.column)

    def values(self) -> tuple[Any, ...]:
        return () if self.value is None else (self.value,)


class Ne(_Compare):
    """``column IS DISTINCT FROM value``: rows where the column is ``NULL`` count as different."""

    op = "ne"


class Lt(_Compare):
    """``column < value``."""

    op = "lt"


class Le(_Compare):
    """``column <= value``."""

    op = "le"


class Gt(_Compare):
    """``column > value``."""

    op = "gt"


class Ge(_Compare):
    """``column >= value``."""

    op = "ge"


@dataclass(frozen=True)
class In(Filter):
    """``column = ANY(values)``: one bind parameter whatever the number of values, so one cached statement."""

    column: str
    values_: tuple[Any, ...]

    def __init__(self, column: str, values: Iterable[Any]) -> None:
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "values_", tuple(values))

    def shape(self) -> FilterShape:
        return FilterShape("in", self.column)

    def values(self) -> tuple[Any, ...]:
        return (list(self.values_),)


@dataclass(frozen=True)
class Range(Filter):
    """``start <= column < end`` (half-open, so consecutive ranges never overlap); either bound may be ``None``."""

    column: str
    start: Any = None
    end: Any = None

    def shape(self) -> FilterShape:
        if self.start is not None and self.end is not None:
            return FilterShape("range", self.column)
        if self.start is not None:
            return FilterShape("from", self.column)
        if self.end is not None:
            return FilterShape("until", self.column)
        raise QueryError(f"Range({self.column!r}) needs a start, an end or both")

    def values(self) -> tuple[Any, ...]:
        return tuple(v for v in (self.start, self.end) if v is not None)


@dataclass(frozen=True)
class IsNull(Filter):
    """``column IS NULL`` (or ``IS NOT NULL`` with ``null=False``)."""

    column: str
    null: bool = True

    def shape(self) -> FilterShape:
        return FilterShape("null" if self.null else "not_null", self.column)

    def values(self) -> tuple[Any, ...]:
        return ()


@dataclass(frozen=True)
class Order:
    """One key of an ordering: a column, ascending unless ``descending``.

    ``Order.parse("-created_at")`` is ``Order("created_at", descending=True)``.
    """

    column: str
    descending: bool = False

    @classmethod
    def parse(cls, spec: str | Order) -> Order:
        """An ``Order`` from itself or from a column name, ``-`` in front meaning descending."""
        if isinstance(spec, Order):
            return spec
        if spec.startswith("-"):
            return cls(spec[1:], descending=True)
        return cls(spec)

    def __str__(self) -> str:
        return f"-{self.column}" if self.descending else self.column


OrderBy = Sequence[str | Order]
"""An ordering as callers write it: ``("-start_time", "id")`` or ``(Order("start_time", descending=True),)``."""


class ColumnRef:
    """A column of a repository's table, for writing filters with operators: ``TrunkRepo.c.status == "active"``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, value: object) -> Eq:  # type: ignore[override]
        return Eq(self.name, value)

    def __ne__(self, value: object) -> Ne:  # type: ignore[override]
        return Ne(self.name, value)

    def __lt__(self, value: object) -> Lt:
        return Lt(self.name, value)

    def __le__(self, value: object) -> Le:
        return Le(self.name, value)

    def __gt__(self, value: object) -> Gt:
        return Gt(self.name, value)

    def __ge__(self, value: object) -> Ge:
        return Ge(self.name, value)

    __hash__ = None  # type: ignore[assignment]

    def in_(self, values: Iterable[Any]) -> In:
        """``column = ANY(values)``."""
        return In(self.name, values)

    def between(self, start: Any, end: Any) -> Range:
        """``start <= column < end``."""
        return Range(self.name, start, end)

    def is_null(self) -> IsNull:
        """``column IS NULL``."""
        return IsNull(self.name)

    def is_not_null(self) -> IsNull:
        """``column IS NOT NULL``."""
        return IsNull(self.name, null=False)

    def asc(self) -> Order:
        """Ascending order on this column."""
        return Order(self.name)

    def desc(self) -> Order:
        """Descending order on this column."""
        return Order(self.name, descending=True)

    def __repr__(self) -> str:
        return f"ColumnRef({self.name!r})"


class Columns:
    """The columns of one table as attributes; an unknown name fails at once, naming the table's columns."""

    def __init__(self, row: type[Row]) -> None:
        self._row = row

    def __getattr__(self, name: str) -> ColumnRef:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._row.model_fields:
            known = ", ".join(self._row.model_fields)
            raise AttributeError(f"{self._row.__table_spec__.name} has no column {name!r}; its columns are: {known}")
        return ColumnRef(name)


# --- Statements --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """A compiled statement: SQL with ``%(name)s`` placeholders, built from declared identifiers only."""

    sql: LiteralString
    params: tuple[str, ...]


def _compile(stmt: sa.ClauseElement) -> Statement:
    compiled = stmt.compile(dialect=_DIALECT)
    # The text comes from declared identifiers and bind-parameter names, never from a caller's value.
    return Statement(compiled.string, tuple(compiled.params))


def _returning(t: TableInfo) -> list[sa.Column[Any]]:
    return [t.table.c[c.name] for c in t.row.__columns__]


_IN_UTC: sa.ColumnElement[Any] = sa.literal_column("'UTC'")


def _read_columns(t: TableInfo, utc: bool, source: sa.FromClause | None = None) -> list[sa.ColumnElement[Any]]:
    """The columns a read selects, in declaration order; with ``utc``, timestamps ``AT TIME ZONE 'UTC'``.

    ``utc`` is for a session in UTC (see ``warp_repo._core.loading``): each ``TIMESTAMP`` column is read as the
    ``timestamptz`` of the same instant, which the driver loads as an aware UTC value; the name stays the column's.
    ``source``: where the columns come from, the table unless given (a subquery).
    """
    columns: list[sa.ColumnElement[Any]] = []
    of = t.table if source is None else source
    for c in t.row.__columns__:
        column = of.c[c.name]
        if utc and isinstance(c.col.type, Timestamp):
            columns.append(column.op("AT TIME ZONE")(_IN_UTC).label(c.name))
        else:
            columns.append(column)
    return columns


def scope_clause(t: TableInfo) -> sa.ColumnElement[bool]:
    """Rows of ``t`` that belong to the organization bound to ``%(scope)s``, through parents if need be."""
    tenant = t.tenant
    if isinstance(tenant, OrgScoped):
        return t.table.c[tenant.column] == _SCOPE
    if isinstance(tenant, ParentScoped):
        parent = parent_info(tenant)
        owned = sa.select(parent.table.c[parent.key]).where(scope_clause(parent))
        return t.table.c[tenant.column].in_(owned)
    raise QueryError(f"{t.name} is shared by every organization: it has no tenant scope")


WhereShape = tuple[FilterShape, ...]


def filter_param_names(where: WhereShape) -> list[list[str]]:
    """The bind-parameter names of each filter of a where shape, ``w<filter>_<value>``."""
    arity = {"null": 0, "not_null": 0, "range": 2}
    return [[f"w{i}_{j}" for j in range(arity.get(shape.op, 1))] for i, shape in enumerate(where)]


def _where(t: TableInfo, where: WhereShape, scoped: bool) -> list[sa.ColumnElement[bool]]:
    for shape in where:
        t.column(shape.column)
    clauses = [shape.clause(t.table, names) for shape, names in zip(where, filter_param_names(where), strict=True)]
    if scoped:
        clauses.append(scope_clause(t))
    return clauses


def _order(
    t: TableInfo, order: tuple[Order, ...], source: sa.FromClause | None = None
) -> list[sa.UnaryExpression[Any]]:
    out = []
    of = t.table if source is None else source
    for o in order:
        col = of.c[t.column(o.column).name]
        out.append(col.desc().nulls_first() if o.descending else col.asc().nulls_last())
    return out


@functools.cache
def select_by_key(row: type[Row], scoped: bool, many: bool, utc: bool = False) -> Statement:
    """``SELECT`` one row by ``%(key)s``, or several by ``= ANY(%(keys)s)``; ``utc``: see ``_read_columns``."""
    t = info(row)
    key = t.table.c[t.key]
    cond = key == sa.any_(sa.bindparam("keys", type_=sa.ARRAY(key.type))) if many else key == sa.bindparam("key")
    stmt = sa.select(*_read_columns(t, utc)).where(cond, *([scope_clause(t)] if scoped else []))
    return _compile(stmt)


@functools.cache
def select_rows(
    row: type[Row],
    where: WhereShape,
    scoped: bool,
    order: tuple[Order, ...],
    limited: bool,
    keyset: tuple[bool, ...] | None = None,
    utc: bool = False,
) -> Statement:
    """``SELECT`` rows matching filters, in an order, at most ``%(limit)s``, after a keyset position ``%(k<i>)s``.

    Args:
        row: the table's model.
        where: the filters' shapes.
        scoped: add the tenant condition on ``%(scope)s``.
        order: the ordering.
        limited: add ``LIMIT %(limit)s``.
        keyset: for a page after a cursor: which of the cursor's values are ``NULL`` (one per ordering key).
        utc: timestamps read as aware UTC values (see ``_read_columns``).
    """
    t = info(row)
    clauses = _where(t, where, scoped)
    if keyset is not None:
        clauses.append(keyset_clause(t, order, keyset))
    if not limited:
        return _compile(sa.select(*_read_columns(t, utc)).where(*clauses).order_by(*_order(t, order)))
    stmt = sa.select(*_returning(t)).where(*clauses).order_by(*_order(t, order))
    stmt = stmt.limit(sa.bindparam("limit", type_=sa.Integer()))
    if not utc or not any(isinstance(c.col.type, Timestamp) for c in t.row.__columns__):
        return _compile(stmt)
    # The timestamps converted on the rows kept only: a page sorted after its scan would otherwise convert every
    # row the scan passes (a deep page's 1 000 for 51: 0.8 instead of 0.3 ms on the server). The outer ordering
    # follows the inner one, already sorted.
    page = stmt.subquery("page")
    return _compile(sa.select(*_read_columns(t, True, page)).order_by(*_order(t, order, page)))


def keyset_clause(t: TableInfo, order: tuple[Order, ...], nulls: tuple[bool, ...]) -> sa.ColumnElement[bool]:
    """Rows strictly after the position ``(%(k0)s, %(k1)s, ...)`` in ``order``, ``NULL`` values included.

    ``ORDER BY`` puts ``NULL`` last when ascending and first when descending; the condition follows the same rule.
    When every key runs the same way and none can be ``NULL``, a row comparison is used, which an index serves.
    """
    cols = [t.table.c[o.column] for o in order]
    params = [sa.bindparam(f"k{i}", type_=col.type) for i, col in enumerate(cols)]
    nullable = [t.column(o.column).nullable for o in order]
    directions = {o.descending for o in order}
    if len(directions) == 1 and not any(nullable):
        left, right = sa.tuple_(*cols), sa.tuple_(*params)
        after_row = left < right if order[0].descending else left > right
        if order[0].column != t.row.__table_spec__.partition_by:
            return after_row
        # The row comparison prunes no partition; a bound on the partition column alone does (planning a deep
        # page of a table with many partitions falls from milliseconds to a fraction of one).
        bound = cols[0] <= params[0] if order[0].descending else cols[0] >= params[0]
        return sa.and_(after_row, bound)

    def after(i: int) -> sa.ColumnElement[bool]:
        col, param = cols[i], params[i]
        if order[i].descending:
            return col.is_not(None) if nulls[i] else col < param
        if nulls[i]:
            return sa.false()
        return sa.or_(col > param, col.is_(None)) if nullable[i] else col > param

    def same(i: int) -> sa.ColumnElement[bool]:
        return cols[i].is_(None) if nulls[i] else cols[i] == params[i]

    return sa.or_(*(sa.and_(*(same(j) for j in range(i)), after(i)) for i in range(len(order))))


@functools.cache
def count_rows(row: type[Row], where: WhereShape, scoped: bool) -> Statement:
    """``SELECT count(*)`` of the rows matching filters."""
    t = info(row)
    return _compile(sa.select(sa.func.count()).select_from(t.table).where(*_where(t, where, scoped)))


@functools.cache
def exists_rows(row: type[Row], where: WhereShape, scoped: bool) -> Statement:
    """``SELECT EXISTS (...)`` of the rows matching filters."""
    t = info(row)
    inner: sa.Select[Any] = sa.select(sa.literal_column("1")).select_from(t.table).where(*_where(t, where, scoped))
    return _compile(sa.select(sa.exists(inner)))


def _values(t: TableInfo, columns: tuple[str, ...]) -> dict[str, sa.BindParameter[Any]]:
    return {c: sa.bindparam(f"v_{c}", type_=t.table.c[c].type) for c in columns}


@functools.cache
def insert_row(row: type[Row], columns: tuple[str, ...]) -> Statement:
    """``INSERT`` the given columns (``%(v_<column>)s``), the others taking their defaults, ``RETURNING`` the row."""
    t = info(row)
    if not columns:
        # SQLAlchemy would list every column; a row made of defaults only is spelled DEFAULT VALUES.
        quote = _DIALECT.identifier_preparer.quote
        returning = ", ".join(quote(c.name) for c in t.row.__columns__)
        return Statement(f"INSERT INTO {quote(t.name)} DEFAULT VALUES RETURNING {returning}", ())
    return _compile(sa.insert(t.table).values(_values(t, columns)).returning(*_returning(t)))


@functools.cache
def update_row(row: type[Row], columns: tuple[str, ...], scoped: bool) -> Statement:
    """``UPDATE`` the given columns of the row ``%(key)s``, stamping ``updated_at``, ``RETURNING`` the row."""
    t = info(row)
    values: dict[str, Any] = dict(_values(t, columns))
    if t.stamps_updated_at:
        values["updated_at"] = _UTC_NOW
    cond = [t.table.c[t.key] == sa.bindparam("key"), *([scope_clause(t)] if scoped else [])]
    return _compile(sa.update(t.table).where(*cond).values(values).returning(*_returning(t)))


def conflict_key(t: TableInfo, on: tuple[str, ...]) -> tuple[str, ...]:
    """Check that ``on`` is a unique key of the table as stored (partition column included)."""
    for name in on:
        t.column(name)
    keys = [t.row.primary_key(), *t.row.unique_keys()]
    if any(set(key) == set(on) for key in keys):
        return on
    known = "; ".join(f"on=({', '.join(repr(c) for c in key)},)" for key in keys)
    raise QueryError(f"{t.name} has no unique key on ({', '.join(on)}); upsert needs one of: {known}")


@functools.cache
def upsert_row(row: type[Row], columns: tuple[str, ...], on: tuple[str, ...], scoped: bool) -> Statement:
    """``INSERT ... ON CONFLICT (on) DO UPDATE`` the given columns, ``RETURNING`` the row.

    When scoped, the existing row is updated only if it belongs to ``%(scope)s``; otherwise no row comes back.
    """
    t = info(row)
    on = conflict_key(t, on)
    stmt = pg_insert(t.table).values(_values(t, columns))
    updates: dict[str, Any] = {c: stmt.excluded[c] for c in columns if c not in on}
    if t.stamps_updated_at:
        updates["updated_at"] = _UTC_NOW
    if not updates:
        # Nothing to change, but DO UPDATE (unlike DO NOTHING) returns the existing row.
        updates = {on[0]: stmt.excluded[on[0]]}
    stmt = stmt.on_conflict_do_update(index_elements=list(on), set_=updates, where=scope_clause(t) if scoped else None)
    return _compile(stmt.returning(*_returning(t)))


@functools.cache
def delete_returning(row: type[Row], where: WhereShape | None, scoped: bool) -> Statement:
    """``DELETE`` the row ``%(key)s`` (``where`` is ``None``) or the rows matching filters.

    Each deleted row returns its key and, where the table has one, its organization column: what the audit trail
    records.
    """
    t = info(row)
    returned = [t.table.c[t.key]]
    if isinstance(t.tenant, OrgScoped) and t.tenant.column != t.key:
        returned.append(t.table.c[t.tenant.column])
    if where is None:
        cond = [t.table.c[t.key] == sa.bindparam("key"), *([scope_clause(t)] if scoped else [])]
    else:
        cond = _where(t, where, scoped)
    return _compile(sa.delete(t.table).where(*cond).returning(*returned))


@functools.cache
def owned_parents(tenant: ParentScoped) -> Statement:
    """The parent keys among ``%(keys)s`` that belong to ``%(scope)s``."""
    parent = parent_info(tenant)
    key = parent.table.c[parent.key]
    cond = key == sa.any_(sa.bindparam("keys", type_=sa.ARRAY(key.type)))
    return _compile(sa.select(key).where(cond, scope_clause(parent)))


_PG_TYPES: dict[type[SqlType], str] = {
    Varchar: "varchar",
    Numeric: "numeric",
    Uuid: "uuid",
    Integer: "int4",
    Boolean: "bool",
    Text: "text",
    Jsonb: "jsonb",
    Timestamp: "timestamp",
    Date: "date",
    Inet: "inet",
}


@dataclass(frozen=True)
class CopyStatement:
    """A ``COPY ... FROM STDIN`` in binary format and the type of each column, as ``Copy.set_types`` wants them."""

    sql: LiteralString
    types: tuple[str, ...]


@functools.cache
def copy_rows(row: type[Row], columns: tuple[str, ...]) -> CopyStatement:
    """``COPY table (columns) FROM STDIN (FORMAT BINARY)``."""
    t = info(row)
    quote = _DIALECT.identifier_preparer.quote
    names = ", ".join(quote(t.column(c).name) for c in columns)
    types_ = tuple(_PG_TYPES[type(t.column(c).sql_type)] for c in columns)
    text = f"COPY {quote(t.name)} ({names}) FROM STDIN (FORMAT BINARY)"
    return CopyStatement(text, types_)


# --- Binding -----------------------------------------------------------------------------------------------------


def bind_filters(t: TableInfo, filters: Sequence[Filter]) -> tuple[WhereShape, dict[str, Any]]:
    """The shape of ``filters`` (part of a cache key) and their values as bind parameters."""
    where = tuple(f.shape() for f in filters)
    params: dict[str, Any] = {}
    for f, shape, names in zip(filters, where, filter_param_names(where), strict=True):
        column = t.column(shape.column)
        for name, value in zip(names, f.values(), strict=True):
            if shape.op == "in":
                params[name] = [db_value(column, v) for v in value]
            else:
                params[name] = db_value(column, value)
    return where, params


def parse_order(t: TableInfo, order_by: OrderBy) -> tuple[Order, ...]:
    """An ordering with the key column appended when missing, so that it is total (every row has one place)."""
    order = tuple(Order.parse(o) for o in order_by)
    for o in order:
        t.column(o.column)
    if not any(o.column == t.key for o in order):
        order = (*order, Order(t.key, descending=order[-1].descending if order else False))
    return order


def model_rows(model: type[RowT], validate: bool = False) -> BaseRowFactory[RowT]:
    """A psycopg row factory making ``model`` rows from stored values (naive timestamps read as UTC).

    By default a row is built the trusted way (``Row.from_db_trusted``): what was validated on its way in is not
    validated again, though a model never holds a value of another type than it declares. ``validate=True``
    validates every row in full (``Row.from_db``), for tables that other systems write.

    Every statement that returns rows selects the declared columns in declaration order, so the names are known
    in advance; reading them from the cursor's description would cost more than the query on a fast network.
    """
    if not validate:
        trusted: RowMaker[RowT] = model.trusted_maker()

        def trusted_factory(cursor: Any) -> RowMaker[RowT]:
            return trusted

        return trusted_factory
    names = tuple(c.name for c in model.__columns__)
    from_db = model.from_db

    def make(values: Sequence[Any]) -> RowT:
        return from_db(dict(zip(names, values, strict=True)))

    def factory(cursor: Any) -> RowMaker[RowT]:
        return make

    return factory


# --- The repositories' shared, I/O-free part ---------------------------------------------------------------------


def _type_args(cls: type) -> tuple[Any, ...] | None:
    for base in cls.__dict__.get("__orig_bases__", ()):
        args = typing.get_args(base)
        if len(args) == 3 and all(isinstance(a, type) for a in args):
            return args
    return None


class RepoCore(Generic[RowT, CreateT, UpdateT]):
    """What sync and async repositories share: the table, its shapes, the scope and the parameter building.

    A concrete repository names its three shapes once, as type arguments; the model classes are read from them::

        class TrunkRepo(TenantRepo[SipTrunk, SipTrunkCreate, SipTrunkUpdate]):
            '''SIP trunks.'''
    """

    model: ClassVar[type[Row]]
    create_model: ClassVar[type[Create]]
    update_model: ClassVar[type[Update]]
    c: ClassVar[Columns]
    """The table's columns, for filters: ``TrunkRepo.c.status == "active"``."""
    key_column: ClassVar[str]
    """The column ``get``, ``update`` and ``delete`` address a row by (``id``, or the one-column primary key)."""
    _info: ClassVar[TableInfo]
    _tenant_api: ClassVar[bool] = False
    validate_reads: bool = False
    """Validate every row read in full (``Row.from_db``) instead of trusting what the database stored.

    Set it on a repository class (or pass ``validate_reads=True`` to the constructor) for a table that another
    system writes without the SDK's models; rows returned by the SDK's own writes are always validated.
    """

    _scope: UUID | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Read the row, create and update models from the type arguments and check that they agree."""
        super().__init_subclass__(**kwargs)
        args = _type_args(cls)
        if args is None:
            return
        row, create, update = args
        if not (issubclass(row, Row) and issubclass(create, Create) and issubclass(update, Update)):
            raise TypeError(f"{cls.__name__}: type arguments must be a Row, its Create and its Update model")
        if create.__row__ is not row or update.__row__ is not row:
            raise TypeError(f"{cls.__name__}: {create.__name__} and {update.__name__} must be shapes of {row.__name__}")
        table = info(row)
        if cls._tenant_api != (table.tenant is not None):
            kind = "holds tenant data" if table.tenant is not None else "is shared by every organization"
            raise TypeError(f"{cls.__name__}: {table.name} {kind}; derive from the matching base repository")
        cls.model, cls.create_model, cls.update_model = row, create, update
        cls.c = Columns(row)
        cls.key_column = table.key
        cls._info = table

    @property
    def org_id(self) -> UUID | None:
        """The organization this repository is scoped to, ``None`` when unscoped."""
        return self._scope

    def _rows(self, validate: bool = False) -> BaseRowFactory[RowT]:
        """The row factory of reads: trusted unless this repository validates its reads (or ``validate``)."""
        return cast(BaseRowFactory[RowT], _row_factory(self.model, validate or self.validate_reads))

    def _require_scope(self, method: str) -> None:
        """Refuse a multi-row read or write of tenant data without an organization."""
        if self._scope is None and self._info.tenant is not None:
            raise TenantScopeError(
                f"{type(self).__name__}.{method}() reads or changes rows of many organizations: scope it with "
                f"repo.for_org(org_id).{method}(...); cross-organization reads are repo.unscoped_platform_*()"
            )

    def _refuse_other_org(self, org_id: UUID | None, method: str) -> None:
        """Keep a scoped repository inside its organization, whatever method is called."""
        if self._scope is not None and org_id != self._scope:
            raise TenantScopeError(
                f"{type(self).__name__}.{method}() would read outside organization {self._scope}, "
                "the one this repository is scoped to; use an unscoped repository for that"
            )

    def _scope_params(self, scope: UUID | None) -> dict[str, Any]:
        return {"scope": scope} if scope is not None else {}

    def _insert_values(self, create: Create, scope: UUID | None) -> tuple[dict[str, Any], UUID | None]:
        """The columns to insert, stamped with the scope; also the parent key a parent-scoped row must own."""
        if not isinstance(create, self.create_model):
            raise QueryError(f"{type(self).__name__} inserts {self.create_model.__name__}, not {type(create).__name__}")
        values = driver_values(create)
        return values, self._stamp(values, scope, "insert")

    def _stamp(self, values: dict[str, Any], scope: UUID | None, what: str) -> UUID | None:
        tenant = self._info.tenant
        if scope is None or tenant is None:
            return None
        if isinstance(tenant, OrgScoped):
            given = values.get(tenant.column)
            if given is not None and given != scope:
                raise TenantScopeError(
                    f"{self._info.name}: cannot {what} a row of organization {given} through a repository scoped to "
                    f"{scope}"
                )
            values[tenant.column] = scope
            return None
        parent = values.get(tenant.column)
        if parent is None:
            raise TenantScopeError(
                f"{self._info.name}: a row without {tenant.column} belongs to no organization; "
                f"set {tenant.column} to a {tenant.parent} row of organization {scope}"
            )
        return cast(UUID, parent)

    def _patch_values(self, patch: Update, scope: UUID | None) -> tuple[dict[str, Any], UUID | None]:
        if not isinstance(patch, self.update_model):
            raise QueryError(f"{type(self).__name__} applies {self.update_model.__name__}, not {type(patch).__name__}")
        values = driver_values(patch)
        tenant = self._info.tenant
        if scope is None or tenant is None or tenant.column not in values:
            return values, None
        return values, self._stamp(values, scope, "move")

    def _not_owned(self, scope: UUID, parents: Iterable[UUID], owned: Iterable[Any]) -> TenantScopeError | None:
        missing = set(parents) - {key for (key,) in owned}
        if not missing:
            return None
        tenant = cast(ParentScoped, self._info.tenant)
        return TenantScopeError(
            f"{self._info.name}.{tenant.column}: {len(missing)} {tenant.parent} row(s) are not rows of organization "
            f"{scope} (or do not exist)"
        )

    def _conflict_on(self, on: Sequence[str] | None) -> tuple[str, ...]:
        return conflict_key(self._info, tuple(on) if on else self.model.primary_key())

    def _held_elsewhere(self, on: tuple[str, ...]) -> TenantScopeError:
        return TenantScopeError(
            f"{self._info.name}: the row holding this ({', '.join(on)}) belongs to another organization than "
            f"{self._scope}; it was left unchanged"
        )

    def _validated(self, index: int, item: Any, scope: UUID | None) -> Create:
        """An ingest item as a create model; a mapping is validated, its errors located at row ``index``.

        A mapping without the organization column takes the repository's organization.
        """
        if type(item) is not dict and not isinstance(item, Mapping):  # a dict without the ABC's instance check
            return cast(Create, item)
        tenant = self._info.tenant
        if scope is not None and isinstance(tenant, OrgScoped) and tenant.column not in item:
            item = {**item, tenant.column: scope}
        try:
            return self.create_model.model_validate(item)
        except ValidationError as exc:
            raise at_row(exc, index, self.create_model) from exc


def at_row(exc: ValidationError, index: int, model: type[BaseModel]) -> ValidationError:
    """The same validation errors with the row's index in front of each location: ``(50001, 'duration')``."""
    details: list[InitErrorDetails] = []
    for error in exc.errors():
        # The same type and message, as written: a built-in error type rebuilt from its context can need context
        # keys that ``errors()`` does not give back (an email's ``value_error`` has no ``error``).
        kind = PydanticCustomError(error["type"], error["msg"])
        details.append({"type": kind, "loc": (index, *error["loc"]), "input": error["input"]})
    hide = bool(model.model_config.get("hide_input_in_errors", False))
    return ValidationError.from_exception_data(f"{model.__name__} (row {index})", details, hide_input=hide)


PAUSE_FROM_ROWS = 1000
"""The fewest rows of one result for which ``collector_paused`` pauses the collector; a read asking for fewer
(a get, a page) may use the connection's kept cursor."""


@contextmanager
def collector_paused(rows: int) -> Iterator[None]:
    """The cyclic garbage collector paused while the ``rows`` models of one result are built, when there are many.

    Models of stored rows hold no reference cycles, so a collection during the build finds nothing to free; yet
    CPython walks the young objects every 700 allocations and the older ones as the result grows, which took a
    third of the client's time of a 20 000-row read. Collections resume once the rows are built; a collector the
    application has switched off stays off.
    """
    if rows < PAUSE_FROM_ROWS or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def rows_of(model: type[RowT], validate: bool = False) -> BaseRowFactory[RowT]:
    """The row factory of ``model`` (see ``model_rows``), made once per model, shared by repositories and services."""
    return cast(BaseRowFactory[RowT], _row_factory(model, validate))


_MODEL_OF: dict[BaseRowFactory[Any], type[Row]] = {}
"""The model of each trusted factory ``rows_of`` made, so that a write can swap it for the validating one."""


@functools.cache
def _row_factory(model: type[Row], validate: bool) -> BaseRowFactory[Row]:
    made = model_rows(model, validate)
    if not validate:
        _MODEL_OF[made] = model
    return made


def for_write(factory: BaseRowFactory[T]) -> BaseRowFactory[T]:
    """The factory for the rows a write returns: a ``rows_of`` factory validates them in full; others as they are.

    What a write returns was stored by the write itself: a trigger or a changed default may have made it a value
    the model refuses, which must be known while the write can still be kept from staying.
    """
    model = _MODEL_OF.get(factory)
    return factory if model is None else cast(BaseRowFactory[T], _row_factory(model, True))


_LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b", re.IGNORECASE)
_WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?\"?(\w+)", re.IGNORECASE)
_QUOTED = re.compile(r"'(?:[^']|'')*'")


@functools.cache
def written_by(sql: str) -> tuple[str, str] | None:
    """The first write of a statement as (``INSERT INTO``, ``UPDATE`` or ``DELETE FROM``, table); ``None`` if none.

    A ``SELECT ... FOR UPDATE`` locks rows without writing them; quoted text is not read.
    """
    bare = _LOCKING.sub(" ", _QUOTED.sub("''", sql))
    found = _WRITE.search(bare)
    if found is None:
        return None
    return " ".join(found.group(1).upper().split()), found.group(2)
