"""Factories of the routing domain: routing rules of an organization and the shared LCR rate deck."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from warp_models import LcrRate, LcrRateCreate, RoutingRule, RoutingRuleCreate
from warp_models.routing import PrefixReplacement, TimeCondition, TransformRules, Weekday
from warp_repo.testing._data import COUNTRY_PLANS, NXX_CODES, RATE_CENTERS, TOLL_FREE_NPAS
from warp_repo.testing._factory import Factory, Plan, require_id
from warp_repo.testing._provider import Destination
from warp_repo.testing._unique import Permutation

if TYPE_CHECKING:
    from warp_repo.testing._set import Factories


_RULE_NAMES = ("Local", "Long distance", "International", "Toll-free", "After hours", "Emergency overflow", "Sales")
_WEEKDAYS: list[Weekday] = ["mon", "tue", "wed", "thu", "fri"]


def _deck() -> list[tuple[str, str, Destination]]:
    """Prefixes of a rate deck with their descriptions: countries and their ranges, then US area codes."""
    deck: list[tuple[str, str, Destination]] = []
    for plan in COUNTRY_PLANS.values():
        if plan.calling_code != "1":
            deck.append((plan.calling_code, plan.name, "international"))
        for lead, _ in plan.ranges:
            deck.append((f"{plan.calling_code}{lead}", f"{plan.name} - {lead}", "international"))
    for npa in TOLL_FREE_NPAS:
        deck.append((f"1{npa}", f"United States - toll-free {npa}", "toll_free"))
    for rc in RATE_CENTERS:
        for npa in rc.npas:
            deck.append((f"1{npa}", f"United States - {rc.state} - {rc.name}", "domestic"))
    return deck


_DECK = _deck()
_US_NPAS = [(npa, rc) for rc in RATE_CENTERS for npa in rc.npas]
_PREFIXES = len(_DECK) + len(_US_NPAS) * len(NXX_CODES)
"""How many distinct prefixes the deck can name: every entry above, then every US NPA-NXX."""


class RoutingRuleFactory(Factory[RoutingRule, RoutingRuleCreate]):
    """``routing_rules``: a rule of an organization; ``route`` rules send calls to one of its trunks."""

    shape = RoutingRuleCreate
    weights = {
        "action": {"route": 45, "lcr": 30, "forward": 10, "reject": 8, "voicemail": 7},
        "match_type": {"prefix": 70, "exact": 15, "pattern": 15},
    }

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng, telecom = self.random, self._set.telecom
        org = self._org(given, plan)
        action = given.get("action") or self.pick("action")
        kind = given.get("match_type") or self.pick("match_type")
        center = telecom.rate_center()
        if kind == "prefix":
            pattern = f"1{rng.choice(center.npas)}"
        elif kind == "exact":
            pattern = telecom.nanp_number().number
        else:
            pattern = rf"^1({'|'.join(center.npas)})\d{{7}}$"
        trunk = None
        if action == "route":
            trunks = self._set._known.ids("sip_trunks", org)
            if trunks:
                trunk = rng.choice(trunks)
            elif plan is not None:
                trunk = require_id(self._set.trunk._make({"org_id": org}, plan))
        destination = {
            "forward": telecom.e164(),
            "voicemail": f"vm:{rng.randrange(100, 999)}",
            "route": f"trunk:{trunk}" if trunk else None,
        }.get(action)
        created = self._set.past(365, after=1)
        values: dict[str, Any] = {
            "id": self._set.uuid(),
            "org_id": org,
            "trunk_id": trunk,
            "name": f"{rng.choice(_RULE_NAMES)} {center.name}",
            "priority": rng.choice((10, 20, 50, 100, 100, 200)),
            "enabled": rng.random() < 0.9,
            "match_type": kind,
            "match_pattern": pattern,
            "action": action,
            "destination": destination,
            "weight": rng.choice((100, 100, 50, 25)),
            "max_calls": rng.choice((None, None, 10, 50, 100)),
            "metadata": {"created_by": "factory"},
            "created_at": created,
            "updated_at": self._set.after(created),
        }
        values["time_condition"] = TimeCondition()
        if rng.random() < 0.25:
            values["time_condition"] = TimeCondition(
                days=list(_WEEKDAYS), start=time(8), end=time(18), timezone=rng.choice(("America/New_York", "UTC"))
            )
        values["transform_rules"] = TransformRules()
        if rng.random() < 0.3:
            values["transform_rules"] = TransformRules(
                strip_digits=rng.choice((0, 1)),
                replace_prefix=PrefixReplacement(old="011", new="") if rng.random() < 0.5 else None,
                prepend=rng.choice(("", "", "1")),
            )
        return values


class LcrRateFactory(Factory[LcrRate, LcrRateCreate]):
    """``lcr_rates``: (carrier, prefix, effective date) never repeats within a set.

    Row ``n`` takes prefix ``n mod P`` of the deck (countries, US area codes, then US NPA-NXX blocks) and the
    deck version ``n div P`` as its effective date; a fixed ``prefix`` moves the date instead. The carrier is a
    wholesale organization the set made, if any.
    """

    shape = LcrRateCreate

    def __init__(self, factories: Factories) -> None:
        super().__init__(factories)
        self._blocks = Permutation.random(len(_US_NPAS) * len(NXX_CODES), self.random)

    def _prefix(self, i: int) -> tuple[str, str, Destination]:
        if i < len(_DECK):
            return _DECK[i]
        block = self._blocks(i - len(_DECK))
        npa, rc = _US_NPAS[block // len(NXX_CODES)]
        nxx = NXX_CODES[block % len(NXX_CODES)]
        return f"1{npa}{nxx}", f"United States - {rc.state} - {rc.name} ({npa}-{nxx})", "domestic"

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        base = self._set.now.date() - timedelta(days=180)
        prefix, text, destination = self._prefix(n % _PREFIXES)
        description: str | None = text
        effective = base + timedelta(days=30 * (n // _PREFIXES))
        if "prefix" in given:
            effective, description = base + timedelta(days=n), None
        carriers = self._set._known.carriers
        expiry: date | None = effective + timedelta(days=rng.randrange(90, 366)) if rng.random() < 0.35 else None
        return {
            "id": self._set.uuid(),
            "carrier_id": rng.choice(carriers) if carriers else None,
            "prefix": prefix,
            "description": description,
            "rate": self._set.telecom.per_minute_rate(destination) * Decimal(rng.choice(("1", "1", "0.9", "1.2"))),
            "effective_date": effective,
            "expiry_date": expiry,
            "priority": rng.choice((100, 100, 50, 200)),
        }
