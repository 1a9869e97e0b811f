"""The three shapes of a table: the row as stored, what a caller passes to create one, and a partial update.

``Row`` subclasses are the declarations. ``Create`` and ``Update`` subclasses are generated from them
(``python tools/codegen.py``) with plain Python types, so that type checkers see every field; at class
creation each generated field takes its column's ``Col`` from the row, so the limits are never written twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from warp_models._columns import Col, Jsonb, SqlType, TableSpec, split_optional, widen_for_partition
from warp_models._references import org_key
from warp_models._time import FROM_DB, to_db_timestamp
from warp_models.errors import WarpError

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

    def to_db(self) -> dict[str, Any]:
        """Every column's value as stored: UTC timestamps, secrets revealed, JSON documents as JSON values."""
        return _db_values(self, type(self), tuple(c.name for c in type(self).__columns__))


def _db_values(model: BaseModel, row: type[Row], names: tuple[str, ...]) -> dict[str, Any]:
    jsonb = [n for n in names if row.column(n).is_jsonb]
    as_json = model.model_dump(mode="json", include=set(jsonb)) if jsonb else {}
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(model, name)
        if value is None:
            out[name] = None
        elif name in as_json:
            out[name] = as_json[name]
        elif isinstance(value, SecretStr):
            out[name] = value.get_secret_value()
        elif isinstance(value, datetime):
            out[name] = to_db_timestamp(value)
        else:
            out[name] = value
    return out


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

    @model_validator(mode="after")
    def _check_given(self) -> Self:
        self.__row__.check({name: getattr(self, name) for name in self.model_fields_set})
        return self

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
        given = {name: getattr(self, name) for name in self.model_fields_set}
        for name, value in given.items():
            column = self.__row__.column(name)
            # ``id=None`` keeps its documented meaning, "let the database choose the key".
            generated_key = column.col.primary_key and column.has_server_default
            if value is None and not column.nullable and not generated_key:
                raise ValueError(
                    f"{name} cannot be NULL (the column is NOT NULL); leave it out to take the database's default"
                )
        self.__row__.check(_server_defaults(self.__row__) | given)
        return self

    def to_db(self) -> dict[str, Any]:
        """The columns to insert, as stored (see ``Row.to_db``)."""
        names = tuple(n for n in self.given() if getattr(self, n) is not None or self.__row__.column(n).nullable)
        return _db_values(self, self.__row__, names)


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
        """The columns to change, as stored (see ``Row.to_db``)."""
        return _db_values(self, self.__row__, self.given())
