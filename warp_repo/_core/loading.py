"""How the repositories' reads load stored values: the final Python values, made by the driver where it can.

A read is where the SDK's cost shows most (every row of a large result becomes a model), so the values the models
hold are made while psycopg loads the result, not after:

* **Timestamps arrive aware, in UTC.** On a session whose ``TimeZone`` is UTC (every connection ``Database``
  makes), a read selects each ``TIMESTAMP`` column ``AT TIME ZONE 'UTC'``: the column becomes a ``timestamptz``
  for that read only, which psycopg's C loader turns into a ``datetime`` with ``tzinfo=UTC``, with no Python
  call per value. On a session in another zone the stored naive values are read as they are and made UTC by
  arithmetic (``warp_models._base``): the text of a ``timestamptz`` in another zone cannot hold the years 1 and
  9999 at every offset.
* **Addresses** (``INET``) are parsed by the C library (``inet_pton``) instead of ``ipaddress``'s Python parser,
  and the value of a text already seen is shared (addresses are immutable; a proxy's or a carrier's few
  addresses fill most rows of a CDR table).
* **JSON documents** are decoded by the standard library's C scanner straight from text.

The loaders give exactly what psycopg's own give (same types, equal values); they are registered on the
repositories' cursors only, never on a caller's connection. Nothing here does I/O.
"""

from __future__ import annotations

import json
import socket
from ipaddress import IPv4Address, IPv6Address, ip_interface
from typing import Any, Final

import psycopg
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Loader

_ADDRESSES_KEPT: Final = 4096
"""The most address texts whose parsed value is kept for reuse (per process)."""

_addresses: dict[bytes, Any] = {}


def session_in_utc(conn: Any) -> bool:
    """Whether ``conn``'s session lets reads select timestamps ``AT TIME ZONE 'UTC'``: in UTC, dates in ISO style.

    ``TimeZone`` must be reported as ``UTC`` exactly: psycopg's loader of ``timestamptz`` gives ``tzinfo=UTC`` for
    that name (``Etc/UTC`` gives a ``ZoneInfo``, and a zone psycopg cannot name, ``+03:00`` written as an interval,
    is taken as UTC without being it). ``DateStyle`` must be ISO, the only style whose ``timestamptz`` text the
    driver parses. Any other session, or a connection that cannot say (closed), reads the stored naive values.
    """
    try:
        pgconn = conn.pgconn
        return bool(
            pgconn.parameter_status(b"TimeZone") == b"UTC"
            and (pgconn.parameter_status(b"DateStyle") or b"").startswith(b"ISO")
        )
    except psycopg.Error:
        return False


class InetLoader(Loader):
    """``INET`` text to ``IPv4Address``/``IPv6Address`` (or an interface, for a value with a mask), as psycopg does."""

    def load(self, data: Buffer) -> Any:
        """The address of one stored value."""
        key = data if type(data) is bytes else bytes(data)
        found = _addresses.get(key)
        if found is not None:
            return found
        text = key.decode()
        if "/" in text:
            value: Any = ip_interface(text)
        elif ":" in text:
            value = IPv6Address(socket.inet_pton(socket.AF_INET6, text))
        else:
            value = IPv4Address(socket.inet_pton(socket.AF_INET, text))
        if len(_addresses) < _ADDRESSES_KEPT:
            _addresses[key] = value
        return value


_decode = json.JSONDecoder().decode


class JsonLoader(Loader):
    """``JSON``/``JSONB`` text to Python values, with the standard library's decoder (as psycopg's default)."""

    def load(self, data: Buffer) -> Any:
        """The document of one stored value."""
        return _decode(str(data, "utf-8"))


_LOADERS: dict[str, type[Loader]] = {"inet": InetLoader, "json": JsonLoader, "jsonb": JsonLoader}


def use_read_loaders(context: AdaptContext) -> None:
    """Register the loaders above on ``context`` (a repository's cursor), for the types the server knows."""
    adapters = context.adapters
    types = adapters.types
    for name, loader in _LOADERS.items():
        found = types.get(name)
        if found is not None:
            adapters.register_loader(found.oid, loader)
