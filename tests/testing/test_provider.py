"""The telecom provider: every value in its valid form and its realistic range, the same for the same seed."""

from __future__ import annotations

import ipaddress
import math
import re
import statistics
import typing
from decimal import Decimal

import pytest
from faker import Faker
from pydantic import TypeAdapter

from warp_models.types import E164, CodecName, FccFilerId, Lata, SipUsername, UsState
from warp_repo.testing import CallOutcome, TelecomProvider, sms_encoding, sms_segments
from warp_repo.testing._data import COUNTRY_PLANS, RATE_CENTERS

SAMPLES = 3_000


@pytest.fixture
def telecom() -> TelecomProvider:
    fake = Faker("en_US")
    fake.seed_instance(1234)
    provider = TelecomProvider(fake)
    fake.add_provider(provider)
    return provider


def test_reference_data_gives_each_area_code_one_rate_center() -> None:
    npas = [npa for rc in RATE_CENTERS for npa in rc.npas]
    assert len(npas) == len(set(npas))
    states = set(typing.get_args(UsState))
    assert {rc.state for rc in RATE_CENTERS} <= states
    assert all(re.fullmatch(r"[2-9][0-9]{2}", npa) for npa in npas)


@pytest.mark.parametrize("country", ["US", *COUNTRY_PLANS])
def test_e164_numbers_are_valid_and_carry_the_country_calling_code(telecom: TelecomProvider, country: str) -> None:
    code = "1" if country == "US" else COUNTRY_PLANS[country].calling_code
    adapter = TypeAdapter(E164)
    for _ in range(200):
        number = telecom.e164(country)
        assert adapter.validate_python(number) == number
        assert number.startswith(f"+{code}")
        assert len(number) <= 16


def test_unknown_country_is_refused(telecom: TelecomProvider) -> None:
    with pytest.raises(ValueError, match="no numbering plan for 'ZZ'"):
        telecom.e164("ZZ")


def test_nanp_numbers_agree_with_their_rate_center(telecom: TelecomProvider) -> None:
    for _ in range(SAMPLES):
        made = telecom.nanp_number()
        assert made.rate_center is not None
        assert made.npa in made.rate_center.npas
        assert made.number == f"+1{made.npa}{made.nxx}{made.number[-4:]}"
        assert made.nxx[0] in "23456789" and made.nxx[1:] != "11" and made.nxx != "555"
    for state in ("CA", "NY", "TX"):
        assert telecom.nanp_number(state).rate_center.state == state  # type: ignore[union-attr]


def test_places_are_valid_states_and_latas(telecom: TelecomProvider) -> None:
    states = set(typing.get_args(UsState))
    lata = TypeAdapter(Lata)
    for _ in range(500):
        assert telecom.us_state() in states
        assert lata.validate_python(telecom.lata())
    assert telecom.rate_center("HI").name == "Honolulu"
    with pytest.raises(ValueError, match="no rate center"):
        telecom.rate_center("XX")


def test_toll_free_numbers_use_toll_free_area_codes(telecom: TelecomProvider) -> None:
    for _ in range(300):
        number = telecom.toll_free_number()
        assert re.fullmatch(r"\+18(00|33|44|55|66|77|88)[2-9][0-9]{6}", number), number


def test_sip_identities_have_their_wire_form(telecom: TelecomProvider) -> None:
    username = TypeAdapter(SipUsername)
    for _ in range(500):
        user = telecom.sip_username()
        assert username.validate_python(user) == user
        contact = telecom.sip_contact_uri(user, transport=telecom.random_element(("UDP", "TCP", "TLS")))
        assert re.fullmatch(r"sips?:[A-Za-z0-9._~+-]+@(\d{1,3}\.){3}\d{1,3}:\d{4,5};transport=(udp|tcp|tls)", contact)
        assert contact.startswith("sips:") == contact.endswith("transport=tls")
    call_id = telecom.call_id("pbx.example.com")
    assert re.fullmatch(r"[0-9a-f]{16}@pbx\.example\.com", call_id)


def test_codecs_are_declared_codecs(telecom: TelecomProvider) -> None:
    declared = set(typing.get_args(CodecName))
    offers = [telecom.codec_offer() for _ in range(500)]
    assert all(offer and set(offer) <= declared and len(offer) == len(set(offer)) for offer in offers)
    assert telecom.codec() in declared
    assert sum(offer[0] == "PCMU" for offer in offers) > 250, "G.711 µ-law leads most US offers"


def test_addresses_are_public_and_networks_have_no_host_bits(telecom: TelecomProvider) -> None:
    for _ in range(SAMPLES):
        assert telecom.ipv4_public().is_global
        v4 = telecom.cidr(4)
        assert 24 <= v4.prefixlen <= 32
        assert ipaddress.ip_network(str(v4), strict=True) == v4
        v6 = telecom.cidr(6)
        assert v6.prefixlen in (48, 56, 64)
        assert ipaddress.ip_network(str(v6), strict=True) == v6
        assert telecom.ipv6_global().is_global


def test_fcc_filer_ids_are_six_digits(telecom: TelecomProvider) -> None:
    adapter = TypeAdapter(FccFilerId)
    assert all(adapter.validate_python(telecom.fcc_filer_id()) for _ in range(500))


def test_quality_metrics_stay_in_realistic_ranges(telecom: TelecomProvider) -> None:
    scores = [telecom.mos_score() for _ in range(SAMPLES)]
    assert all(Decimal("1.00") <= s <= Decimal("4.50") and s == s.quantize(Decimal("0.01")) for s in scores)
    assert Decimal("4.0") < statistics.median(scores) < Decimal("4.45"), "most calls sound good"
    losses = [telecom.packet_loss() for _ in range(SAMPLES)]
    assert all(Decimal(0) <= loss <= Decimal(100) for loss in losses)
    assert statistics.median(losses) < Decimal("0.5")
    jitter = [telecom.jitter_ms() for _ in range(SAMPLES)]
    assert all(0 <= j <= 400 for j in jitter)
    assert 5 <= statistics.median(jitter) <= 12
    rtt = [telecom.rtt_ms() for _ in range(SAMPLES)]
    assert all(5 <= r <= 900 for r in rtt)
    assert telecom.mos_score(Decimal("8.0"), 150) < telecom.mos_score(Decimal("0.0"), 5), "loss and jitter hurt"


def test_call_durations_are_log_normal(telecom: TelecomProvider) -> None:
    seconds = [telecom.call_duration().total_seconds() for _ in range(10_000)]
    assert min(seconds) >= 1 and max(seconds) <= 4 * 3600
    median = statistics.median(seconds)
    assert 65 <= median <= 87, median
    assert statistics.mean(seconds) > 1.4 * median, "a long right tail: a few calls last very long"
    logs = [math.log(s) for s in seconds]
    assert abs(statistics.mean(logs) - statistics.median(logs)) < 0.05, "symmetric once logged"


def test_about_58_percent_of_attempts_are_answered(telecom: TelecomProvider) -> None:
    outcomes = [telecom.call_outcome() for _ in range(10_000)]
    answered = sum(o.answered for o in outcomes) / len(outcomes)
    assert 0.55 < answered < 0.61
    assert all(o.answered == (o.sip_code == 200) for o in outcomes)
    assert CallOutcome(486, "USER_BUSY").answered is False


@pytest.mark.parametrize(
    ("body", "encoding", "segments"),
    [
        ("", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        ("é" * 160, "GSM-7", 1),
        ("ж" * 70, "UCS-2", 1),
        ("ж" * 71, "UCS-2", 2),
        ("ж" * 134, "UCS-2", 2),
        ("ж" * 135, "UCS-2", 3),
        ("🎉" * 35, "UCS-2", 1),
        ("🎉" * 36, "UCS-2", 2),
        ("a" * 69 + "ж", "UCS-2", 1),
        ("a" * 70 + "ж", "UCS-2", 2),
    ],
)
def test_sms_segments_follow_gsm7_and_ucs2_limits(body: str, encoding: str, segments: int) -> None:
    assert sms_encoding(body) == encoding
    assert sms_segments(body) == segments


def test_sms_bodies_mix_alphabets_and_lengths(telecom: TelecomProvider) -> None:
    bodies = [telecom.sms_body() for _ in range(2_000)]
    encodings = {telecom.sms_encoding(b) for b in bodies}
    assert encodings == {"GSM-7", "UCS-2"}
    counts = [telecom.sms_segments(b) for b in bodies]
    assert min(counts) == 1 and max(counts) >= 3
    assert sum(c == 1 for c in counts) > 0.7 * len(counts), "most messages fit one segment"


def test_the_same_seed_gives_the_same_values() -> None:
    def values(seed: int) -> list[object]:
        fake = Faker("en_US")
        fake.seed_instance(seed)
        telecom = TelecomProvider(fake)
        return [
            telecom.e164("GB"),
            telecom.nanp_number(),
            telecom.sip_username(),
            telecom.cidr(),
            telecom.mos_score(),
            telecom.call_duration(),
            telecom.sms_body(),
            telecom.call_outcome(),
        ]

    assert values(7) == values(7)
    assert values(7) != values(8)


def test_faker_exposes_the_provider_methods(telecom: TelecomProvider) -> None:
    fake = telecom.generator
    assert TypeAdapter(E164).validate_python(fake.e164())
    assert fake.sms_segments("a" * 200) == 2
