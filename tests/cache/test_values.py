"""The wire format: flat string fields any client can read, JSON only where a value nests."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from ipaddress import IPv4Address
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr, ValidationError

from warp_models.organizations import ApiKey
from warp_models.routing import LcrRate, PrefixReplacement, RoutingRule, TransformRules
from warp_repo.cache import (
    ApiKeyValue,
    CustomRouteValue,
    LcrRoute,
    LcrRoutes,
    RegistrationValue,
    SessionValue,
)

WHEN = datetime(2026, 1, 1, 12, 0, 0, 999_999, tzinfo=UTC)
USER, ORG = UUID("11111111-1111-4111-8111-111111111111"), UUID("22222222-2222-4222-8222-222222222222")


def test_a_session_is_flat_text() -> None:
    value = SessionValue(user_id=USER, org_id=ORG, ip=IPv4Address("192.0.2.7"), expires=WHEN)
    assert value.to_redis() == {
        "user_id": str(USER),
        "org_id": str(ORG),
        "ip": "192.0.2.7",
        "expires": "1767268800",
    }
    assert SessionValue.from_redis(value.to_redis()) == value
    assert value.expires == WHEN.replace(microsecond=0)


def test_times_are_utc_seconds_and_naive_ones_are_refused() -> None:
    tokyo = datetime(2026, 1, 1, 21, 0, tzinfo=UTC).astimezone(ZoneInfo("Asia/Tokyo"))
    value = RegistrationValue(contact="sip:a@192.0.2.1:5060", expires=tokyo)
    assert value.expires.tzinfo is UTC
    assert value.to_redis()["expires"] == str(int(tokyo.timestamp()))
    with pytest.raises(ValidationError, match="naive datetime"):
        RegistrationValue(contact="sip:a@h", expires=datetime(2026, 1, 1))


def test_bytes_from_a_client_that_does_not_decode_are_read_too() -> None:
    fields = {b"contact": b"sip:trunk@198.51.100.4:5060", b"expires": b"1767268800", b"user_agent": b"PBX 1.0"}
    value = RegistrationValue.from_redis(fields)
    assert value.user_agent == "PBX 1.0"
    assert value.expires == datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_none_is_an_absent_field_and_unknown_fields_are_ignored() -> None:
    value = RegistrationValue(contact="sip:a@h", expires=WHEN)
    assert set(value.to_redis()) == {"contact", "expires"}
    assert RegistrationValue.from_redis({**value.to_redis(), "path": "<sip:edge>"}) == value


def test_missing_or_malformed_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        SessionValue.from_redis({"user_id": str(USER), "org_id": str(ORG), "ip": "192.0.2.7"})
    with pytest.raises(ValidationError):
        RegistrationValue.from_redis({"contact": "mailto:x@example.com", "expires": "1767268800"})
    with pytest.raises(ValueError, match="JSON"):
        ApiKeyValue.from_redis({"key_id": str(USER), "org_id": str(ORG), "permissions": "[trunks:read"})


def test_an_api_key_keeps_its_list_as_json_and_its_secret_out() -> None:
    row = ApiKey(
        id=uuid4(),
        org_id=ORG,
        user_id=None,
        key_hash=SecretStr(f"hs256:p1:{'f' * 64}"),
        name="ci",
        permissions=["trunks:read", "numbers:*"],
        rate_limit=600,
        last_used=None,
        expires_at=WHEN,
        status="active",
        created_at=None,
    )
    fields = ApiKeyValue.from_row(row).to_redis()
    assert json.loads(fields["permissions"]) == ["trunks:read", "numbers:*"]
    assert fields["rate_limit"] == "600"
    assert fields["key_id"] == str(row.id)
    assert "f" * 64 not in "".join(fields.values())
    value = ApiKeyValue.from_redis(fields)
    assert value.permissions == ("trunks:read", "numbers:*")
    assert value.is_usable(WHEN - timedelta(seconds=1))
    assert not value.is_usable(WHEN)
    assert not value.model_copy(update={"status": "revoked"}).is_usable(WHEN - timedelta(days=1))


def test_lcr_routes_are_a_json_array_best_first_with_exact_rates() -> None:
    a, b, c = uuid4(), uuid4(), uuid4()
    routes = LcrRoutes.ordered(
        [
            LcrRoute(carrier_id=a, rate=Decimal("0.020000"), priority=2),
            LcrRoute(carrier_id=b, rate=Decimal("0.012500"), priority=1),
            LcrRoute(carrier_id=c, rate=Decimal("0.010000"), priority=2),
        ]
    )
    document = json.loads(routes.to_redis())
    assert [r["carrier_id"] for r in document] == [str(b), str(c), str(a)]
    assert document[0] == {"carrier_id": str(b), "rate": "0.012500", "priority": 1}
    assert LcrRoutes.from_redis(routes.to_redis()) == routes
    # another writer's JSON numbers are read as exact decimals
    assert LcrRoutes.from_redis(f'[{{"carrier_id": "{a}", "rate": 0.01, "priority": 1}}]').root[0].rate == Decimal(
        "0.01"
    )


def test_routes_come_from_rows() -> None:
    rate = LcrRate(
        id=uuid4(),
        carrier_id=ORG,
        prefix="1415",
        description=None,
        rate=Decimal("0.004200"),
        effective_date=date(2026, 1, 1),
        expiry_date=None,
        priority=None,
    )
    assert LcrRoute.from_row(rate) == LcrRoute(carrier_id=ORG, rate=Decimal("0.0042"), priority=100)
    with pytest.raises(ValueError, match="no carrier_id"):
        LcrRoute.from_row(rate.model_copy(update={"carrier_id": None}))
    rule = RoutingRule(
        id=uuid4(),
        org_id=ORG,
        trunk_id=None,
        name="uk",
        priority=10,
        enabled=True,
        match_type="prefix",
        match_pattern="+44",
        time_condition=None,
        action="forward",
        destination="sip:uk-gw.example.net",
        transform_rules=TransformRules(strip_digits=1, replace_prefix=PrefixReplacement(old="44", new="0")),
        weight=None,
        max_calls=None,
        metadata=None,
        created_at=None,
        updated_at=None,
    )
    fields = CustomRouteValue.from_row(rule).to_redis()
    assert fields["action"] == "forward"
    assert json.loads(fields["transform"]) == {
        "prepend": "",
        "replace_prefix": {"new": "0", "old": "44"},
        "strip_digits": 1,
    }
    assert CustomRouteValue.from_redis(fields) == CustomRouteValue.from_row(rule)
