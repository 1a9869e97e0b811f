"""Phone numbers: searching the inventory, assigning and releasing numbers, their E911 addresses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

from warp_models import E911Address, PhoneNumber
from warp_models.numbers import NumberType
from warp_models.types import Lata, UsState
from warp_repo._core.queries import NOW_UTC, columns
from warp_repo._core.statements import Eq, Filter, IsNull


@dataclass(frozen=True)
class NumberQuery:
    """What an available number must be; ``None`` leaves a criterion out.

    Attributes:
        state: USPS state code (``CA``).
        rate_center: the rate center (``SNFC CA`` ...), as the inventory spells it.
        lata: the LATA (``722``).
        number_type: ``local``, ``toll_free``, ``mobile`` ...
        voice, sms, mms, fax: a capability the number must have (``True``) or lack (``False``).
    """

    state: UsState | None = None
    rate_center: str | None = None
    lata: Lata | None = None
    number_type: NumberType | None = None
    voice: bool | None = None
    sms: bool | None = None
    mms: bool | None = None
    fax: bool | None = None

    def filters(self) -> tuple[Filter, ...]:
        """The repository filters: available (and held by no organization), then each criterion given."""
        found: list[Filter] = [Eq("status", "available"), IsNull("org_id")]
        for column, value in (
            ("state", self.state),
            ("rate_center", self.rate_center),
            ("lata", self.lata),
            ("number_type", self.number_type),
            ("voice_enabled", self.voice),
            ("sms_enabled", self.sms),
            ("mms_enabled", self.mms),
            ("fax_enabled", self.fax),
        ):
            if value is not None:
                found.append(Eq(column, value))
        return tuple(found)


SEARCH_ORDER = ("number",)
"""Search results come in number order: with ``status`` and ``state`` given, ``phone_numbers_status_state_number_idx``
serves the filter and the order at once."""

_NUMBER_COLUMNS = columns(PhoneNumber)

ASSIGN: LiteralString = f"""
UPDATE phone_numbers
SET org_id = %(org)s, trunk_id = %(trunk)s, status = 'assigned', updated_at = {NOW_UTC}
WHERE id = %(number)s AND status = 'available' AND org_id IS NULL
RETURNING {_NUMBER_COLUMNS}
"""
"""Assign the number only if it is still available: of two concurrent assignments, the second waits for the
first, finds the condition false, and changes nothing."""

RELEASE: LiteralString = f"""
UPDATE phone_numbers
SET org_id = NULL, trunk_id = NULL, status = 'available', cnam_enabled = false, cnam_display = NULL,
    updated_at = {NOW_UTC}
WHERE id = %(number)s AND org_id = %(org)s
RETURNING {_NUMBER_COLUMNS}
"""
"""Return the organization's number to the inventory, its caller-name settings cleared."""

DELETE_E911: LiteralString = """
DELETE FROM e911_addresses
WHERE phone_number_id = %(number)s
  AND phone_number_id IN (SELECT id FROM phone_numbers WHERE org_id = %(org)s)
"""
"""A released number's emergency address belonged to the organization that released it: it goes too."""

STATUS: LiteralString = "SELECT status FROM phone_numbers WHERE id = %(number)s"

TRUNK_OF_ORG: LiteralString = "SELECT EXISTS (SELECT 1 FROM sip_trunks WHERE id = %(trunk)s AND org_id = %(org)s)"

RECORD_E911_VALIDATION: LiteralString = f"""
UPDATE e911_addresses
SET validated = true, msag_valid = %(msag_valid)s, validation_date = %(at)s, updated_at = {NOW_UTC}
WHERE phone_number_id = %(number)s
  AND phone_number_id IN (SELECT id FROM phone_numbers WHERE org_id = %(org)s)
RETURNING {columns(E911Address)}
"""
