"""Keyset pagination: pages and the opaque, tamper-evident cursors that lead from one page to the next.

A cursor holds the ordering values of the last row of a page, the table, the organization scope and the
ordering, encoded as JSON and signed with HMAC-SHA256. The key is ``WARP_CURSOR_KEY`` when set (every process
serving the same clients must share it), otherwise random per process, so a cursor then dies with its process.
Signing is what lets a cursor travel through clients: one that was edited, cut or made for another table, scope
or ordering is refused with ``InvalidCursor`` instead of silently reading from the wrong place.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from typing import Any, Generic
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from warp_models import Row
from warp_repo._core.statements import Order, RowT, TableInfo, db_value
from warp_repo.errors import InvalidCursor, QueryError

__all__ = ["Page", "cursor_key", "decode_cursor", "encode_cursor"]

_VERSION = 1
_MAC_BYTES = 16
KEY_VARIABLE = "WARP_CURSOR_KEY"


@dataclass(frozen=True)
class Page(Generic[RowT]):
    """One page of rows and the cursor of the next one.

    Attributes:
        items: the rows of this page, in the page's order.
        next_cursor: pass it as ``after=`` for the next page; ``None`` on the last page.
    """

    items: list[RowT]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        """Whether another page follows."""
        return self.next_cursor is not None


@functools.cache
def cursor_key() -> bytes:
    """The signing key: ``WARP_CURSOR_KEY`` when set, else random for the life of the process."""
    configured = os.environ.get(KEY_VARIABLE)
    if configured:
        return hashlib.sha256(configured.encode()).digest()
    return secrets.token_bytes(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(payload: bytes) -> bytes:
    return hmac.new(cursor_key(), payload, hashlib.sha256).digest()[:_MAC_BYTES]


def check_sortable(t: TableInfo, order: tuple[Order, ...]) -> None:
    """Refuse orderings a cursor cannot carry: JSON documents and secrets."""
    for o in order:
        column = t.column(o.column)
        if column.is_jsonb or column.col.secret:
            raise QueryError(f"{t.name}.{o.column} cannot order a page (JSON documents and secrets are not sortable)")


def encode_cursor(t: TableInfo, scope: UUID | None, order: tuple[Order, ...], last: Row) -> str:
    """The cursor of the page that starts after ``last``."""
    names = [o.column for o in order]
    dumped = last.model_dump(mode="json", include=set(names))
    payload = {
        "v": _VERSION,
        "t": t.name,
        "s": str(scope) if scope is not None else None,
        "o": [str(o) for o in order],
        "k": [dumped[n] for n in names],
    }
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(data)}.{_b64(_sign(data))}"


@functools.cache
def _adapter(row: type[Row], column: str) -> TypeAdapter[Any]:
    return TypeAdapter(row.column(column).python_type)


def decode_cursor(token: str, t: TableInfo, scope: UUID | None, order: tuple[Order, ...]) -> tuple[Any, ...]:
    """The ordering values a cursor carries, as bind parameters, after checking whose cursor it is.

    Raises:
        InvalidCursor: the cursor is malformed, was altered, or belongs to another table, scope or ordering.
    """
    malformed = InvalidCursor("not a page cursor: pass back next_cursor exactly as a page returned it")
    try:
        body, mac = token.split(".")
        data, signature = _unb64(body), _unb64(mac)
    except (ValueError, binascii.Error, AttributeError):
        raise malformed from None
    if _b64(data) != body or _b64(signature) != mac:
        raise malformed  # base64 has several spellings of the same bytes; only the one we wrote is accepted
    if not hmac.compare_digest(signature, _sign(data)):
        raise InvalidCursor(
            "the page cursor's signature does not match: it was altered, or made by a process with another "
            f"{KEY_VARIABLE}; start again from the first page"
        )
    try:
        payload = json.loads(data)
        made_for = (payload["v"], payload["t"], payload["s"], payload["o"])
        raw = payload["k"]
    except (ValueError, KeyError, TypeError):
        raise InvalidCursor("the page cursor's content is unreadable; start again from the first page") from None
    expected = (_VERSION, t.name, str(scope) if scope is not None else None, [str(o) for o in order])
    if made_for != expected:
        raise InvalidCursor(
            f"this cursor belongs to another query (table {made_for[1]}, ordering {made_for[3]}, "
            f"scope {made_for[2]}); pass it back to the query that returned it"
        )
    if not isinstance(raw, list) or len(raw) != len(order):
        raise InvalidCursor("the page cursor's content is unreadable; start again from the first page")
    values = []
    for o, value in zip(order, raw, strict=True):
        try:
            parsed = _adapter(t.row, o.column).validate_python(value)
        except ValidationError:
            raise InvalidCursor(
                f"the page cursor holds an invalid {o.column}; start again from the first page"
            ) from None
        values.append(db_value(t.column(o.column), parsed))
    return tuple(values)
