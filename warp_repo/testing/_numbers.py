"""Factories of the numbers domain: the DID inventory and E911 addresses."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from warp_models import E911Address, E911AddressCreate, PhoneNumber, PhoneNumberCreate
from warp_repo.testing._data import COUNTRY_PLANS, RATE_CENTERS, STREET_SUFFIXES, UNIT_TYPES, RateCenter
from warp_repo.testing._factory import Factory, Plan, require_id
from warp_repo.testing._unique import CountrySpace, NanpSpace

if TYPE_CHECKING:
    from warp_repo.testing._set import Factories

_CENTER_OF_NPA: dict[str, RateCenter] = {npa: rc for rc in RATE_CENTERS for npa in rc.npas}


def own_number(factories: Factories, org: UUID, plan: Plan | None, *, sms: bool = False) -> str:
    """The organization's side of a call or message.

    One of its numbers the set made (SMS-enabled ones first when ``sms``), else a new local number (planned),
    else, when only building, any number.
    """
    numbers = factories._known.numbers(org)
    if sms:
        numbers = [made for made in numbers if made.sms_enabled] or numbers
    if numbers:
        return str(factories.random.choice(numbers).number)
    if plan is not None:
        parent = {"org_id": org, "number_type": "local"} | ({"sms_enabled": True} if sms else {})
        return factories.phone_number._make(parent, plan).number
    return factories.telecom.nanp_number().number


class PhoneNumberFactory(Factory[PhoneNumber, PhoneNumberCreate]):
    """``phone_numbers``: numbers never repeat within a set; a local number's rate center, state and LATA agree.

    Numbers are assigned to an organization (a new one unless ``org_id`` is given); ``org_id=None`` makes
    platform inventory. A trunk the set made for the organization receives the number's calls.
    """

    shape = PhoneNumberCreate
    parent = True
    weights = {
        "number_type": {"local": 84, "toll_free": 9, "mobile": 3, "national": 4, "short_code": 0},
        "status": {"assigned": 90, "porting": 4, "suspended": 3, "reserved": 3},
    }

    def __init__(self, factories: Factories) -> None:
        super().__init__(factories)
        self._nanp: dict[str | None, NanpSpace] = {}
        self._countries: dict[str, CountrySpace] = {}
        self._used: dict[str, int] = {}

    def _next(self, pool: str) -> int:
        k = self._used.get(pool, 0)
        self._used[pool] = k + 1
        return k

    def _local(self, state: str | None) -> tuple[str, RateCenter | None]:
        if state is None:
            state = self._set.telecom.rate_center().state
        space = self._nanp.get(state)
        if space is None:
            space = self._nanp[state] = NanpSpace(state, self.random)
        number, block = space.number(self._next(f"US-{state}"))
        return number, block.rate_center

    def _toll_free(self) -> str:
        space = self._nanp.get(None)
        if space is None:
            space = self._nanp[None] = NanpSpace(None, self.random)
        return space.number(self._next("toll-free"))[0]

    def _international(self) -> tuple[str, str]:
        iso = self.random.choice(tuple(COUNTRY_PLANS))
        space = self._countries.get(iso)
        if space is None:
            space = self._countries[iso] = CountrySpace(iso, self.random)
        return space.number(self._next(iso)), space.plan.calling_code

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = cast(UUID | None, given["org_id"]) if "org_id" in given else self._org(given, plan)
        kind = given.get("number_type") or self.pick("number_type")
        center: RateCenter | None = None
        code = "1"
        if "number" in given:
            number = str(given["number"])
            center = _CENTER_OF_NPA.get(number[2:5]) if number.startswith("+1") else None
        elif kind == "local":
            number, center = self._local(given.get("state"))
        elif kind == "toll_free":
            number = self._toll_free()
        else:
            number, code = self._international()
        trunks = self._set._known.ids("sip_trunks", org)
        sms = kind in ("local", "mobile", "toll_free") and rng.random() < (0.6 if kind != "toll_free" else 0.3)
        ported = rng.random() < 0.15
        created = self._set.past(700, after=1)
        cnam = rng.random() < 0.4 and kind == "local"
        return {
            "id": self._set.uuid(),
            "number": number,
            "country_code": code,
            "number_type": kind,
            "org_id": org,
            "trunk_id": rng.choice(trunks) if trunks else None,
            "voice_enabled": rng.random() < 0.97,
            "sms_enabled": sms,
            "mms_enabled": sms and rng.random() < 0.4,
            "fax_enabled": rng.random() < 0.04,
            "status": self.pick("status") if org is not None else rng.choice(("available", "available", "reserved")),
            "ported_in": ported,
            "port_in_date": (created + timedelta(days=rng.randrange(0, 30))).date() if ported else None,
            "rate_center": center.name if center else None,
            "state": center.state if center else None,
            "lata": center.lata if center else None,
            "cnam_enabled": cnam,
            "cnam_display": self._set.org_name(org).upper()[:15] if cnam and org is not None else None,
            "metadata": {"source": rng.choice(("inventory", "inventory", "port_in", "api"))},
            "created_at": created,
            "updated_at": self._set.after(created),
        }


class E911AddressFactory(Factory[E911Address, E911AddressCreate]):
    """``e911_addresses``: one per number, in the number's state; a new local number each time unless given.

    ``org_id=`` (not a column) says which organization the new number belongs to. ``build`` without
    ``phone_number_id`` leaves it ``NULL``.
    """

    shape = E911AddressCreate
    context = frozenset({"org_id"})

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        number_id = given.get("phone_number_id")
        if number_id is None and "phone_number_id" not in given and plan is not None:
            parent = {"number_type": "local"} | ({"org_id": given["org_id"]} if given.get("org_id") else {})
            number_id = require_id(self._set.phone_number._make(parent, plan))
        known = self._set._known.number(number_id) if number_id is not None else None
        state = (known.state if known is not None else None) or self._set.telecom.us_state()
        org = self._set._known.org_of.get(number_id) if number_id is not None else None
        city = (known.rate_center if known is not None else None) or self._set.telecom.rate_center(state).name
        unit = rng.choice(UNIT_TYPES) if rng.random() < 0.4 else None
        validated = rng.random() < 0.85
        created = self._set.past(600, after=1)
        return {
            "id": self._set.uuid(),
            "phone_number_id": number_id,
            "customer_name": self._set.org_name(org),
            "street_number": str(rng.randrange(1, 9_999)),
            "street_name": self._set.word("last_name"),
            "street_suffix": rng.choice(STREET_SUFFIXES),
            "unit_type": unit,
            "unit_number": str(rng.randrange(1, 2_000)) if unit else None,
            "city": city,
            "state": state,
            "zip": self._set.zip_code(state),
            "plus_four": f"{rng.randrange(10_000):04d}" if rng.random() < 0.5 else None,
            "validated": validated,
            "validation_date": self._set.after(created) if validated else None,
            "msag_valid": validated and rng.random() < 0.95,
            "created_at": created,
            "updated_at": self._set.after(created),
        }
