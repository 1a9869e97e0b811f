"""Reference data behind the telecom provider: places, numbering plans, SIP and media vocabulary.

The figures are close to the real ones (area codes, LATAs and rate centers of large US markets, national number
formats of a few countries) but they are test data: good enough to look right in a report, never a source of
truth for routing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class RateCenter:
    """A US rate center: the place a block of numbers is homed in, its LATA and its area codes."""

    state: str
    lata: str
    name: str
    npas: tuple[str, ...]
    weight: int
    """Relative size of the market (how many numbers and calls land there)."""


RATE_CENTERS: Final[tuple[RateCenter, ...]] = (
    RateCenter("NY", "132", "New York City", ("212", "646", "332", "917"), 30),
    RateCenter("NY", "132", "Brooklyn", ("718", "347", "929"), 14),
    RateCenter("NY", "132", "Hempstead", ("516",), 5),
    RateCenter("NY", "132", "White Plains", ("914",), 4),
    RateCenter("CA", "730", "Los Angeles", ("213", "323", "310", "424"), 22),
    RateCenter("CA", "730", "Van Nuys", ("818", "747"), 8),
    RateCenter("CA", "730", "Pasadena", ("626",), 5),
    RateCenter("CA", "722", "San Francisco", ("415", "628"), 12),
    RateCenter("CA", "722", "Oakland", ("510", "341"), 6),
    RateCenter("CA", "722", "San Jose", ("408", "669"), 8),
    RateCenter("CA", "732", "San Diego", ("619", "858"), 9),
    RateCenter("CA", "726", "Sacramento", ("916", "279"), 5),
    RateCenter("IL", "358", "Chicago", ("312", "773", "872"), 18),
    RateCenter("IL", "358", "Schaumburg", ("847", "224"), 5),
    RateCenter("IL", "358", "Naperville", ("630", "331"), 4),
    RateCenter("TX", "552", "Dallas", ("214", "469", "972"), 14),
    RateCenter("TX", "560", "Houston", ("713", "281", "832"), 15),
    RateCenter("TX", "558", "Austin", ("512", "737"), 8),
    RateCenter("TX", "566", "San Antonio", ("210", "726"), 7),
    RateCenter("FL", "460", "Miami", ("305", "786"), 11),
    RateCenter("FL", "460", "Fort Lauderdale", ("954", "754"), 6),
    RateCenter("FL", "458", "Orlando", ("407", "689"), 7),
    RateCenter("FL", "952", "Tampa", ("813", "656"), 6),
    RateCenter("GA", "438", "Atlanta", ("404", "470", "678", "770"), 13),
    RateCenter("WA", "674", "Seattle", ("206", "564"), 9),
    RateCenter("WA", "674", "Bellevue", ("425",), 4),
    RateCenter("OR", "672", "Portland", ("503", "971"), 6),
    RateCenter("AZ", "666", "Phoenix", ("602", "480", "623"), 10),
    RateCenter("CO", "656", "Denver", ("303", "720"), 8),
    RateCenter("MA", "128", "Boston", ("617", "857"), 9),
    RateCenter("MA", "128", "Waltham", ("781", "339"), 4),
    RateCenter("PA", "228", "Philadelphia", ("215", "267", "445"), 9),
    RateCenter("PA", "234", "Pittsburgh", ("412", "878"), 4),
    RateCenter("DC", "236", "Washington", ("202", "771"), 7),
    RateCenter("MD", "236", "Bethesda", ("301", "240"), 5),
    RateCenter("MD", "238", "Baltimore", ("410", "443"), 5),
    RateCenter("VA", "236", "Arlington", ("703", "571"), 6),
    RateCenter("MI", "340", "Detroit", ("313",), 5),
    RateCenter("MI", "340", "Troy", ("248", "947"), 4),
    RateCenter("MN", "628", "Minneapolis", ("612", "763", "952"), 6),
    RateCenter("MO", "520", "Saint Louis", ("314", "557"), 4),
    RateCenter("MO", "524", "Kansas City", ("816",), 4),
    RateCenter("NV", "721", "Las Vegas", ("702", "725"), 6),
    RateCenter("UT", "660", "Salt Lake City", ("801", "385"), 4),
    RateCenter("NC", "422", "Charlotte", ("704", "980"), 6),
    RateCenter("NC", "426", "Raleigh", ("919", "984"), 5),
    RateCenter("TN", "474", "Nashville", ("615", "629"), 5),
    RateCenter("LA", "490", "New Orleans", ("504",), 3),
    RateCenter("OH", "324", "Columbus", ("614", "380"), 5),
    RateCenter("OH", "320", "Cleveland", ("216",), 4),
    RateCenter("OH", "322", "Cincinnati", ("513",), 4),
    RateCenter("IN", "336", "Indianapolis", ("317", "463"), 4),
    RateCenter("WI", "350", "Milwaukee", ("414",), 3),
    RateCenter("NJ", "224", "Newark", ("973", "862"), 5),
    RateCenter("NJ", "222", "Trenton", ("609", "640"), 3),
    RateCenter("CT", "920", "Hartford", ("860", "959"), 3),
    RateCenter("NM", "664", "Albuquerque", ("505",), 2),
    RateCenter("HI", "834", "Honolulu", ("808",), 2),
    RateCenter("AK", "832", "Anchorage", ("907",), 1),
    RateCenter("PR", "820", "San Juan", ("787", "939"), 2),
)
"""Rate centers of large US markets. Each area code belongs to exactly one rate center here."""

TOLL_FREE_NPAS: Final = ("800", "833", "844", "855", "866", "877", "888")
"""NANP toll-free area codes."""


def _central_office_codes() -> tuple[str, ...]:
    """NXX codes that can be assigned: 200-999 without N11 service codes, 555 and a few reserved ones."""
    reserved = {"555", "950", "958", "959", "976"}
    return tuple(f"{code}" for code in range(200, 1000) if f"{code}"[1:] != "11" and f"{code}" not in reserved)


NXX_CODES: Final = _central_office_codes()


@dataclass(frozen=True, slots=True)
class CountryPlan:
    """How national numbers of one country look: its calling code and a few ranges of national numbers.

    Attributes:
        iso: ISO 3166-1 alpha-2 code.
        calling_code: ITU calling code without ``+``.
        ranges: (leading digits, how many digits follow) pairs, e.g. London ``("20", 8)``.
        name: the country's name, for rate deck descriptions.
    """

    iso: str
    calling_code: str
    ranges: tuple[tuple[str, int], ...]
    name: str


COUNTRY_PLANS: Final[dict[str, CountryPlan]] = {
    plan.iso: plan
    for plan in (
        CountryPlan("CA", "1", (("416", 7), ("647", 7), ("604", 7), ("514", 7), ("403", 7)), "Canada"),
        CountryPlan("GB", "44", (("20", 8), ("161", 7), ("121", 7), ("7400", 6), ("7700", 6)), "United Kingdom"),
        CountryPlan("DE", "49", (("30", 8), ("89", 8), ("40", 8), ("151", 8), ("171", 7)), "Germany"),
        CountryPlan("FR", "33", (("1", 8), ("4", 8), ("6", 8), ("7", 8)), "France"),
        CountryPlan("MX", "52", (("55", 8), ("33", 8), ("81", 8)), "Mexico"),
        CountryPlan("AU", "61", (("2", 8), ("3", 8), ("4", 8)), "Australia"),
        CountryPlan("IN", "91", (("98", 8), ("99", 8), ("11", 8)), "India"),
        CountryPlan("JP", "81", (("3", 8), ("90", 8), ("80", 8)), "Japan"),
    )
}
"""National numbering of the countries numbers are made for, besides the United States."""

CODEC_OFFERS: Final[tuple[tuple[tuple[str, ...], int], ...]] = (
    (("PCMU", "PCMA", "G722"), 40),
    (("PCMU", "PCMA"), 20),
    (("PCMU", "G729", "telephone-event"), 12),
    (("G722", "PCMU", "telephone-event"), 8),
    (("OPUS", "G722", "PCMU"), 8),
    (("G729", "PCMU"), 6),
    (("PCMU", "T38"), 4),
    (("AMR-WB", "AMR", "PCMU"), 2),
)
"""Codec lists trunks offer, in preference order, with how common each is."""

CALL_OUTCOMES: Final[tuple[tuple[int, str, int], ...]] = (
    (200, "NORMAL_CLEARING", 58),
    (487, "ORIGINATOR_CANCEL", 14),
    (486, "USER_BUSY", 8),
    (480, "NO_ANSWER", 8),
    (404, "UNALLOCATED_NUMBER", 4),
    (503, "NORMAL_TEMPORARY_FAILURE", 3),
    (603, "CALL_REJECTED", 2),
    (408, "RECOVERY_ON_TIMER_EXPIRE", 2),
    (488, "INCOMPATIBLE_DESTINATION", 1),
)
"""SIP final response, Q.850 cause name and share of calls: about 58 % of attempts are answered."""

SIP_USER_AGENTS: Final = (
    "Asterisk PBX 20.5.2",
    "Asterisk PBX 18.20.0",
    "FreeSWITCH-mod_sofia/1.10.11-release~64bit",
    "3CXPhoneSystem 18.0.9.20",
    "Grandstream UCM6302V1.3 1.0.25.7",
    "Yealink SIP-T54W 96.86.0.70",
    "Polycom/6.4.3.3095 PolycomVVX-VVX_450-UA/6.4.3.3095",
    "Cisco-CUCM14.0",
    "FPBX-16.0.40(18.20.0)",
    "Ribbon SBC 10.1.3",
)
"""User-Agent headers of PBXs and SBCs that register trunks."""

SMS_TEMPLATES: Final = (
    "Your verification code is {code}. It expires in 10 minutes.",
    "{company}: your appointment on {day} at {time} is confirmed. Reply C to cancel.",
    "Hi {first}, your order #{order} has shipped and arrives {day}.",
    "{company} alert: payment of ${amount} received. Thank you!",
    "Reminder: your {company} bill of ${amount} is due {day}. Reply STOP to opt out.",
    "Hi {first}! 🎉 {company} spring sale: 20% off everything this weekend only.",
    "Running 10 min late, see you soon 🙂",
    "Can you call me back when you get a chance?",
    "{company}: we could not reach you about ticket {order}. Reply or call us back at your convenience.",
    "Ваш код подтверждения: {code}",
)
"""Message bodies; some hold emoji or Cyrillic, which the network sends as UCS-2."""

GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""The GSM 03.38 default alphabet: one septet per character."""

GSM7_EXTENSION: Final = frozenset("^{}\\[~]|€\f")
"""Characters of the GSM 03.38 extension table: an escape septet plus one, so each counts twice."""

STREET_SUFFIXES: Final = ("ST", "AVE", "BLVD", "RD", "DR", "LN", "WAY", "PKWY", "CT", "PL")
UNIT_TYPES: Final = ("STE", "APT", "FL", "UNIT", "RM")

SMS_ERRORS: Final = (
    ("30003", "Unreachable destination handset"),
    ("30005", "Unknown destination handset"),
    ("30006", "Landline or unreachable carrier"),
    ("30007", "Message filtered by the carrier"),
    ("30008", "Unknown error"),
)
"""Delivery error codes as messaging carriers report them."""

API_RESOURCES: Final = ("trunks", "numbers", "routing", "cdrs", "billing", "messages", "users", "emergency_addresses")
"""Resources an API permission names (``trunks:read``)."""

AUDIT_ACTIONS: Final = (
    ("login", 30),
    ("logout", 8),
    ("update", 25),
    ("insert", 18),
    ("delete", 5),
    ("password_change", 3),
    ("api_key_create", 4),
    ("api_key_revoke", 2),
    ("mfa_enable", 2),
    ("export", 3),
)
"""Audit actions and how often each happens."""
