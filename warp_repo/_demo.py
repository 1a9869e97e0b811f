"""``warp-db demo``: migrate a database, check it against the models and describe what is in it."""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from warp_models import TABLES
from warp_models._columns import OrgScoped, ParentScoped
from warp_models.migrations import check_drift, format_drift, migrate

_PARTITIONS = """
SELECT count(*) FILTER (WHERE pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'),
       min(c.relname) FILTER (WHERE pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'),
       max(c.relname) FILTER (WHERE pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'),
       bool_or(pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT')
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = %s::regclass
"""


def _scope(name: str) -> str:
    tenant = TABLES[name].__table_spec__.tenant
    if isinstance(tenant, OrgScoped):
        return f"org ({tenant.column})"
    if isinstance(tenant, ParentScoped):
        return f"via {tenant.parent} ({tenant.column})"
    return "shared"


def describe(conn: psycopg.Connection[tuple[object, ...]]) -> Table:
    """A table of the schema: each table's domain, columns, rows, partitions and tenant scope."""
    table = Table(title="WARP schema")
    for heading in ("table", "domain", "columns", "rows", "partitions", "tenant scope"):
        table.add_column(heading, justify="right" if heading in ("columns", "rows") else "left")
    for name, row in TABLES.items():
        count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()
        partitions = ""
        if row.__table_spec__.partition_by:
            monthly, first, last, default = conn.execute(_PARTITIONS, (name,)).fetchone() or (0, None, None, False)
            partitions = f"{monthly} monthly ({first} .. {last})" + (" + default" if default else "")
        domain = row.__module__.rsplit(".", 1)[-1]
        table.add_row(name, domain, str(len(row.__columns__)), str(count[0] if count else 0), partitions, _scope(name))
    return table


def run_demo(url: str, console: Console, *, migrations_dir: Path | None = None) -> int:
    """Migrate ``url``, run the drift check, print the schema report; 0 when the schema matches the models."""
    console.rule("1. migrate")
    report = migrate(url, migrations_dir=migrations_dir)
    if report.applied:
        for step in report.applied:
            console.print(f"applied {step.version} {step.name} ({step.execution_ms} ms)")
    else:
        console.print("nothing to apply: the database is up to date")
    console.rule("2. drift check")
    with psycopg.connect(url) as conn:
        drifts = check_drift(conn)
        console.print(format_drift(drifts), markup=False)
        console.rule("3. schema")
        console.print(describe(conn))
    console.print(f"{len(TABLES)} tables; drift check {'passed' if not drifts else 'FAILED'}")
    return 1 if drifts else 0
