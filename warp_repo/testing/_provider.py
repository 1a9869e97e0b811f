"""A Faker provider for telecom data: numbers, places, SIP, media quality, call and message shapes.

``TelecomProvider`` draws from its generator's ``random`` only, so a seeded Faker gives the same values again::

    fake = Faker("en_US")
    fake.seed_instance(7)
    telecom = TelecomProvider(fake)
    fake.add_provider(telecom)     # also reachable as fake.e164(), fake.mos_score() ...
    telecom.e164("GB")             # '+442079460123'
"""

from __future__ import annotations

import ipaddress
import itertools
import math
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from random import Random
from typing import Any, Literal

from faker.providers import BaseProvider

from warp_repo.testing._data import (
    CALL_OUTCOMES,
    CODEC_OFFERS,
    COUNTRY_PLANS,
    GSM7_BASIC,
    GSM7_EXTENSION,
    NXX_CODES,
    RATE_CENTERS,
    SIP_USER_AGENTS,
    SMS_TEMPLATES,
    TOLL_FREE_NPAS,
    RateCenter,
)

SmsEncoding = Literal["GSM-7", "UCS-2"]
Destination = Literal["domestic", "toll_free", "international"]
"""Where a call goes, as far as its price is concerned."""

_PUBLIC_FIRST_OCTETS = (23, 24, 38, 45, 50, 64, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 96, 98, 99, 104, 107, 108)
"""First octets of address space that carriers and PBX hosts commonly sit in (all public unicast)."""

_CENTS = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class NanpNumber:
    """A North American number and where it is homed."""

    number: str
    npa: str
    nxx: str
    rate_center: RateCenter | None
    """``None`` for toll-free numbers, which have no place."""


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """How a call attempt ended: the SIP final response and the Q.850 cause."""

    sip_code: int
    cause: str

    @property
    def answered(self) -> bool:
        """Whether the call was answered (2xx)."""
        return 200 <= self.sip_code < 300


def sms_encoding(body: str) -> SmsEncoding:
    """The alphabet a network uses for ``body``: GSM-7 when every character has a septet, else UCS-2."""
    return "GSM-7" if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in body) else "UCS-2"


def sms_segments(body: str) -> int:
    """How many SMS segments ``body`` takes (at least one).

    GSM-7 fits 160 septets in one message and 153 per segment once concatenated (extension characters take
    two); UCS-2 fits 70 UTF-16 units, 67 per segment (characters outside the BMP take two).
    """
    if sms_encoding(body) == "GSM-7":
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if units <= single else math.ceil(units / part)


class TelecomProvider(BaseProvider):
    """Telecom values for Faker: E.164 numbers, rate centers, SIP identities, codecs, quality and usage shapes."""

    @property
    def _rng(self) -> Random:
        random: Random = self.generator.random
        return random

    _ALL_CENTERS: tuple[RateCenter, ...] = RATE_CENTERS
    _ALL_WEIGHTS: tuple[int, ...] = tuple(itertools.accumulate(rc.weight for rc in RATE_CENTERS))

    # --- numbers and places ------------------------------------------------------------------------------------

    def rate_center(self, state: str | None = None) -> RateCenter:
        """A US rate center, large markets more often; within ``state`` when given."""
        if state is None:
            return self._rng.choices(self._ALL_CENTERS, cum_weights=self._ALL_WEIGHTS)[0]
        pool = [rc for rc in RATE_CENTERS if rc.state == state]
        if not pool:
            raise ValueError(f"no rate center is known in state {state!r}")
        return self._rng.choices(pool, weights=[rc.weight for rc in pool])[0]

    def us_state(self) -> str:
        """A USPS state code, weighted by market size."""
        return self.rate_center().state

    def lata(self) -> str:
        """A LATA code (``132`` is New York)."""
        return self.rate_center().lata

    def nanp_number(self, state: str | None = None) -> NanpNumber:
        """A geographic US number (``+1 NPA NXX XXXX``) with its rate center."""
        center = self.rate_center(state)
        # random() scaled, rather than choice() and randrange(): this runs for every call record.
        draw = self._rng.random
        npa = center.npas[int(draw() * len(center.npas))]
        nxx = NXX_CODES[int(draw() * len(NXX_CODES))]
        return NanpNumber(f"+1{npa}{nxx}{int(draw() * 10_000):04d}", npa, nxx, center)

    def toll_free_number(self) -> str:
        """A US toll-free number (``+1 8XX``)."""
        npa = self._rng.choice(TOLL_FREE_NPAS)
        return f"+1{npa}{self._rng.choice(NXX_CODES)}{self._rng.randrange(10_000):04d}"

    def e164(self, country: str = "US") -> str:
        """A number in E.164 form for ``country`` (``US``, ``CA``, ``GB``, ``DE``, ``FR``, ``MX``, ``AU``, ``IN``)."""
        if country == "US":
            return self.nanp_number().number
        plan = COUNTRY_PLANS.get(country)
        if plan is None:
            raise ValueError(f"no numbering plan for {country!r}; known: US, {', '.join(COUNTRY_PLANS)}")
        lead, rest = self._rng.choice(plan.ranges)
        if country == "CA":
            return f"+1{lead}{self._rng.choice(NXX_CODES)}{self._rng.randrange(10_000):04d}"
        return f"+{plan.calling_code}{lead}{self._rng.randrange(10**rest):0{rest}d}"

    def international_country(self) -> str:
        """The ISO code of a country numbers are made for, other than the US."""
        return self._rng.choice(tuple(COUNTRY_PLANS))

    def short_code(self) -> str:
        """An SMS short code (five or six digits)."""
        return str(self._rng.randrange(20_000, 999_999))

    # --- SIP and network -----------------------------------------------------------------------------------------

    def sip_username(self, base: str | None = None) -> str:
        """A SIP digest user name of unreserved characters (``acme-pbx01``)."""
        stem = "".join(ch for ch in (base or self.generator.user_name()).lower() if ch.isalnum() or ch in "._-")
        role = self._rng.choice(("pbx", "sbc", "trk", "gw"))
        return f"{stem[:40] or 'trunk'}-{role}{self._rng.randrange(1, 100):02d}"

    def ipv4_public(self) -> ipaddress.IPv4Address:
        """A public unicast IPv4 address."""
        draw = self._rng.random
        first = _PUBLIC_FIRST_OCTETS[int(draw() * len(_PUBLIC_FIRST_OCTETS))]
        return ipaddress.IPv4Address((first << 24) | (1 + int(draw() * (2**24 - 2))))

    def ipv6_global(self) -> ipaddress.IPv6Address:
        """A global unicast IPv6 address in ``2600::/16``."""
        return ipaddress.IPv6Address((0x2600 << 112) | self._rng.getrandbits(112))

    def cidr(self, version: Literal[4, 6] = 4) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """A network in CIDR form: an IPv4 /24-/32 or an IPv6 /48-/64, host bits cleared."""
        if version == 4:
            prefix = self._rng.choice((32, 32, 32, 30, 29, 28, 27, 24))
            return ipaddress.IPv4Network((int(self.ipv4_public()) >> (32 - prefix) << (32 - prefix), prefix))
        prefix6 = self._rng.choice((48, 56, 64))
        return ipaddress.IPv6Network((int(self.ipv6_global()) >> (128 - prefix6) << (128 - prefix6), prefix6))

    def sip_contact_uri(
        self, username: str | None = None, host: ipaddress.IPv4Address | None = None, transport: str = "UDP"
    ) -> str:
        """A Contact URI as a registering PBX sends it (``sip:acme-pbx01@203.0.113.7:5060;transport=udp``)."""
        user = username or self.sip_username()
        address = host or self.ipv4_public()
        if transport.upper() == "TLS":
            return f"sips:{user}@{address}:5061;transport=tls"
        port = self._rng.choice((5060, 5060, 5060, 5080, 5062))
        return f"sip:{user}@{address}:{port};transport={transport.lower()}"

    def sip_user_agent(self) -> str:
        """The User-Agent of a PBX or SBC."""
        return self._rng.choice(SIP_USER_AGENTS)

    def call_id(self, host: str | None = None) -> str:
        """A SIP Call-ID (``3c2670b3d5d84b3a@203.0.113.7``)."""
        return f"{self._rng.getrandbits(64):016x}@{host or self.ipv4_public()}"

    def codec(self) -> str:
        """A codec name as SDP spells it."""
        return self.codec_offer()[0]

    def codec_offer(self) -> list[str]:
        """The codecs a trunk offers, in preference order."""
        offers, weights = zip(*CODEC_OFFERS, strict=True)
        return list(self._rng.choices(offers, weights=weights)[0])

    def fcc_filer_id(self) -> str:
        """An FCC Form 499 filer id: six digits."""
        return f"{self._rng.randrange(800_000, 840_000):06d}"

    # --- quality and usage -----------------------------------------------------------------------------------

    def packet_loss(self) -> Decimal:
        """Percent of RTP packets lost: mostly well under 1 %, now and then a few percent."""
        loss = self._rng.expovariate(1 / 0.3)
        if self._rng.random() < 0.03:
            loss += self._rng.uniform(1, 8)
        return Decimal(str(round(min(loss, 100.0), 2)))

    def jitter_ms(self) -> int:
        """Mean interarrival jitter in milliseconds (log-normal, median about 8 ms)."""
        return min(int(self._rng.lognormvariate(math.log(8), 0.6)), 400)

    def rtt_ms(self) -> int:
        """Round-trip time in milliseconds (median about 60 ms)."""
        return max(5, min(int(self._rng.lognormvariate(math.log(60), 0.45)), 900))

    def mos_score(self, packet_loss: Decimal | None = None, jitter_ms: int | None = None) -> Decimal:
        """A mean opinion score from 1.00 to 4.50; lower when ``packet_loss`` or ``jitter_ms`` are high."""
        loss = float(packet_loss) if packet_loss is not None else float(self.packet_loss())
        jitter = jitter_ms if jitter_ms is not None else self.jitter_ms()
        score = 4.41 - 0.11 * loss - 0.004 * max(jitter - 20, 0) + self._rng.gauss(0, 0.06)
        return Decimal(str(round(max(1.0, min(score, 4.5)), 2)))

    def call_duration(self, median_seconds: float = 75.0, sigma: float = 1.1) -> timedelta:
        """How long an answered call lasts: log-normal around ``median_seconds``, at least 1 s, at most 4 h."""
        seconds = self._rng.lognormvariate(math.log(median_seconds), sigma)
        return timedelta(seconds=max(1, min(round(seconds), 4 * 3600)))

    def call_outcome(self) -> CallOutcome:
        """How a call attempt ended; about 58 % are answered."""
        code, cause, _ = self._rng.choices(CALL_OUTCOMES, weights=[w for _, _, w in CALL_OUTCOMES])[0]
        return CallOutcome(code, cause)

    def per_minute_rate(self, destination: Destination = "domestic") -> Decimal:
        """A wholesale price per minute in dollars, six decimals."""
        low, high = {"domestic": (0.0035, 0.012), "toll_free": (0.011, 0.021), "international": (0.009, 0.45)}[
            destination
        ]
        return Decimal(f"{self._rng.uniform(low, high):.6f}")

    def sms_body(self, **fields: Any) -> str:
        """A message body: verification codes, reminders, conversations, now and then emoji or Cyrillic."""
        template = self._rng.choice(SMS_TEMPLATES)
        makers: dict[str, Callable[[], str]] = {
            "code": lambda: f"{self._rng.randrange(1_000_000):06d}",
            "company": lambda: str(self.generator.company()).split(",")[0],
            "first": lambda: str(self.generator.first_name()),
            "day": lambda: str(self.generator.day_of_week()),
            "time": lambda: f"{self._rng.randrange(8, 18) % 12 or 12}:{self._rng.choice(('00', '15', '30', '45'))} PM",
            "order": lambda: f"{self._rng.randrange(10**7):07d}",
            "amount": lambda: f"{Decimal(self._rng.uniform(5, 500)).quantize(_CENTS)}",
        }
        wanted = [name for _, name, _, _ in string.Formatter().parse(template) if name]
        values = {name: fields[name] if name in fields else makers[name]() for name in wanted}
        body = template.format(**values)
        if self._rng.random() < 0.12:
            # A long message: several concatenated segments.
            body += " " + " ".join(self.generator.sentences(self._rng.randrange(3, 9)))
        return body

    def sms_encoding(self, body: str) -> SmsEncoding:
        """The alphabet ``body`` is sent in (``GSM-7`` or ``UCS-2``)."""
        return sms_encoding(body)

    def sms_segments(self, body: str) -> int:
        """How many segments ``body`` takes (GSM-7 160/153, UCS-2 70/67)."""
        return sms_segments(body)
