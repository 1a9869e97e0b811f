"""Foreign keys as stored, derived from the ``Col(references=...)`` declarations.

A reference from one tenant table to another (both hold an ``org_id`` column, and the referenced table is not
``organizations`` itself) is stored as a two-column key, ``(org_id, column) -> (org_id, id)``: PostgreSQL checks
foreign keys without row-level security, so a one-column key would let a row of organization A name a row of
organization B. The referenced table then carries a ``UNIQUE (org_id, id)`` key for the foreign key to point at.
Nothing is declared twice: both follow from the columns' ``references`` and the tables' ``tenant``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from warp_models._columns import OrgScoped

if TYPE_CHECKING:
    from warp_models._base import Row

__all__ = ["ForeignKey", "foreign_keys", "is_tenant_root", "org_key"]


@dataclass(frozen=True)
class ForeignKey:
    """One foreign key as stored.

    Attributes:
        name: the constraint's name (``<table>_<column>_fkey``, whether the key has one column or two).
        column: the declared column.
        columns: the referencing columns as stored (``(org_id, column)`` when ``same_org``).
        parent: the referenced table.
        parent_columns: the referenced columns as stored.
        same_org: whether the referenced row must belong to the referencing row's organization.
    """

    name: str
    column: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    same_org: bool


def _tables() -> dict[str, type[Row]]:
    from warp_models._base import TABLES

    return TABLES


def is_tenant_root(row: type[Row]) -> bool:
    """Whether ``row`` is the organizations table: its organization column is its own key, referencing nothing."""
    tenant = row.__table_spec__.tenant
    return isinstance(tenant, OrgScoped) and not row.column(tenant.column).col.references


def _org_column(row: type[Row]) -> str | None:
    """The table's own organization column, unless the table is the organizations table itself."""
    tenant = row.__table_spec__.tenant
    if not isinstance(tenant, OrgScoped) or is_tenant_root(row):
        return None
    return tenant.column


def foreign_keys(row: type[Row]) -> tuple[ForeignKey, ...]:
    """The table's foreign keys as stored, in column order."""
    out = []
    table = row.__table_spec__.name
    for column in row.__columns__:
        if not column.col.references:
            continue
        parent_name, parent_column = column.col.references.split(".")
        name = f"{table}_{column.name}_fkey"
        parent = _tables().get(parent_name)
        own = _org_column(row)
        theirs = _org_column(parent) if parent is not None else None
        if own is not None and theirs is not None and column.name != own:
            out.append(ForeignKey(name, column.name, (own, column.name), parent_name, (theirs, parent_column), True))
        else:
            out.append(ForeignKey(name, column.name, (column.name,), parent_name, (parent_column,), False))
    return tuple(out)


def org_key(row: type[Row]) -> tuple[str, ...] | None:
    """``(org_id, id)`` when another table's same-organization foreign key points at this table, else ``None``."""
    table = row.__table_spec__.name
    for other in _tables().values():
        for key in foreign_keys(other):
            if key.same_org and key.parent == table:
                return key.parent_columns
    return None
