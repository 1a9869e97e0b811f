"""Domain rules on top of the column limits: phone numbers, addresses, networks, time, money, secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from typing import Any
from uuid import uuid4

import pytest
from pydantic import SecretStr, ValidationError

from warp_models import (
    BillingAccountCreate,
    CdrCreate,
    E911AddressCreate,
    MessageCreate,
    MessagingCampaignCreate,
    OrganizationCreate,
    OrganizationSettingsCreate,
    PhoneNumberCreate,
    SipTrunkCreate,
    TrunkAclCreate,
    TrunkAclUpdate,
    User,
    UserCreate,
)

from .examples import CIPHERTEXT, PASSWORD_HASH, REQUIRED, WHEN


@pytest.mark.parametrize("number", ["+14155550123", "+442071838750", "+861012345678", "+12"])
def test_e164_numbers_are_accepted(number: str) -> None:
    assert PhoneNumberCreate(number=number, country_code="1").number == number


@pytest.mark.parametrize("number", ["14155550123", "+04155550123", "+1415555012345678", "+1 415 555 0123", "+1-415"])
def test_non_e164_numbers_are_refused(number: str) -> None:
    with pytest.raises(ValidationError, match="number"):
        PhoneNumberCreate(number=number, country_code="1")


def test_campaign_recipients_must_be_e164() -> None:
    with pytest.raises(ValidationError, match=r"recipient_list\.1"):
        MessagingCampaignCreate(**{**REQUIRED["messaging_campaigns"], "recipient_list": ["+14155550124", "555-0199"]})


@pytest.mark.parametrize("party", ["+14155550123", "911", "12345678"])
def test_cdr_parties_may_be_short_codes(party: str) -> None:
    assert CdrCreate(**REQUIRED["cdrs"], to_number=party).to_number == party


def test_states_are_two_letter_codes() -> None:
    assert E911AddressCreate(**REQUIRED["e911_addresses"]).state == "IL"
    for bad in ("Il", "ZZ", "ILL"):
        with pytest.raises(ValidationError, match="state"):
            E911AddressCreate(**{**REQUIRED["e911_addresses"], "state": bad})


def test_zip_codes() -> None:
    with pytest.raises(ValidationError, match="zip"):
        E911AddressCreate(**{**REQUIRED["e911_addresses"], "zip": "6270"})
    with pytest.raises(ValidationError, match="plus_four"):
        E911AddressCreate(**REQUIRED["e911_addresses"], plus_four="12a4")


def test_emails_are_emails() -> None:
    assert UserCreate(**REQUIRED["users"]).email == "ops@example.com"
    with pytest.raises(ValidationError, match="email"):
        UserCreate(**{**REQUIRED["users"], "email": "not-an-address"})
    with pytest.raises(ValidationError, match="billing_email"):
        BillingAccountCreate(org_id=uuid4(), billing_email="a@")


@pytest.mark.parametrize(
    ("given", "expected"),
    [("203.0.113.7", IPv4Address("203.0.113.7")), ("2001:db8::1", IPv6Address("2001:db8::1"))],
)
def test_inet_columns_hold_ip_addresses(given: str, expected: object) -> None:
    assert CdrCreate.model_validate({**REQUIRED["cdrs"], "source_ip": given}).source_ip == expected


@pytest.mark.parametrize("bad", ["203.0.113.300", "example.com", "2001:db8::g", "10.0.0.0/8"])
def test_inet_columns_refuse_what_is_not_an_address(bad: str) -> None:
    with pytest.raises(ValidationError, match="source_ip"):
        CdrCreate.model_validate({**REQUIRED["cdrs"], "source_ip": bad})


def test_acl_prefix_length_fits_the_address_family() -> None:
    assert TrunkAclCreate(**REQUIRED["trunk_acl"], subnet_mask=0).subnet_mask == 0
    assert TrunkAclCreate(trunk_id=uuid4(), ip_address=IPv6Address("2001:db8::"), subnet_mask=64).subnet_mask == 64
    with pytest.raises(ValidationError, match="between 0 and 32"):
        TrunkAclCreate(**REQUIRED["trunk_acl"], subnet_mask=33)
    with pytest.raises(ValidationError, match="between 0 and 128"):
        TrunkAclCreate(trunk_id=uuid4(), ip_address=IPv6Address("2001:db8::"), subnet_mask=129)
    with pytest.raises(ValidationError, match="between 0 and 128"):
        TrunkAclUpdate(subnet_mask=-1)


def test_trunk_networks_and_codecs_are_typed() -> None:
    trunk = SipTrunkCreate.model_validate(
        {**REQUIRED["sip_trunks"], "allowed_ips": ["10.0.0.0/8", "2001:db8::/32"], "codecs": ["OPUS"]}
    )
    assert trunk.allowed_ips is not None and trunk.allowed_ips[1] == IPv6Network("2001:db8::/32")
    assert trunk.to_db()["allowed_ips"] == ["10.0.0.0/8", "2001:db8::/32"]
    with pytest.raises(ValidationError, match="allowed_ips"):
        SipTrunkCreate.model_validate({**REQUIRED["sip_trunks"], "allowed_ips": ["10.0.0.1/8"]})
    with pytest.raises(ValidationError, match="codecs"):
        SipTrunkCreate.model_validate({**REQUIRED["sip_trunks"], "codecs": ["MP3"]})


def test_settings_documents_refuse_unknown_keys() -> None:
    settings = OrganizationSettingsCreate.model_validate(
        {"org_id": uuid4(), "features": {"sms": True}, "allowed_regions": ["US", "CA"]}
    )
    assert settings.features is not None and settings.features.sms and not settings.features.fax
    with pytest.raises(ValidationError, match="smss"):
        OrganizationSettingsCreate.model_validate({"org_id": uuid4(), "features": {"smss": True}})
    with pytest.raises(ValidationError, match="allowed_regions"):
        OrganizationSettingsCreate(org_id=uuid4(), allowed_regions=["usa"])


# --- time -------------------------------------------------------------------------------------------------


def test_aware_datetimes_are_stored_as_utc() -> None:
    eastern = timezone(timedelta(hours=-5))
    cdr = CdrCreate(**{**REQUIRED["cdrs"], "start_time": datetime(2026, 3, 1, 7, 0, tzinfo=eastern)})
    assert cdr.start_time == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert cdr.start_time.tzinfo is UTC
    stored = cdr.to_db()["start_time"]
    assert stored == datetime(2026, 3, 1, 12, 0) and stored.tzinfo is None


def test_naive_datetimes_from_callers_are_refused() -> None:
    with pytest.raises(ValidationError, match="naive datetime"):
        CdrCreate(**{**REQUIRED["cdrs"], "start_time": datetime(2026, 3, 1, 12, 0)})
    with pytest.raises(ValidationError, match="naive datetime"):
        CdrCreate(**{**REQUIRED["cdrs"], "start_time": "2026-03-01T12:00:00"})


def test_naive_datetimes_read_from_the_database_are_utc() -> None:
    values: dict[str, Any] = {c.name: None for c in User.__columns__}
    values.update(REQUIRED["users"], id=uuid4(), last_login=datetime(2026, 3, 1, 12, 0))
    user = User.from_db(values)
    assert user.last_login == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(ValidationError, match="naive datetime"):
        User.model_validate(values)


def test_cdr_times_are_ordered() -> None:
    with pytest.raises(ValidationError, match="end_time .* is before start_time"):
        CdrCreate(**REQUIRED["cdrs"], end_time=WHEN - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="end_time .* is before answer_time"):
        CdrCreate(**REQUIRED["cdrs"], answer_time=WHEN + timedelta(seconds=10), end_time=WHEN + timedelta(seconds=5))


# --- secrets ----------------------------------------------------------------------------------------------


def test_secrets_never_show() -> None:
    user = UserCreate(**REQUIRED["users"], mfa_secret=SecretStr(CIPHERTEXT))
    for text in (repr(user), str(user), user.model_dump_json(), f"{user}"):
        assert PASSWORD_HASH not in text and CIPHERTEXT not in text
    assert user.to_db()["password_hash"] == PASSWORD_HASH
    assert user.to_db()["mfa_secret"] == CIPHERTEXT


def test_enum_defaults_and_limits() -> None:
    org = OrganizationCreate(name="x" * 255, status="suspended", fcc_filer_id="831234")
    assert org.status == "suspended"
    with pytest.raises(ValidationError, match="name"):
        OrganizationCreate(name="x" * 256)
    with pytest.raises(ValidationError, match="status"):
        OrganizationCreate(name="Acme", status="deleted")  # type: ignore[arg-type]


def test_domain_bounds_survive_the_column_range() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        CdrCreate(**REQUIRED["cdrs"], duration=-5)
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        MessageCreate(**REQUIRED["messages"], num_segments=0)
    with pytest.raises(ValidationError, match="less than or equal to 699"):
        CdrCreate(**REQUIRED["cdrs"], sip_response_code=700)
    with pytest.raises(ValidationError, match="less than or equal to 2147483647"):
        CdrCreate(**REQUIRED["cdrs"], duration=2**31)
