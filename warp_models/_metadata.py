"""SQLAlchemy Core metadata derived from the row declarations, for query building (no ORM)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from warp_models._base import TABLES, Row
from warp_models._references import foreign_keys

metadata = sa.MetaData()
"""One ``Table`` per declared table, built from the declarations."""


def _build(row: type[Row]) -> sa.Table:
    spec = row.__table_spec__
    primary_key = row.primary_key()
    columns: list[SchemaItem] = []
    for column in row.__columns__:
        columns.append(
            sa.Column(
                column.name,
                column.sql_type.sa_type(),
                nullable=column.nullable and column.name not in primary_key,
                server_default=sa.text(column.col.default) if column.col.default is not None else None,
                comment=column.col.doc or None,
            )
        )
    columns.append(sa.PrimaryKeyConstraint(*primary_key, name=f"{spec.name}_pkey"))
    for key in row.unique_keys():
        columns.append(sa.UniqueConstraint(*key, name=f"{spec.name}_{'_'.join(key)}_key"))
    for fk in foreign_keys(row):
        targets = [f"{fk.parent}.{c}" for c in fk.parent_columns]
        columns.append(sa.ForeignKeyConstraint(list(fk.columns), targets, name=fk.name))
    table = sa.Table(spec.name, metadata, *columns, comment=spec.doc or None)
    for index in spec.indexes:
        expressions = [_index_key(table, key) for key in index.columns]
        options: dict[str, Any] = {} if index.using == "btree" else {"postgresql_using": index.using}
        sa.Index(index.name, *expressions, _table=table, **options)
    return table


def _index_key(table: sa.Table, key: str) -> sa.ColumnElement[object] | sa.TextClause:
    """A column, a column ``DESC``, or an expression (with its operator class) as written in the declaration."""
    if key in table.c:
        return table.c[key]
    name, _, order = key.partition(" ")
    if name in table.c and order.upper() == "DESC":
        return sa.desc(sa.column(name))
    # Declared text, never a caller's value: rendered as written inside the index's parentheses.
    return sa.text(key)


def table_of(row: type[Row]) -> sa.Table:
    """The SQLAlchemy ``Table`` of a row model."""
    return metadata.tables[row.__table_spec__.name]


def _build_all() -> None:
    for row in TABLES.values():
        if row.__table_spec__.name not in metadata.tables:
            _build(row)


_build_all()
