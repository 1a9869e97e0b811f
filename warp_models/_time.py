"""How the SDK treats time.

The seed's ``TIMESTAMP`` columns carry no time zone. The SDK stores UTC in them, always:

* a timezone-aware ``datetime`` given by a caller is converted to UTC before it is stored;
* a naive ``datetime`` given by a caller is refused (``ValidationError``), because nothing says which zone it is
  in and guessing would shift stored instants by the machine's offset;
* a value read from the database is naive by nature and is taken as UTC (validation with the ``from_db``
  context, which the repositories pass), so every ``datetime`` a model holds is aware and in UTC;
* when written, values are sent as naive UTC, so the session's ``TimeZone`` setting cannot shift them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo

FROM_DB = "from_db"
"""Validation-context key set when validating rows read from the database."""


def as_utc_validator(value: datetime, info: ValidationInfo) -> datetime:
    """The validator of ``UtcDateTime``: aware values converted to UTC, naive ones taken as UTC from the database."""
    zone = value.tzinfo
    if zone is UTC:  # already what a model holds (a feed's usual value): nothing to convert
        return value
    if zone is None or value.utcoffset() is None:
        if info.context and info.context.get(FROM_DB):
            return value.replace(tzinfo=UTC)
        raise ValueError(
            "naive datetime: pass a timezone-aware datetime (for example datetime.now(UTC)); the database stores UTC"
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{value.isoformat()} is outside the range of a timestamp once converted to UTC (years 1 to 9999)"
        ) from None


UtcDateTime = Annotated[datetime, AfterValidator(as_utc_validator)]
"""An aware datetime, normalized to UTC."""


def to_db_timestamp(value: datetime) -> datetime:
    """The naive-UTC value stored in a ``TIMESTAMP`` column."""
    zone = value.tzinfo
    if zone is None:
        return value
    if zone is UTC:  # what validated models hold: no conversion to make
        return value.replace(tzinfo=None)
    return value.astimezone(UTC).replace(tzinfo=None)
