"""Dial plans: resolving a dialed string from an extension (exact, prefix and pattern rules in priority order, time
conditions in a zone, allowed call classes, continue_on_match, transforms and ordered actions) and forwarding."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from tests.support import Conn, new_org, unique
from warp_models import DialPlanCreate, ExtensionCreate
from warp_repo.errors import NotFound, QueryError
from warp_repo.extensions import DialPlanRepo, DialPlans, ExtensionRepo

MONDAY_NOON_NY = datetime(2026, 12, 7, 12, 0, tzinfo=ZoneInfo("America/New_York"))
SUNDAY_NOON_NY = datetime(2026, 12, 6, 12, 0, tzinfo=ZoneInfo("America/New_York"))


def extension(conn: Conn, org: UUID, **values: Any) -> UUID:
    create = ExtensionCreate.model_validate({"org_id": org, "extension": "1001", **values})
    return ExtensionRepo(conn).for_org(org).insert(create).id


def rule(conn: Conn, org: UUID, pattern: str, *actions: str, **values: Any) -> UUID:
    create = DialPlanCreate.model_validate(
        {
            "org_id": org,
            "name": unique("rule-"),
            "match_pattern": pattern,
            "actions": [{"type": a.split(":")[0], "target": a.split(":")[1] if ":" in a else None} for a in actions],
            **values,
        }
    )
    return DialPlanRepo(conn).for_org(org).insert(create).id


@pytest.fixture
def plan(conn: Conn) -> tuple[UUID, UUID]:
    """An organization's internal context: extensions, national and international calls, emergency, after hours."""
    org = new_org(conn)
    rule(conn, org, "911", "bridge:e911", match_type="exact", call_class="emergency", priority=1)
    rule(conn, org, r"^1\d{3}$", "extension", match_type="pattern", call_class="internal", priority=10)
    rule(
        conn,
        org,
        "011",
        "lcr",
        call_class="international",
        priority=50,
        transform_rules={"replace_prefix": {"old": "011", "new": "+"}},
    )
    rule(conn, org, "1", "lcr", call_class="national", priority=60, transform_rules={"prepend": "+"})
    rule(
        conn,
        org,
        "1",
        "playback:closed",
        "hangup",
        call_class="national",
        priority=55,
        time_condition={"days": ["sat", "sun"], "timezone": "America/New_York"},
    )
    rule(conn, org, "9", "set:record=true", call_class="local", priority=5, continue_on_match=True)
    rule(conn, org, "9", "route:local", call_class="local", priority=20, transform_rules={"strip_digits": 1})
    rule(conn, org, "5", "hangup", priority=1, enabled=False)
    return org, extension(conn, org)


def test_an_exact_rule_of_higher_priority_wins(conn: Conn, plan: tuple[UUID, UUID]) -> None:
    org, ext = plan
    found = DialPlans(conn, org).resolve(ext, "911", at=MONDAY_NOON_NY)
    assert found.matched and found.call_class == "emergency"
    assert [(a.type, a.target) for a in found.actions] == [("bridge", "e911")]
    assert found.destination == "911"


def test_a_pattern_rule_matches_extensions(conn: Conn, plan: tuple[UUID, UUID]) -> None:
    org, ext = plan
    found = DialPlans(conn, org).resolve(ext, "1002", at=MONDAY_NOON_NY)
    assert found.call_class == "internal" and [a.type for a in found.actions] == ["extension"]


def test_a_call_class_the_extension_may_not_make_is_refused(conn: Conn, plan: tuple[UUID, UUID]) -> None:
    org, ext = plan
    found = DialPlans(conn, org).resolve(ext, "01144207946000", at=MONDAY_NOON_NY)
    assert not found.matched and found.refused_class == "international" and found.actions == ()
    allowed = extension(conn, org, extension="1002", allowed_call_classes=["internal", "international"])
    ok = DialPlans(conn, org).resolve(allowed, "01144207946000", at=MONDAY_NOON_NY)
    assert ok.matched and ok.destination == "+44207946000"


def test_time_conditions_are_read_in_their_zone(conn: Conn, plan: tuple[UUID, UUID]) -> None:
    org, ext = plan
    weekday = DialPlans(conn, org).resolve(ext, "14155550123", at=MONDAY_NOON_NY)
    assert [a.type for a in weekday.actions] == ["lcr"] and weekday.destination == "+14155550123"
    weekend = DialPlans(conn, org).resolve(ext, "14155550123", at=SUNDAY_NOON_NY)
    assert [(a.type, a.target) for a in weekend.actions] == [("playback", "closed"), ("hangup", None)]
    # Monday 02:00 UTC is still Sunday evening in New York.
    late = DialPlans(conn, org).resolve(ext, "14155550123", at=datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    assert [a.type for a in late.actions] == ["playback", "hangup"]
    with pytest.raises(QueryError):
        DialPlans(conn, org).resolve(ext, "14155550123", at=datetime(2026, 12, 7, 12, 0))


def test_continue_on_match_runs_the_next_rule_too(conn: Conn, plan: tuple[UUID, UUID]) -> None:
    org, ext = plan
    found = DialPlans(conn, org).resolve(ext, "95551234", at=MONDAY_NOON_NY)
    assert [(a.type, a.target) for a in found.actions] == [("set", "record=true"), ("route", "local")]
    assert len(found.rules) == 2 and found.destination == "5551234"


def test_nothing_matches_a_disabled_rule_or_an_unknown_string(conn: Conn, plan: tuple[UUID, UUID]) -> None:
    org, ext = plan
    found = DialPlans(conn, org).resolve(ext, "5", at=MONDAY_NOON_NY)
    assert not found.matched and found.rules == () and found.destination is None
    with pytest.raises(QueryError):
        DialPlans(conn, org).resolve(ext, "", at=MONDAY_NOON_NY)


def test_another_organizations_extension_is_not_found(conn: Conn, plan: tuple[UUID, UUID]) -> None:
    _, ext = plan
    with pytest.raises(NotFound):
        DialPlans(conn, new_org(conn)).resolve(ext, "911", at=MONDAY_NOON_NY)
    with pytest.raises(NotFound):
        DialPlans(conn, new_org(conn)).forward_destination(uuid4(), None)


def test_only_the_extensions_context_is_searched(conn: Conn) -> None:
    org = new_org(conn)
    rule(conn, org, "2", "hangup", context="from-trunk", call_class="internal")
    ext = extension(conn, org)
    assert not DialPlans(conn, org).resolve(ext, "2000", at=MONDAY_NOON_NY).matched
    other = extension(conn, org, extension="1003", context="from-trunk")
    assert DialPlans(conn, org).resolve(other, "2000", at=MONDAY_NOON_NY).matched


def test_forwarding_always_first_then_the_condition(conn: Conn) -> None:
    org = new_org(conn)
    forwarding = {
        "busy": {"enabled": True, "destination": "1005"},
        "no_answer": {"enabled": True, "destination": "+14155550100"},
        "unregistered": {"enabled": False, "destination": "1009"},
    }
    ext = extension(conn, org, forwarding=forwarding)
    plans = DialPlans(conn, org)
    assert plans.forward_destination(ext, None) is None
    assert plans.forward_destination(ext, "busy") == "1005"
    assert plans.forward_destination(ext, "no_answer") == "+14155550100"
    assert plans.forward_destination(ext, "unregistered") is None
    always = extension(conn, org, extension="1006", forwarding={"always": {"enabled": True, "destination": "1007"}})
    assert plans.forward_destination(always, None) == plans.forward_destination(always, "busy") == "1007"


def test_extensions_refuse_bad_numbers_rules_and_a_secret_without_a_user_name() -> None:
    org = uuid4()
    with pytest.raises(ValidationError):
        ExtensionCreate(org_id=org, extension="10 01")
    with pytest.raises(ValidationError, match="sip_username"):
        ExtensionCreate.model_validate({"org_id": org, "extension": "1001", "password_hash": "a" * 32})
    with pytest.raises(ValidationError, match="HA1"):
        ExtensionCreate.model_validate({"org_id": org, "extension": "1001", "sip_username": "x", "password_hash": "pw"})
    with pytest.raises(ValidationError, match="regular expression"):
        DialPlanCreate.model_validate(
            {"org_id": org, "name": "x", "match_type": "pattern", "match_pattern": "(", "actions": []}
        )
    with pytest.raises(ValidationError):
        DialPlanCreate.model_validate({"org_id": org, "name": "x", "match_pattern": "1", "actions": [{"type": "fly"}]})
    made = ExtensionCreate.model_validate(
        {"org_id": org, "extension": "1001", "sip_username": "acme-1001", "password_hash": "ab" * 16}
    )
    assert "ab" * 16 not in repr(made) and "ab" * 16 not in str(made.model_dump())
