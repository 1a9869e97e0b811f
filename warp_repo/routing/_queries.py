"""Routing: least-cost routing over the shared rate deck, and the rules an organization routes its calls by.

Everything here is computed without I/O: the statements, the time conditions, the number transforms and the
weighted order of rules of equal priority. The services (``warp_repo.routing``) only run the statements.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Annotated, Any, LiteralString, Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import StringConstraints, TypeAdapter, ValidationError

from warp_models import LcrRate, LcrRateCreate, RoutingRule
from warp_models.routing import RouteAction, TimeCondition, TransformRules
from warp_repo._core.queries import columns, prefixes
from warp_repo._core.statements import CopyStatement, at_row, copy_rows, driver_values
from warp_repo.errors import QueryError

DEFAULT_PRIORITY = 100
"""The priority of a rule whose ``priority`` is ``NULL`` (the column's default)."""

DEFAULT_WEIGHT = 100
"""The weight of a rule whose ``weight`` is ``NULL`` (the column's default)."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""``TimeCondition.days`` spellings, indexed by ``datetime.weekday()``."""

RouteNumber = Annotated[str, StringConstraints(pattern=r"^\+?[0-9*#]{1,32}$")]
"""A number as dialed for routing: digits, ``*`` and ``#`` (feature codes), optionally a leading ``+``."""

_ROUTE_NUMBER: TypeAdapter[str] = TypeAdapter(RouteNumber)


class RandomSource(Protocol):
    """Where the weighted pick draws from: ``random.Random(seed)`` makes it reproducible."""

    def random(self) -> float:
        """A float in ``[0, 1)``."""
        ...


# --- Least-cost routing ------------------------------------------------------------------------------------------

_RATE_COLUMNS = columns(LcrRate)

LCR_RATES: LiteralString = f"""
SELECT {_RATE_COLUMNS} FROM (
    SELECT DISTINCT ON (carrier_id) {_RATE_COLUMNS}
    FROM lcr_rates
    WHERE prefix = ANY (%(prefixes)s)
      AND effective_date <= %(on)s
      AND (expiry_date IS NULL OR expiry_date > %(on)s)
    ORDER BY carrier_id, length(prefix) DESC, effective_date DESC
) AS best
ORDER BY rate, priority NULLS LAST, carrier_id
LIMIT %(limit)s
"""
"""Each carrier's rate for a number on a date, cheapest first.

A carrier's rate is the one of its longest prefix that matches the number (``prefix = ANY`` of the number's
leading substrings, served by ``lcr_rates_prefix_effective_date_idx``) among the rates in effect on the date
(``effective_date <= on < expiry_date``); when one prefix has several rates in effect, the latest
``effective_date`` wins. Candidates are ordered by rate, then priority (lower first), then carrier. ``LIMIT NULL``
is no limit."""

CARRIER_LOCK: LiteralString = "SELECT id FROM organizations WHERE id = %(carrier)s FOR NO KEY UPDATE"
"""Serializes deck loads of one carrier (and proves it exists) without blocking rows that reference it."""

STAGE = "warp_rate_deck"
"""The temporary table a new deck is copied into before it replaces the old one."""

CREATE_STAGE: LiteralString = f"CREATE TEMPORARY TABLE {STAGE} (LIKE lcr_rates INCLUDING DEFAULTS)"
"""Same columns, defaults and ``NOT NULL`` as ``lcr_rates``, no row-level security: ``COPY FROM`` refuses a table
under row-level security, so the deck is copied here and moved by ``INSERT ... SELECT``, which the policies
check. Staging also keeps the swap short: the old deck is deleted only once the new one is in."""

DELETE_DECK: LiteralString = "DELETE FROM lcr_rates WHERE carrier_id = %(carrier)s"

SWAP_IN: LiteralString = f"INSERT INTO lcr_rates ({columns(LcrRate)}) SELECT {columns(LcrRate)} FROM {STAGE}"

DROP_STAGE: LiteralString = f"DROP TABLE {STAGE}"


def stage_copy(names: tuple[str, ...]) -> CopyStatement:
    """``COPY`` of the given columns into the staging table, binary, with the types ``Copy.set_types`` wants."""
    target = copy_rows(LcrRate, names)
    listed = ", ".join(names)
    return CopyStatement(f"COPY {STAGE} ({listed}) FROM STDIN (FORMAT BINARY)", target.types)


@dataclass(frozen=True)
class DeckLoad:
    """The outcome of replacing a carrier's rate deck.

    Attributes:
        carrier_id: the carrier.
        replaced: rates of the old deck removed.
        loaded: rates of the new deck written.
    """

    carrier_id: UUID
    replaced: int
    loaded: int


def deck_rows(rows: Iterable[LcrRateCreate | Mapping[str, Any]], carrier_id: UUID) -> Iterator[dict[str, Any]]:
    """The columns to copy of each deck row, validated and stamped with the carrier.

    A mapping is validated as ``LcrRateCreate`` (its errors located at the row's index, ``(7, 'rate')``); a row
    naming another carrier is refused.

    Raises:
        pydantic.ValidationError: a mapping is not a rate.
        QueryError: a row belongs to another carrier.
    """
    for index, row in enumerate(rows):
        if isinstance(row, Mapping):
            try:
                row = LcrRateCreate.model_validate({"carrier_id": carrier_id, **row})
            except ValidationError as exc:
                raise at_row(exc, index, LcrRateCreate) from exc
        if row.carrier_id is not None and row.carrier_id != carrier_id:
            raise QueryError(f"rate deck row {index} belongs to carrier {row.carrier_id}, not {carrier_id}")
        yield driver_values(row) | {"carrier_id": carrier_id}


# --- Routing rules -----------------------------------------------------------------------------------------------

CANDIDATE_RULES: LiteralString = f"""
SELECT {columns(RoutingRule)} FROM routing_rules
WHERE org_id = %(org)s
  AND enabled IS NOT FALSE
  AND (
       (COALESCE(match_type, 'prefix') = 'prefix' AND ltrim(match_pattern, '+') = ANY (%(prefixes)s))
    OR (match_type = 'exact' AND ltrim(match_pattern, '+') = %(digits)s)
    OR match_type = 'pattern'
  )
ORDER BY id
"""
"""The organization's enabled rules that may match the number: prefix and exact rules are matched here (a leading
``+`` ignored on both sides), pattern rules are all returned and matched in Python (``rule_matches``), as are
time conditions, and the rules are ordered there too (``applicable``)."""


@dataclass(frozen=True)
class RouteChoice:
    """One way to route a call, in the order to try them.

    Attributes:
        rule: the rule that applies.
        number: the dialed number after the rule's ``transform_rules``.
        action: what to do (``rule.action``).
        trunk_id: the trunk to send the call to (``rule.trunk_id``), if any.
        destination: the rule's ``destination`` (a SIP URI, a number to forward to ...), if any.
    """

    rule: RoutingRule
    number: str

    @property
    def action(self) -> RouteAction:
        """``rule.action``."""
        return self.rule.action

    @property
    def trunk_id(self) -> UUID | None:
        """``rule.trunk_id``."""
        return self.rule.trunk_id

    @property
    def destination(self) -> str | None:
        """``rule.destination``."""
        return self.rule.destination


def route_number(number: str) -> str:
    """The number as dialed, checked; a ``pydantic.ValidationError`` when it is not one."""
    return _ROUTE_NUMBER.validate_python(number)


def rule_prefixes(number: str) -> list[str]:
    """The leading substrings a prefix rule may be keyed by, ``+`` ignored."""
    return prefixes(number.removeprefix("+"))


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def rule_matches(rule: RoutingRule, number: str) -> bool:
    """Whether the rule's ``match_type``/``match_pattern`` match the dialed number.

    ``prefix``: the number starts with the pattern; ``exact``: equals it (a leading ``+`` ignored on both sides
    for both). ``pattern``: a Python regular expression (``re``) found anywhere in the number as dialed, ``+``
    included, like PostgreSQL's ``~``: anchor it (``^...$``) to match the whole number. Patterns are evaluated in
    Python, where the model validated them, so a pattern PostgreSQL would reject cannot fail the query; one that
    does not compile matches nothing.
    """
    kind = rule.match_type or "prefix"
    if kind == "pattern":
        compiled = _compiled(rule.match_pattern)
        return compiled is not None and compiled.search(number) is not None
    digits, pattern = number.removeprefix("+"), rule.match_pattern.removeprefix("+")
    return digits == pattern if kind == "exact" else digits.startswith(pattern)


def time_condition_applies(condition: TimeCondition | None, instant: datetime) -> bool:
    """Whether a rule with this ``time_condition`` applies at ``instant``.

    The JSON document (``routing_rules.time_condition``, model ``TimeCondition``)::

        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:30",
         "timezone": "America/New_York"}

    * every key is optional; ``{}`` (and ``NULL``) means always;
    * ``timezone``: an IANA zone (default ``UTC``); the instant is converted to it with ``zoneinfo``, so the window
      follows daylight saving time: 09:00 is 09:00 on the wall clock in winter and in summer;
    * ``start`` / ``end``: a daily window ``start <= local time < end``. A missing ``start`` is midnight, a
      missing ``end`` the end of the day, ``start == end`` the whole day. ``end`` before ``start`` wraps past
      midnight (``22:00``-``06:00``); the hours after midnight belong to the day the window opened, so
      ``{"days": ["fri"], "start": "22:00", "end": "06:00"}`` applies on Saturday at 02:00 and not on Friday at
      02:00. A wall-clock time skipped by a daylight-saving jump never occurs; one repeated occurs twice;
    * ``days``: the days (``mon`` ... ``sun``) the window opens on; absent means every day, ``[]`` no day.

    Raises:
        QueryError: ``instant`` is naive (nothing says which zone it is in).
    """
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise QueryError("routing at a naive datetime: pass a timezone-aware instant")
    if condition is None:
        return True
    local = instant.astimezone(ZoneInfo(condition.timezone))
    clock = local.time()
    day = local.weekday()
    start = _wall(condition.start) if condition.start is not None else time(0)
    end = _wall(condition.end) if condition.end is not None else None
    if start == end:
        opened = True
    elif end is None:
        opened = clock >= start
    elif start < end:
        opened = start <= clock < end
    elif clock >= start:
        opened = True
    elif clock < end:
        opened, day = True, (day - 1) % 7
    else:
        opened = False
    if not opened:
        return False
    return condition.days is None or WEEKDAYS[day] in condition.days


def _wall(moment: time) -> time:
    return moment.replace(tzinfo=None)


def transform(number: str, rules: TransformRules | None) -> str:
    """The number after a rule's ``transform_rules``: strip, then replace a prefix, then prepend.

    The JSON document (model ``TransformRules``): ``{"strip_digits": 1, "replace_prefix": {"old": "011",
    "new": "+"}, "prepend": "9"}``, every key optional. It works on the number as a string, a leading ``+``
    counting as one character: ``strip_digits`` removes that many leading characters; ``replace_prefix`` replaces
    a leading ``old`` by ``new`` when the number starts with ``old``; ``prepend`` is put in front.
    """
    if rules is None:
        return number
    out = number[rules.strip_digits :]
    swap = rules.replace_prefix
    if swap is not None and out.startswith(swap.old):
        out = swap.new + out[len(swap.old) :]
    return rules.prepend + out


def priority_of(rule: RoutingRule) -> int:
    """The rule's priority (lower runs first)."""
    return DEFAULT_PRIORITY if rule.priority is None else rule.priority


def weight_of(rule: RoutingRule) -> int:
    """The rule's weight among rules of equal priority."""
    return DEFAULT_WEIGHT if rule.weight is None else rule.weight


def weighted_order(rules: Sequence[RoutingRule], rng: RandomSource) -> list[RoutingRule]:
    """The rules in the order to try them: by priority, and within one priority by weighted draws.

    Within a priority, each position is drawn among the rules not yet placed with probability proportional to
    their weight, so a rule of weight 300 comes first three times as often as one of weight 100. Rules of weight 0
    or less are never drawn: they follow the others of their priority, as a last resort. Draws take
    ``rng.random()`` once per position over the rules sorted by id, so the same seed gives the same order
    whatever order the rules were read in.
    """
    groups: dict[int, list[RoutingRule]] = defaultdict(list)
    for rule in sorted(rules, key=lambda r: r.id):
        groups[priority_of(rule)].append(rule)
    ordered: list[RoutingRule] = []
    for priority in sorted(groups):
        pool = [r for r in groups[priority] if weight_of(r) > 0]
        while pool:
            draw = rng.random() * sum(weight_of(r) for r in pool)
            for index, rule in enumerate(pool):
                draw -= weight_of(rule)
                if draw < 0 or index == len(pool) - 1:
                    ordered.append(pool.pop(index))
                    break
        ordered.extend(r for r in groups[priority] if weight_of(r) <= 0)
    return ordered


def weighted_pick(rules: Sequence[RoutingRule], rng: RandomSource) -> RoutingRule | None:
    """One rule of the best (lowest) priority, drawn by weight; ``None`` when there are none."""
    order = weighted_order(rules, rng)
    return order[0] if order else None


def applicable(rules: Iterable[RoutingRule], number: str, instant: datetime) -> list[RoutingRule]:
    """The rules that match the number and whose time condition holds at the instant, in priority order."""
    found = [r for r in rules if rule_matches(r, number) and time_condition_applies(r.time_condition, instant)]
    return sorted(found, key=lambda r: (priority_of(r), r.id))


def choices(
    rules: Sequence[RoutingRule],
    number: str,
    rng: RandomSource,
    active_calls: Mapping[UUID, int] | None = None,
) -> list[RouteChoice]:
    """The applicable rules as routes to try, weighted within each priority, rules at ``max_calls`` left out.

    ``active_calls`` gives the calls each rule carries now (by rule id; the schema does not count them, a call
    controller does); a rule whose ``max_calls`` is ``NULL`` has no limit.
    """
    active = active_calls or {}
    open_rules = [r for r in rules if r.max_calls is None or active.get(r.id, 0) < r.max_calls]
    return [RouteChoice(rule, transform(number, rule.transform_rules)) for rule in weighted_order(open_rules, rng)]
