"""The trusted read path's machinery: which annotations it takes as checks, where it finds rules, what it costs."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, assert_type

from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from warp_models import Row, SipTrunk, User
from warp_models._base import _converter, _has_rules, _secret, _utc
from warp_models._time import FROM_DB
from warp_repo._core import statements


class _Rules:
    """Cross-column rules declared on a mixin that is no ``Row``."""

    @classmethod
    def check(cls, values: Mapping[str, Any]) -> None:
        if values.get("a") == values.get("b"):
            raise ValueError("a and b must differ")


class _RowWithMixinRules(_Rules, Row):
    pass


class _RowWithoutRules(Row):
    pass


def test_rules_are_found_wherever_check_comes_from() -> None:
    assert _has_rules(_RowWithMixinRules) is True
    assert _has_rules(_RowWithoutRules) is False
    assert _has_rules(SipTrunk) is False


def test_a_hash_columns_stored_form_check_is_taken_as_a_check() -> None:
    """Validation of a stored hash gives it back unchanged: the trusted path only wraps it as a secret."""
    for name in ("password_hash", "mfa_secret"):
        assert _converter(User, User.column(name)) is _secret, name


def test_an_email_column_is_validated_once_per_distinct_address() -> None:
    convert = _converter(User, User.column("email"))
    assert convert is not None
    adapter: TypeAdapter[Any] = TypeAdapter(User.model_fields["email"].rebuild_annotation())
    stored = "Someone@EXAMPLE.com"
    expected = adapter.validate_python(stored, context={FROM_DB: True})
    assert convert(stored) == expected == "Someone@example.com"
    reads = 2000
    started = time.perf_counter()
    for _ in range(reads):
        assert convert(stored) == expected
    cached = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(reads):
        adapter.validate_python(stored, context={FROM_DB: True})
    validated = time.perf_counter() - started
    assert cached * 5 < validated, (cached, validated)


def test_the_trusted_maker_is_typed_and_reached_through_the_row() -> None:
    make = SipTrunk.trusted_maker()
    assert_type(make, Callable[[Sequence[Any]], SipTrunk])
    assert SipTrunk.trusted_maker() is make
    assert "warp_models._base" not in Path(statements.__file__).read_text(encoding="utf-8")


@given(st.datetimes(min_value=datetime.min, max_value=datetime.max))
def test_a_stored_timestamp_becomes_the_same_wall_time_in_utc(stored: datetime) -> None:
    """The trusted path's arithmetic gives exactly what ``replace(tzinfo=UTC)`` gives, years 1 to 9999 included."""
    made = _utc(stored)
    assert made == stored.replace(tzinfo=UTC)
    assert made.tzinfo is UTC
    assert (made.year, made.month, made.day, made.hour, made.minute, made.second, made.microsecond) == (
        stored.year,
        stored.month,
        stored.day,
        stored.hour,
        stored.minute,
        stored.second,
        stored.microsecond,
    )


def test_the_edges_of_the_calendar_become_utc() -> None:
    for stored in (datetime.min, datetime.max, datetime(2000, 1, 1, 0, 0, 0, 1), datetime(1999, 12, 31, 23, 59, 59)):
        assert _utc(stored) == stored.replace(tzinfo=UTC)
