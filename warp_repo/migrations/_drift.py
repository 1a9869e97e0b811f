"""Drift check: compare a live database's catalog with the row declarations.

Everything expected is derived from the models (``warp_models._base``): tables, columns with their catalog types,
nullability and defaults, primary keys, unique constraints, foreign keys, named indexes and partitioning. The
check reads only ``pg_catalog``; it changes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import psycopg

from warp_models._base import TABLES, Row
from warp_models._references import foreign_keys

DriftKind = Literal[
    "missing table",
    "extra table",
    "missing column",
    "extra column",
    "type",
    "nullability",
    "default",
    "primary key",
    "unique",
    "foreign key",
    "missing index",
    "index",
    "partitioning",
]

ENGINE_TABLES = frozenset({"schema_migrations", "schema_migrations_lock"})
"""Tables the migration engine owns; they are not part of the models."""


@dataclass(frozen=True)
class Drift:
    """One difference between the models and the live database."""

    table: str
    kind: DriftKind
    expected: str
    actual: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        return f"{where}: {self.kind}: expected {self.expected}, found {self.actual}"


_CAST = re.compile(r"::[a-z_ ]+(\([0-9, ]+\))?(\[\])?")


def normalize_default(expression: str | None) -> str | None:
    """A default expression without casts, case or spacing, so ``'a'::character varying`` equals ``'a'``."""
    if expression is None:
        return None
    text = _CAST.sub("", expression.strip())
    text = re.sub(r"\s+", "", text).lower()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return text


_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum
"""

_TABLES = """
SELECT c.relname, c.relkind,
       (SELECT string_agg(att.attname, ', ' ORDER BY k.ord)
          FROM pg_partitioned_table p, unnest(p.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute att ON att.attrelid = c.oid AND att.attnum = k.attnum
         WHERE p.partrelid = c.oid),
       EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class ch ON ch.oid = i.inhrelid
                WHERE i.inhparent = c.oid AND pg_get_expr(ch.relpartbound, ch.oid) = 'DEFAULT')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""

_CONSTRAINTS = """
SELECT c.relname, con.contype,
       array_agg(a.attname::text ORDER BY k.ord),
       (SELECT f.relname FROM pg_class f WHERE f.oid = con.confrelid),
       (SELECT array_agg(fa.attname::text ORDER BY fk.ord)
          FROM unnest(con.confkey) WITH ORDINALITY AS fk(attnum, ord)
          JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = fk.attnum)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'f') AND NOT c.relispartition
GROUP BY c.relname, con.oid, con.contype, con.confrelid
"""

_INDEXES = """
SELECT c.relname, i.relname, pg_get_indexdef(i.oid)
FROM pg_index x
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND NOT c.relispartition
"""


_USING = re.compile(r" USING (\w+) \(")


def _index_shape(definition: str) -> tuple[str, str]:
    """The access method and the keys of an index, read from its ``pg_get_indexdef`` text.

    The keys are the text inside the parentheses after ``USING method``, which may hold expressions with
    parentheses of their own (``set_masklen(ip_address, subnet_mask) inet_ops``); ``INCLUDE`` and ``WHERE`` follow.
    """
    found = _USING.search(definition)
    if found is None:
        return "", definition
    depth, start = 1, found.end()
    end = start
    while end < len(definition) and depth:
        depth += {"(": 1, ")": -1}.get(definition[end], 0)
        end += 1
    keys, depth, part = [], 0, ""
    for char in definition[start : end - 1]:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            keys.append(part.strip())
            part = ""
        else:
            part += char
    keys.append(part.strip())
    return found.group(1), ", ".join(keys)


def _index_text(using: str, keys: str) -> str:
    return f"({keys})" if using == "btree" else f"USING {using} ({keys})"


def check_drift(
    conn: psycopg.Connection[tuple[object, ...]], *, tables: Iterable[type[Row]] | None = None
) -> list[Drift]:
    """Every difference between the declared tables and the database ``conn`` is connected to.

    Args:
        conn: an open connection; the check runs in the connection's current schema and only reads.
        tables: the row models to compare (default: all 18). Tables in the database that none of them declares
            are reported as extra, except the migration engine's own.

    Returns:
        The differences, table by table; an empty list when the database matches the models.
    """
    rows = list(tables) if tables is not None else list(TABLES.values())
    declared = {row.__table_spec__.name: row for row in rows}
    found: list[Drift] = []

    live_tables = {str(r[0]): r for r in conn.execute(_TABLES).fetchall()}
    live_columns: dict[str, dict[str, tuple[str, bool, str | None]]] = defaultdict(dict)
    for table, column, type_, not_null, default in conn.execute(_COLUMNS).fetchall():
        live_columns[str(table)][str(column)] = (
            str(type_),
            bool(not_null),
            default if default is None else str(default),
        )
    live_constraints: dict[str, list[tuple[str, tuple[str, ...], str | None, tuple[str, ...]]]] = defaultdict(list)
    for table, kind, cols, ref_table, ref_cols in conn.execute(_CONSTRAINTS).fetchall():
        live_constraints[str(table)].append(
            (str(kind), tuple(cols), None if ref_table is None else str(ref_table), tuple(ref_cols or ()))  # type: ignore[arg-type]
        )
    live_indexes: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for table, index, definition in conn.execute(_INDEXES).fetchall():
        live_indexes[str(table)][str(index)] = _index_shape(str(definition))

    for name in sorted(set(live_tables) - set(declared) - ENGINE_TABLES):
        if tables is None:
            found.append(Drift(name, "extra table", "no such table in the models", "a table"))
    for name, row in declared.items():
        if name not in live_tables:
            found.append(Drift(name, "missing table", "a table", "nothing"))
            continue
        found.extend(
            _compare_table(row, live_tables[name], live_columns[name], live_constraints[name], live_indexes[name])
        )
    return found


def _compare_table(
    row: type[Row],
    live_table: tuple[object, ...],
    columns: dict[str, tuple[str, bool, str | None]],
    constraints: list[tuple[str, tuple[str, ...], str | None, tuple[str, ...]]],
    indexes: dict[str, tuple[str, str]],
) -> list[Drift]:
    spec = row.__table_spec__
    name = spec.name
    out: list[Drift] = []
    primary_key = row.primary_key()
    for column in row.__columns__:
        live = columns.get(column.name)
        if live is None:
            out.append(Drift(name, "missing column", column.sql_type.describe(), "nothing", column.name))
            continue
        live_type, live_not_null, live_default = live
        if live_type != column.sql_type.catalog_name():
            out.append(Drift(name, "type", column.sql_type.catalog_name(), live_type, column.name))
        not_null = not column.nullable or column.name in primary_key
        if live_not_null != not_null:
            want, got = ("NOT NULL" if not_null else "NULL"), ("NOT NULL" if live_not_null else "NULL")
            out.append(Drift(name, "nullability", want, got, column.name))
        if normalize_default(live_default) != normalize_default(column.col.default):
            out.append(Drift(name, "default", str(column.col.default), str(live_default), column.name))
    for extra in sorted(set(columns) - {c.name for c in row.__columns__}):
        out.append(Drift(name, "extra column", "no such column in the model", columns[extra][0], extra))

    live_pk = [cols for kind, cols, _, _ in constraints if kind == "p"]
    if live_pk != [primary_key]:
        out.append(Drift(name, "primary key", f"({', '.join(primary_key)})", _keys(live_pk)))
    live_unique = {cols for kind, cols, _, _ in constraints if kind == "u"}
    for key in row.unique_keys():
        if key not in live_unique:
            out.append(Drift(name, "unique", f"UNIQUE ({', '.join(key)})", _keys(sorted(live_unique))))
    live_fks = {(cols, ref, ref_cols) for kind, cols, ref, ref_cols in constraints if kind == "f"}
    for fk in foreign_keys(row):
        if (fk.columns, fk.parent, fk.parent_columns) not in live_fks:
            expected = f"({', '.join(fk.columns)}) REFERENCES {fk.parent} ({', '.join(fk.parent_columns)})"
            found = [f"({', '.join(c)}) REFERENCES {r} ({', '.join(rc)})" for c, r, rc in live_fks if fk.column in c]
            out.append(Drift(name, "foreign key", expected, ", ".join(sorted(found)) or "none", fk.column))
    for index in spec.indexes:
        shape = (index.using, ", ".join(index.columns))
        expected = f"{index.name} {_index_text(*shape)}"
        if index.name not in indexes:
            out.append(Drift(name, "missing index", expected, "nothing"))
        elif indexes[index.name] != shape:
            out.append(Drift(name, "index", expected, _index_text(*indexes[index.name])))

    _, relkind, partition_key, has_default = live_table
    if spec.partition_by is not None:
        if relkind != "p" or partition_key != spec.partition_by:
            out.append(Drift(name, "partitioning", f"RANGE ({spec.partition_by})", str(partition_key or "none")))
        elif not has_default:
            out.append(Drift(name, "partitioning", "a DEFAULT partition", "none"))
    elif relkind == "p":
        out.append(Drift(name, "partitioning", "a plain table", f"partitioned by {partition_key}"))
    return out


def _keys(keys: Iterable[tuple[str, ...]]) -> str:
    rendered = [f"({', '.join(k)})" for k in keys]
    return ", ".join(rendered) if rendered else "none"


def format_drift(drifts: list[Drift]) -> str:
    """A readable report, grouped by table."""
    if not drifts:
        return "schema matches the models"
    by_table: dict[str, list[Drift]] = defaultdict(list)
    for drift in drifts:
        by_table[drift.table].append(drift)
    lines = [f"{len(drifts)} difference(s) between the models and the database:"]
    for table in sorted(by_table):
        lines.append(f"  {table}")
        for drift in by_table[table]:
            where = f"{drift.column}: " if drift.column else ""
            lines.append(f"    - {where}{drift.kind}: expected {drift.expected}, found {drift.actual}")
    return "\n".join(lines)
