"""Monthly partitions of the time-partitioned tables (PostgreSQL-only): create ahead, drop old ones.

Partitions are named ``<table>_YYYY_MM`` and hold one calendar month of the partition key. Creation is done by the
SQL function ``warp_ensure_monthly_partitions`` that the first bundled migration installs, so that migrations and
this module share one implementation: it is idempotent, serialises concurrent callers with a lock on the parent,
and moves rows that the DEFAULT partition holds for a new month into that month's partition, in the same
transaction. CockroachDB has no PARTITION OF; there these functions have nothing to do.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from typing import LiteralString

import psycopg
from psycopg import sql

from warp_models.errors import MigrationError

__all__ = ["ensure_partitions", "partitioned_tables", "prune_partitions"]

logger = logging.getLogger("warp_repo.migrations")

_DISCOVER: LiteralString = """
SELECT c.relname
  FROM pg_partitioned_table pt
  JOIN pg_class c ON c.oid = pt.partrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
 WHERE pt.partstrat = 'r' AND pt.partnatts = 1 AND NOT c.relispartition
   AND n.nspname = current_schema()
   AND a.atttypid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype)
 ORDER BY c.relname
"""

_CHILDREN: LiteralString = """
SELECT n.nspname, c.relname
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE i.inhparent = %s::regclass
 ORDER BY c.relname
"""


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(month: dt.date, count: int) -> dt.date:
    years, index = divmod(month.month - 1 + count, 12)
    return dt.date(month.year + years, index + 1, 1)


def partitioned_tables(conninfo: str) -> list[str]:
    """Return the tables of the current schema partitioned by RANGE on one date or timestamp column.

    Args:
        conninfo: the database, as given to ``psycopg.connect``.

    Returns:
        Their names, sorted.
    """
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return [row[0] for row in conn.execute(_DISCOVER)]


def ensure_partitions(
    conninfo: str,
    months_ahead: int = 3,
    *,
    months_behind: int = 0,
    tables: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> list[str]:
    """Create the missing monthly partitions from ``months_behind`` months ago to ``months_ahead`` months ahead.

    Safe to run any number of times and from several processes at once. Rows that the DEFAULT partition holds
    for a month being created are moved into the new partition in the same transaction; none is lost.

    Args:
        conninfo: the database, as given to ``psycopg.connect``.
        months_ahead: how many months after the current one to cover.
        months_behind: how many months before the current one to cover.
        tables: the partitioned tables; every RANGE-partitioned table of the current schema with a date or
            timestamp key when None (in WARP: cdrs, messages, usage_records).
        today: the date taken as "now" (today when None).

    Returns:
        The names of the partitions created, in order.

    Raises:
        MigrationError: a negative month count, or the partition function is not installed (migrate first).
    """
    if months_ahead < 0 or months_behind < 0:
        raise MigrationError("months_ahead and months_behind cannot be negative.")
    current = _month(today or dt.date.today())
    first, last = _add_months(current, -months_behind), _add_months(current, months_ahead)
    created: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        names = list(tables) if tables is not None else [row[0] for row in conn.execute(_DISCOVER)]
        for table in names:
            try:
                with conn.transaction():
                    rows = conn.execute(
                        "SELECT * FROM warp_ensure_monthly_partitions(%s::regclass, %s, %s)", [table, first, last]
                    ).fetchall()
            except psycopg.errors.UndefinedFunction as exc:
                raise MigrationError(
                    "the function warp_ensure_monthly_partitions is missing: apply the bundled migrations first "
                    "(migrate)."
                ) from exc
            for (name,) in rows:
                logger.info("created partition %s", name)
                created.append(name)
    return created


def prune_partitions(
    conninfo: str,
    older_than_months: int,
    confirm: bool,
    *,
    tables: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> list[str]:
    """Drop the monthly partitions whose whole month ended more than ``older_than_months`` months ago.

    The partitions and their rows are deleted for good: without ``confirm`` nothing is dropped and the list of
    what would be is returned, so the caller can show it first. The DEFAULT partition is never dropped. Each
    partition is dropped in its own short transaction.

    Args:
        conninfo: the database, as given to ``psycopg.connect``.
        older_than_months: keep this many whole months before the current one (at least 1).
        confirm: really drop; when False, only report.
        tables: the partitioned tables; every RANGE-partitioned table with a date or timestamp key when None.
        today: the date taken as "now" (today when None).

    Returns:
        The partitions dropped (or that would be), in order.

    Raises:
        MigrationError: ``older_than_months`` is below 1.
    """
    if older_than_months < 1:
        raise MigrationError(f"older_than_months must be at least 1, not {older_than_months}.")
    cutoff = _add_months(_month(today or dt.date.today()), -older_than_months)
    chosen: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        names = list(tables) if tables is not None else [row[0] for row in conn.execute(_DISCOVER)]
        for table in names:
            base = table.rsplit(".", 1)[-1].strip('"')
            pattern = re.compile(rf"^{re.escape(base)}_(\d{{4}})_(\d{{2}})$")
            for schema, child in conn.execute(_CHILDREN, [table]).fetchall():
                match = pattern.match(child)
                if match is None or not 1 <= int(match.group(2)) <= 12:
                    continue
                month = dt.date(int(match.group(1)), int(match.group(2)), 1)
                if _add_months(month, 1) > cutoff:
                    continue
                chosen.append(child)
                if confirm:
                    with conn.transaction():
                        conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(schema, child)))
                    logger.info("dropped partition %s.%s", schema, child)
    return chosen
