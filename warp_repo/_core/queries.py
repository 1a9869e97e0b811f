"""What the domain statements share: column lists from the declarations, row factories, input checks."""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Annotated, Any, LiteralString

from psycopg.rows import RowMaker
from pydantic import Field, StringConstraints, TypeAdapter

from warp_models import Row

NOW_UTC: LiteralString = "timezone('UTC', now())"
"""The current time as the ``TIMESTAMP`` columns hold it (UTC), whatever the session's time zone."""

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")

DialedNumber = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{1,15}$")]
"""A dialed number: E.164 digits, with or without the leading ``+``."""

Cents = Annotated[Decimal, Field(max_digits=10, decimal_places=2, allow_inf_nan=False)]
"""An amount of a ``DECIMAL(10, 2)`` column: more than two decimals would be rounded by the server, so refused."""

_DIALED: TypeAdapter[str] = TypeAdapter(DialedNumber)
_CENTS: TypeAdapter[Decimal] = TypeAdapter(Cents)


@functools.cache
def columns(row: type[Row], alias: str | None = None) -> LiteralString:
    """The table's columns in declaration order, as a select list (``alias.col, ...``).

    Built from the declarations only, never from input; the order is the one ``rows_of`` reads.
    """
    names = [c.name for c in row.__columns__]
    for name in names:
        if not _IDENTIFIER.match(name):  # pragma: no cover - declarations are checked identifiers
            raise ValueError(f"{name!r} cannot be written unquoted")
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + n for n in names)


def scalar(cursor: Any) -> RowMaker[Any]:
    """Row factory of a one-column statement: the value itself."""
    return _first_value


def _first_value(values: Any) -> Any:
    return values[0]


def dialed(number: str) -> str:
    """The number's digits (a leading ``+`` removed); a ``pydantic.ValidationError`` when it is not a number."""
    return _DIALED.validate_python(number).removeprefix("+")


def prefixes(digits: str) -> list[str]:
    """Every leading substring of ``digits``, shortest first: the prefixes a rate or a rule may be keyed by."""
    return [digits[:n] for n in range(1, len(digits) + 1)]


def cents(amount: Decimal) -> Decimal:
    """``amount`` if a ``DECIMAL(10, 2)`` column holds it exactly; else a ``pydantic.ValidationError``."""
    return _CENTS.validate_python(amount)
