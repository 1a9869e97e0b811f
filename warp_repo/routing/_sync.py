# Generated from warp_repo/routing/_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Routing: least-cost routing over the shared rate deck, deck loads, and an organization's routing rules.

The repositories of the domain's tables and its service. Written once, as async code, here;
``warp_repo/routing/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from warp_models import LcrRate, LcrRateCreate, LcrRateUpdate, RoutingRule, RoutingRuleCreate, RoutingRuleUpdate
from warp_repo._core.queries import dialed, prefixes, scalar
from warp_repo._core.repository_sync import Repo, TenantRepo
from warp_repo._core.service_sync import PLATFORM, Service
from warp_repo._core.statements import rows_of
from warp_repo.errors import NotFound, translating
from warp_repo.routing import _queries as q
from warp_repo.routing._queries import (
    DeckLoad,
    RandomSource,
    RouteChoice,
    rule_matches,
    time_condition_applies,
    transform,
    weighted_order,
    weighted_pick,
)

__all__ = [
    "DeckLoad",
    "LcrRateRepo",
    "RandomSource",
    "RouteChoice",
    "Routing",
    "RoutingRuleRepo",
    "rule_matches",
    "time_condition_applies",
    "transform",
    "weighted_order",
    "weighted_pick",
]


class RoutingRuleRepo(TenantRepo[RoutingRule, RoutingRuleCreate, RoutingRuleUpdate]):
    """``routing_rules``: a routing rule of one organization: which calls it matches and what to do with them."""


class LcrRateRepo(Repo[LcrRate, LcrRateCreate, LcrRateUpdate]):
    """``lcr_rates``: one carrier's price for calls to a prefix, valid from ``effective_date`` until ``expiry_date``."""


class Routing(Service):
    """Where a call goes: least-cost carriers and the organization's routing rules.

    Example::

        routing = Routing(conn)
        carriers = routing.lcr_rates("+14155550123", date.today())  # list[LcrRate], cheapest first
        routes = routing.route(org_id, "+14155550123", datetime.now(UTC), random.Random())
        for choice in routes:  # try them in this order
            ...

    The rate deck is shared by every organization: every role reads it (``lcr_rates``), only the platform writes it
    (``load_rate_deck`` takes the platform reach). Routing rules belong to one organization and are read in its
    tenant context.
    """

    # --- least-cost routing --------------------------------------------------------------------------------------

    def lcr_rates(self, number: str, on: date, *, limit: int | None = None) -> list[LcrRate]:
        """The carriers that can take a call to ``number`` on ``on``, cheapest first: one rate per carrier.

        Each carrier's rate is the one keyed by its longest prefix matching the number, among its rates in effect
        on that date (``effective_date <= on``, and ``on`` before ``expiry_date`` when it has one); candidates come
        by rate, then priority (lower first), then carrier. One indexed statement (``prefix = ANY`` of the
        number's leading substrings).

        Args:
            number: the dialed number, E.164 with or without its ``+`` (``+14155550123``).
            on: the date of the call.
            limit: the most candidates to return; all when ``None``.

        Raises:
            pydantic.ValidationError: ``number`` is not a number of 1 to 15 digits.
        """
        params = {"prefixes": prefixes(dialed(number)), "on": on, "limit": limit}
        return self._all(q.LCR_RATES, params, rows_of(LcrRate), table=LcrRate)

    def load_rate_deck(self, carrier_id: UUID, rates: Iterable[LcrRateCreate | Mapping[str, Any]]) -> DeckLoad:
        """Replace a carrier's whole rate deck with ``rates``, atomically.

        The new rates are streamed with ``COPY`` into a temporary table, then the old ones deleted and the new ones
        moved in, in one transaction (a savepoint of the caller's, or a transaction of its own on an autocommit
        connection): a concurrent reader sees the old deck or the new one, never a mix, and a failure (a bad row, a
        duplicate prefix) leaves the old deck in place. Loads of one carrier take turns (the carrier's row is
        locked for the load). Writing the deck is platform work: under row-level security it needs a member of the
        platform role.

        Args:
            carrier_id: the carrier (an organization).
            rates: the new deck; mappings are validated as ``LcrRateCreate`` while they stream (a bad one is named
                by its index), ``carrier_id`` may be left out.

        Raises:
            NotFound: there is no organization ``carrier_id``.
            QueryError: a row names another carrier.
            Conflict: two rows share a prefix and an effective date.
        """
        params = {"carrier": carrier_id}
        with self._atomic():
            if self._first(q.CARRIER_LOCK, params, scalar, PLATFORM) is None:
                raise NotFound(f"organizations: no carrier with id = {carrier_id}", table="organizations")
            self._run(q.CREATE_STAGE, {})
            loaded = self._stage(q.deck_rows(rates, carrier_id))
            replaced = self._run(q.DELETE_DECK, params, PLATFORM, LcrRate)
            self._run(q.SWAP_IN, {}, PLATFORM, LcrRate)
            self._run(q.DROP_STAGE, {})
        return DeckLoad(carrier_id, replaced, loaded)

    def _stage(self, rows: Iterator[dict[str, Any]]) -> int:
        """``COPY`` the rows into the staging table; a new ``COPY`` starts whenever the set of columns changes."""
        written = 0
        pending = next(rows, None)
        with translating(LcrRate), self._conn.cursor() as cur:
            while pending is not None:
                names = tuple(pending)
                stmt = q.stage_copy(names)
                with cur.copy(stmt.sql) as copy:
                    copy.set_types(list(stmt.types))
                    while pending is not None and tuple(pending) == names:
                        copy.write_row(list(pending.values()))
                        written += 1
                        pending = next(rows, None)
        return written

    # --- routing rules -------------------------------------------------------------------------------------------

    def matching_rules(self, org_id: UUID, number: str, at: datetime) -> list[RoutingRule]:
        """The organization's rules that apply to a call to ``number`` at ``at``, in priority order.

        A rule applies when it is enabled, its ``match_type``/``match_pattern`` match the number (see
        ``rule_matches``) and its ``time_condition`` holds at ``at`` (see ``time_condition_applies``). Rules of
        equal priority come in id order; ``route`` orders them by weight.

        Raises:
            pydantic.ValidationError: ``number`` is not a dialable number.
            QueryError: ``at`` is naive.
        """
        number = q.route_number(number)
        params = {"org": org_id, "prefixes": q.rule_prefixes(number), "digits": number.removeprefix("+")}
        candidates = self._all(q.CANDIDATE_RULES, params, rows_of(RoutingRule), org_id, RoutingRule)
        return q.applicable(candidates, number, at)

    def route(
        self,
        org_id: UUID,
        number: str,
        at: datetime,
        rng: RandomSource,
        *,
        active_calls: Mapping[UUID, int] | None = None,
    ) -> list[RouteChoice]:
        """The routes to try for a call, in order: each applicable rule with the number it transforms the call to.

        Rules come by priority; rules of equal priority in an order drawn by weight from ``rng`` (the same seed
        gives the same order); a rule carrying ``max_calls`` calls already (``active_calls``, by rule id) is left
        out. Each choice holds the rule, its action, trunk and destination, and the dialed number after the
        rule's ``transform_rules``.
        """
        rules = self.matching_rules(org_id, number, at)
        return q.choices(rules, number, rng, active_calls)
