"""The audit trail: one ``audit_logs`` row per change, written in the transaction that makes the change.

Writing the entry on the same connection and in the same transaction as the change means both commit or neither
does, and the entry is checked by the same tenant policy: under row-level security an entry can only be written
for the organization of the transaction's tenant context (platform events, without ``org_id``, need the
platform reach). The application role may insert and read audit rows but never update or delete them.

Values of secret columns (``Col(secret=True)``: password and key hashes, MFA secrets, tax ids) and any
``SecretStr`` never reach the log: they are replaced by ``"[redacted]"``; the entry still says that they changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from pydantic import SecretStr
from pydantic_core import to_jsonable_python

from warp_models._base import TABLES
from warp_models.organizations import AuditLogCreate
from warp_models.types import Metadata
from warp_repo._core.statements import driver_values

__all__ = ["REDACTED", "Actor", "audit_entry", "redact_changes", "write_audit", "write_audit_async"]

REDACTED = "[redacted]"


@dataclass(frozen=True)
class Actor:
    """Who made a change, as the audit trail records it; every field is optional.

    Attributes:
        user_id: the user who acted, when a user did.
        api_key_id: the API key used, when one was.
        ip_address: from where.
        user_agent: with what.
    """

    user_id: UUID | None = None
    api_key_id: UUID | None = None
    ip_address: IPv4Address | IPv6Address | str | None = None
    user_agent: str | None = None


def redact_changes(table: str | None, changes: Mapping[str, Any]) -> dict[str, Any]:
    """``changes`` as JSON values, with the values of ``table``'s secret columns and any ``SecretStr`` redacted.

    Args:
        table: the table the changes apply to (its models say which columns are secret), or None.
        changes: column name to new value (``None`` for a deletion's or a cleared value).

    Returns:
        A JSON-ready copy.
    """
    row = TABLES.get(table) if table is not None else None
    secret = {c.name for c in row.__columns__ if c.col.secret} if row is not None else set()
    redacted: dict[str, Any] = {}
    for name, value in changes.items():
        if name in secret or isinstance(value, SecretStr):
            redacted[name] = REDACTED if value is not None else None
        else:
            redacted[name] = to_jsonable_python(value)
    return redacted


def audit_entry(
    action: str,
    *,
    org_id: UUID | None,
    resource_type: str | None = None,
    resource_id: UUID | str | None = None,
    user_id: UUID | None = None,
    api_key_id: UUID | None = None,
    ip_address: IPv4Address | IPv6Address | str | None = None,
    user_agent: str | None = None,
    changes: Mapping[str, Any] | None = None,
    metadata: Metadata | None = None,
) -> AuditLogCreate:
    """Build (and validate) an audit entry; no I/O.

    Args:
        action: what happened: ``insert``, ``update``, ``delete``, ``login``, ``rotate-keys`` ...
        org_id: the organization concerned (None for platform events).
        resource_type: the table (or other kind of resource) concerned.
        resource_id: its key.
        user_id: who acted, when a user did.
        api_key_id: with which API key, when one was used.
        ip_address: from where.
        user_agent: with what.
        changes: the columns changed and their new values; secret ones are redacted.
        metadata: anything else worth keeping (it must not hold secrets; it is stored as given).

    Raises:
        pydantic.ValidationError: a value breaks the column limits (e.g. an action over 100 characters).
    """
    document: dict[str, Any] = dict(metadata or {})
    if changes is not None:
        document["changes"] = redact_changes(resource_type, changes)
    return AuditLogCreate(
        org_id=org_id,
        user_id=user_id,
        api_key_id=api_key_id,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        ip_address=ip_address,  # type: ignore[arg-type]  # pydantic parses text addresses
        user_agent=user_agent,
        metadata=document,
    )


def _insert(entry: AuditLogCreate) -> tuple[sql.Composed, list[Any]]:
    values = driver_values(entry)
    query = sql.SQL("INSERT INTO audit_logs ({}) VALUES ({}) RETURNING id").format(
        sql.SQL(", ").join(sql.Identifier(name) for name in values),
        sql.SQL(", ").join(sql.Placeholder() for _ in values),
    )
    return query, list(values.values())


def write_audit(conn: psycopg.Connection[Any], entry: AuditLogCreate) -> UUID:
    """Write an audit entry on ``conn``, inside its current transaction (the change's own).

    Args:
        conn: the connection that made the change, still in its transaction and tenant context.
        entry: the entry, from :func:`audit_entry`.

    Returns:
        The entry's id.

    Raises:
        psycopg.errors.InsufficientPrivilege: the entry's ``org_id`` is not the transaction's tenant (SQLSTATE
            42501), or the role may not write the audit log.
    """
    query, params = _insert(entry)
    rows = conn.execute(query, params).fetchall()
    return UUID(str(rows[0][0]))


async def write_audit_async(conn: psycopg.AsyncConnection[Any], entry: AuditLogCreate) -> UUID:
    """:func:`write_audit` on an async connection."""
    query, params = _insert(entry)
    cursor = await conn.execute(query, params)
    rows = await cursor.fetchall()
    return UUID(str(rows[0][0]))
