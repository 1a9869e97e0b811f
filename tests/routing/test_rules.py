"""Routing rules: which rules apply to a call and when, the number they send, and how equal priorities share."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from tests.support import Conn, new_org, new_trunk
from warp_models import RoutingRule, RoutingRuleCreate
from warp_models.routing import TimeCondition, TransformRules
from warp_repo.errors import QueryError
from warp_repo.repos import RoutingRuleRepo
from warp_repo.routing import Routing, time_condition_applies, transform, weighted_order, weighted_pick
from warp_repo.routing._queries import rule_matches

NEW_YORK = ZoneInfo("America/New_York")


def at(text: str, zone: ZoneInfo = NEW_YORK) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def applies(condition: dict[str, Any], instant: datetime) -> bool:
    return time_condition_applies(TimeCondition.model_validate(condition), instant)


def test_a_window_on_weekdays_in_a_zone() -> None:
    office = {
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00",
        "end": "17:30",
        "timezone": "America/New_York",
    }
    assert applies(office, at("2026-11-23T09:00"))  # a Monday, the window opens
    assert applies(office, at("2026-11-23T17:29:59"))
    assert not applies(office, at("2026-11-23T17:30")), "end is excluded"
    assert not applies(office, at("2026-11-23T08:59:59"))
    assert not applies(office, at("2026-11-22T12:00")), "a Sunday"
    # The instant may come in any zone: 14:00 UTC on a Monday in November is 09:00 in New York.
    assert applies(office, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    assert not applies(office, datetime(2026, 11, 23, 13, 59, tzinfo=UTC))


def test_the_window_follows_daylight_saving_time() -> None:
    morning = {"start": "09:00", "end": "10:00", "timezone": "America/New_York"}
    assert applies(morning, datetime(2026, 7, 1, 13, 30, tzinfo=UTC)), "EDT: 09:30 is 13:30 UTC"
    assert not applies(morning, datetime(2026, 12, 1, 13, 30, tzinfo=UTC)), "EST: 13:30 UTC is 08:30"
    assert applies(morning, datetime(2026, 12, 1, 14, 30, tzinfo=UTC))
    # 2026-03-08: clocks jump from 02:00 to 03:00 in New York; a 02:00-03:00 window never opens that night.
    night = {"start": "02:00", "end": "03:00", "timezone": "America/New_York"}
    spring = [datetime(2026, 3, 8, 6, m, tzinfo=UTC) for m in range(0, 60, 5)]  # 01:00-01:55 EST
    spring += [datetime(2026, 3, 8, 7, m, tzinfo=UTC) for m in range(0, 60, 5)]  # 03:00-03:55 EDT
    assert not any(applies(night, instant) for instant in spring)
    # 2026-11-01: 01:00-02:00 happens twice; both hours are in a 01:00-02:00 window.
    repeated = {"start": "01:00", "end": "02:00", "timezone": "America/New_York"}
    assert applies(repeated, datetime(2026, 11, 1, 5, 30, tzinfo=UTC))  # 01:30 EDT
    assert applies(repeated, datetime(2026, 11, 1, 6, 30, tzinfo=UTC))  # 01:30 EST
    assert not applies(repeated, datetime(2026, 11, 1, 7, 30, tzinfo=UTC))  # 02:30 EST


def test_a_window_past_midnight_belongs_to_the_day_it_opened() -> None:
    friday_night = {"days": ["fri"], "start": "22:00", "end": "06:00", "timezone": "Europe/Berlin"}
    berlin = ZoneInfo("Europe/Berlin")
    assert applies(friday_night, at("2026-11-27T23:00", berlin))  # Friday
    assert applies(friday_night, at("2026-11-28T02:00", berlin)), "Saturday early is Friday's night"
    assert not applies(friday_night, at("2026-11-28T06:00", berlin))
    assert not applies(friday_night, at("2026-11-27T02:00", berlin)), "Friday early is Thursday's night"
    assert not applies(friday_night, at("2026-11-28T23:00", berlin))


def test_open_ended_windows_and_empty_conditions() -> None:
    monday = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert time_condition_applies(None, monday)
    assert applies({}, monday)
    assert applies({"start": "12:00"}, monday) and not applies({"start": "12:01"}, monday)
    assert applies({"end": "12:01"}, monday) and not applies({"end": "12:00"}, monday)
    assert applies({"start": "08:00", "end": "08:00"}, monday), "start == end is the whole day"
    assert not applies({"days": []}, monday), "no day at all"
    assert not applies({"days": ["mon"]}, at("2026-11-23T20:30")), "UTC is the default zone: Tuesday there"
    assert applies({"days": ["tue"]}, at("2026-11-23T20:30"))
    with pytest.raises(QueryError, match="naive"):
        time_condition_applies(None, datetime(2026, 11, 23, 12, 0))
    with pytest.raises(ValidationError, match="time zone"):
        TimeCondition.model_validate({"timezone": "Mars/Olympus"})


def test_transforms_strip_then_replace_then_prepend() -> None:
    def run(number: str, **rules: Any) -> str:
        return transform(number, TransformRules.model_validate(rules))

    assert transform("+14155550123", None) == "+14155550123"
    assert run("+14155550123") == "+14155550123"
    assert run("+14155550123", strip_digits=2) == "4155550123"
    assert run("0114420791234", replace_prefix={"old": "011", "new": "+"}) == "+4420791234"
    assert run("94155550123", strip_digits=1, replace_prefix={"old": "415", "new": "628"}, prepend="+1") == (
        "+16285550123"
    )
    assert run("4155550123", replace_prefix={"old": "212", "new": "0"}) == "4155550123", "no such prefix"
    assert run("12", strip_digits=5, prepend="9") == "9", "stripping more than there is leaves nothing"


def rule(**values: Any) -> RoutingRule:
    base: dict[str, Any] = {
        "id": uuid4(),
        "org_id": UUID(int=1),
        "trunk_id": None,
        "name": "r",
        "priority": 100,
        "enabled": True,
        "match_type": "prefix",
        "match_pattern": "1",
        "time_condition": {},
        "action": "route",
        "destination": None,
        "transform_rules": {},
        "weight": 100,
        "max_calls": None,
        "metadata": {},
        "created_at": None,
        "updated_at": None,
    }
    return RoutingRule.model_validate(base | values)


def test_matching_by_prefix_exact_and_pattern() -> None:
    assert rule_matches(rule(match_pattern="+1415"), "14155550123"), "a leading + is ignored on both sides"
    assert rule_matches(rule(match_pattern="1415"), "+14155550123")
    assert not rule_matches(rule(match_pattern="1416"), "+14155550123")
    assert rule_matches(rule(match_type="exact", match_pattern="911"), "911")
    assert not rule_matches(rule(match_type="exact", match_pattern="911"), "9111")
    assert rule_matches(rule(match_type="pattern", match_pattern=r"^\+1(415|628)"), "+16285550123")
    assert not rule_matches(rule(match_type="pattern", match_pattern=r"^\+1(415|628)"), "16285550123")
    assert rule_matches(rule(match_type="pattern", match_pattern="555"), "+14155550123"), "found anywhere, as ~"
    assert not rule_matches(rule(match_type="pattern", match_pattern="^555$"), "+14155550123")


def test_weighted_order_is_reproducible_and_follows_the_weights() -> None:
    heavy, light, idle = rule(weight=300), rule(weight=100), rule(weight=0)
    backup = rule(priority=200)
    rules = [backup, idle, light, heavy]
    first = weighted_order(rules, random.Random(7))
    assert first == weighted_order(list(reversed(rules)), random.Random(7)), "the same seed, the same order"
    assert first[2:] == [idle, backup], "weight 0 last in its priority, then the next priority"
    picks = [weighted_pick(rules, random.Random(seed)) for seed in range(4000)]
    wins = Counter(pick.id for pick in picks if pick is not None)
    assert set(wins) == {heavy.id, light.id}
    assert 2.6 < wins[heavy.id] / wins[light.id] < 3.4, wins
    assert weighted_pick([], random.Random(1)) is None
    assert weighted_order([idle], random.Random(1)) == [idle]


class FixedDraws:
    """A random source that returns the draws given, to pin the pick down exactly."""

    def __init__(self, *draws: float) -> None:
        self._draws = list(draws)

    def random(self) -> float:
        return self._draws.pop(0)


def test_a_draw_falls_into_the_weight_it_lands_on() -> None:
    a, b = rule(id=UUID(int=1), weight=25), rule(id=UUID(int=2), weight=75)  # draws go over the rules by id
    assert weighted_pick([a, b], FixedDraws(0.0, 0.0)) == a
    assert weighted_pick([a, b], FixedDraws(0.2499, 0.0)) == a
    assert weighted_pick([a, b], FixedDraws(0.25, 0.0)) == b
    assert weighted_pick([a, b], FixedDraws(0.9999, 0.0)) == b


def store(conn: Conn, org: UUID, **values: Any) -> RoutingRule:
    values.setdefault("name", "rule")
    values.setdefault("action", "route")
    return RoutingRuleRepo(conn).for_org(org).insert(RoutingRuleCreate(org_id=org, **values))


def test_the_rules_that_apply_to_a_call_in_priority_order(conn: Conn) -> None:
    org, other = new_org(conn), new_org(conn)
    monday_noon = at("2026-11-23T12:00")
    late = store(conn, org, match_pattern="1415", priority=300)
    exact = store(conn, org, match_type="exact", match_pattern="+14155550123", priority=10)
    pattern = store(conn, org, match_type="pattern", match_pattern=r"5550\d{3}$", priority=20)
    office = store(
        conn, org, match_pattern="1", priority=30, time_condition={"start": "09:00", "timezone": "America/New_York"}
    )
    store(conn, org, match_pattern="1", priority=1, enabled=False)
    store(conn, org, match_pattern="1", priority=1, time_condition={"days": ["sun"]})
    store(conn, org, match_pattern="1416", priority=1)
    store(conn, org, match_type="pattern", match_pattern="^999", priority=1)
    store(conn, other, match_pattern="1", priority=1)
    routing = Routing(conn)
    assert routing.matching_rules(org, "+14155550123", monday_noon) == [exact, pattern, office, late]
    assert routing.matching_rules(org, "+14155550123", at("2026-11-23T08:00")) == [exact, pattern, late]
    assert routing.matching_rules(org, "+14155550999", monday_noon) == [pattern, office, late]
    with pytest.raises(ValidationError):
        routing.matching_rules(org, "+1 415 555", monday_noon)


def test_route_transforms_the_number_shares_equal_priorities_and_skips_full_rules(conn: Conn) -> None:
    org = new_org(conn)
    trunk = new_trunk(conn, org)
    now = at("2026-11-23T12:00")
    a = store(conn, org, match_pattern="1415", trunk_id=trunk.id, weight=300, transform_rules={"strip_digits": 2})
    b = store(conn, org, match_pattern="1", weight=100, max_calls=2, destination="sip:backup@example.com")
    c = store(conn, org, match_pattern="1", priority=500, action="reject")
    routing = Routing(conn)
    routes = routing.route(org, "+14155550123", now, random.Random(3))
    assert {r.rule.id for r in routes[:2]} == {a.id, b.id}
    assert routes[2].rule == c and routes[2].action == "reject"
    by_rule = {r.rule.id: r for r in routes}
    assert (by_rule[a.id].number, by_rule[a.id].trunk_id) == ("4155550123", trunk.id)
    assert (by_rule[b.id].number, by_rule[b.id].destination) == ("+14155550123", "sip:backup@example.com")
    firsts = Counter(routing.route(org, "+14155550123", now, random.Random(seed))[0].rule.id for seed in range(200))
    assert firsts[a.id] > firsts[b.id] > 0
    full = routing.route(org, "+14155550123", now, random.Random(3), active_calls={b.id: 2})
    assert [r.rule.id for r in full] == [a.id, c.id]
    assert [r.rule.id for r in routing.route(org, "+14155550123", now, random.Random(3), active_calls={b.id: 1})][
        2:
    ] == [c.id]
