"""The routing models: time conditions, patterns, rates."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tests.models.examples import REQUIRED
from warp_models import (
    LcrRateCreate,
    RoutingRuleCreate,
    TimeCondition,
)


def test_time_condition_shape() -> None:
    window = {"days": ["mon", "fri"], "start": "08:00", "end": "18:00", "timezone": "America/New_York"}
    rule = RoutingRuleCreate.model_validate({**REQUIRED["routing_rules"], "time_condition": window})
    assert rule.time_condition == TimeCondition(
        days=["mon", "fri"], start=time(8), end=time(18), timezone="America/New_York"
    )
    with pytest.raises(ValidationError, match="unknown IANA time zone"):
        TimeCondition(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="days"):
        TimeCondition.model_validate({"days": ["funday"]})


def test_routing_patterns() -> None:
    assert RoutingRuleCreate(**{**REQUIRED["routing_rules"], "match_type": "pattern", "match_pattern": r"^1\d{10}$"})
    with pytest.raises(ValidationError, match="not a valid regular expression"):
        RoutingRuleCreate(**{**REQUIRED["routing_rules"], "match_type": "pattern", "match_pattern": "(["})
    with pytest.raises(ValidationError, match="holds digits"):
        RoutingRuleCreate(**{**REQUIRED["routing_rules"], "match_pattern": "abc"})


def test_rates() -> None:
    assert LcrRateCreate(**REQUIRED["lcr_rates"]).rate == Decimal("0.0042")
    with pytest.raises(ValidationError, match="decimal places"):
        LcrRateCreate(**{**REQUIRED["lcr_rates"], "rate": Decimal("0.0000001")})
    with pytest.raises(ValidationError, match="greater than or equal"):
        LcrRateCreate(**{**REQUIRED["lcr_rates"], "rate": Decimal("-0.01")})
    with pytest.raises(ValidationError, match="expiry_date .* must be after"):
        LcrRateCreate(**REQUIRED["lcr_rates"], expiry_date=date(2025, 12, 31))
    with pytest.raises(ValidationError, match="prefix"):
        LcrRateCreate(**{**REQUIRED["lcr_rates"], "prefix": "+1415"})
