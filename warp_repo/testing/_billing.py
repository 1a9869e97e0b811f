"""Factories of the billing domain: accounts, metered usage and invoices whose figures add up."""

from __future__ import annotations

import calendar
import string
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from warp_models import (
    BillingAccount,
    BillingAccountCreate,
    BillingAddress,
    Invoice,
    InvoiceCreate,
    LineItem,
    UsageRecord,
    UsageRecordCreate,
)
from warp_models.billing import UsageType
from warp_repo.secrets import TAX_ID
from warp_repo.testing._factory import Factory, Plan

CENT = Decimal("0.01")
_UNITS: dict[UsageType, tuple[str, tuple[int, int], tuple[str, str]]] = {
    "voice_outbound": ("minute", (200, 40_000), ("0.0050", "0.0120")),
    "voice_inbound": ("minute", (100, 30_000), ("0.0030", "0.0070")),
    "toll_free": ("minute", (50, 10_000), ("0.0110", "0.0210")),
    "sms": ("message", (100, 50_000), ("0.0040", "0.0079")),
    "mms": ("message", (10, 5_000), ("0.0150", "0.0200")),
    "did_rental": ("number", (1, 500), ("0.3500", "1.0000")),
    "e911": ("number", (1, 500), ("0.7500", "1.5000")),
    "cnam": ("lookup", (10, 20_000), ("0.0030", "0.0060")),
    "fax": ("page", (1, 2_000), ("0.0100", "0.0300")),
}
"""Usage type: (unit, daily quantity range, price range per unit)."""

_ITEM_TEXT = {
    "voice_outbound": "Outbound voice minutes",
    "voice_inbound": "Inbound voice minutes",
    "toll_free": "Toll-free minutes",
    "sms": "SMS messages",
    "mms": "MMS messages",
    "did_rental": "Phone number rental",
    "e911": "E911 service",
    "cnam": "CNAM lookups",
    "fax": "Fax pages",
}
_SUFFIXES = ("St", "Ave", "Blvd", "Rd")
_TAX_RATES = (Decimal(0), Decimal("0.0625"), Decimal("0.0825"), Decimal("0.1"))


class BillingAccountFactory(Factory[BillingAccount, BillingAccountCreate]):
    """``billing_accounts``: one per organization (a new organization each time unless ``org_id`` is given)."""

    shape = BillingAccountCreate
    weights = {"payment_method": {"invoice": 45, "credit_card": 35, "ach": 12, "wire": 3, "prepaid": 5}}

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        method = given.get("payment_method") or self.pick("payment_method")
        state = self._set.telecom.us_state()
        limit = Decimal(rng.choice((0, 500, 1000, 5000, 25_000)))
        recharge = method in ("prepaid", "credit_card") and rng.random() < 0.6
        alphabet = string.ascii_letters + string.digits
        created = self._set.past(700, after=30)
        generated = self._set.uuid()
        row_id = given.get("id") or generated  # the ciphertext is bound to the row it is stored in
        ein = f"{rng.randrange(10, 100)}-{rng.randrange(10**6, 10**7)}"  # a US employer identification number
        return {
            "id": generated,
            "org_id": org,
            "payment_method": method,
            "stripe_customer_id": "cus_" + "".join(rng.choices(alphabet, k=14)) if method == "credit_card" else None,
            "billing_email": f"billing@{self._set.org_domain(org)}",
            "billing_address": BillingAddress(
                line1=f"{rng.randrange(1, 9999)} {self._set.word('last_name')} {rng.choice(_SUFFIXES)}",
                line2=f"Suite {rng.randrange(100, 1000)}" if rng.random() < 0.5 else None,
                city=self._set.telecom.rate_center(state).name,
                region=state,
                postal_code=self._set.zip_code(state),
            ),
            # Stored encrypted (docs/security.md), under the set's keyring.
            "tax_id": self._set.encrypt(TAX_ID, ein, row_id=row_id, org_id=org) if rng.random() < 0.7 else None,
            "credit_limit": limit,
            "current_balance": Decimal(rng.uniform(-float(limit), 2500)).quantize(CENT),
            "auto_recharge": recharge,
            "auto_recharge_amount": Decimal(rng.choice((50, 100, 250, 500))) if recharge else None,
            "auto_recharge_threshold": Decimal(rng.choice((10, 25, 50))) if recharge else None,
            "created_at": created,
            "updated_at": self._set.after(created),
        }


class UsageRecordFactory(Factory[UsageRecord, UsageRecordCreate]):
    """``usage_records``: a day (a month for rentals) of one kind of usage; ``amount = quantity x rate``."""

    shape = UsageRecordCreate

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        kind = given.get("usage_type") or self.pick("usage_type")
        unit, (low, high), (cheap, dear) = _UNITS[kind]
        quantity = Decimal(rng.randrange(low, high))
        if unit == "minute":
            quantity += Decimal(rng.randrange(0, 60)) / 60
        quantity = quantity.quantize(Decimal("0.0001"))
        rate = Decimal(f"{rng.uniform(float(cheap), float(dear)):.6f}")
        day = self._set.now.date() - timedelta(days=rng.randrange(1, 91))
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        monthly = kind in ("did_rental", "e911")
        if monthly:
            start = start.replace(day=1)
        end = start + timedelta(days=calendar.monthrange(start.year, start.month)[1] if monthly else 1)
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "usage_type": kind,
            "quantity": quantity,
            "unit": unit,
            "rate": rate,
            "amount": (quantity * rate).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
            "period_start": start,
            "period_end": end,
            "metadata": {"source": "rating"},
            "created_at": end + timedelta(minutes=rng.randrange(5, 120)),
        }


class InvoiceFactory(Factory[Invoice, InvoiceCreate]):
    """``invoices``: a month's bill whose line items add up to ``subtotal`` and ``subtotal + tax = total``.

    Give ``line_items`` and the totals follow; give ``subtotal`` (or ``total``) and the items are made to add up
    to it. Invoice numbers never repeat within a set.
    """

    shape = InvoiceCreate
    weights = {"status": {"draft": 10, "issued": 25, "paid": 55, "overdue": 8, "void": 2}}

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        first = _month_start(self._set.now.date(), rng.randrange(1, 7))
        start = given.get("period_start") or first
        end = given.get("period_end") or start.replace(day=calendar.monthrange(start.year, start.month)[1])
        status = given.get("status") or self.pick("status")
        tax = _money(given["tax_amount"]) if given.get("tax_amount") is not None else None
        if tax is None and given.get("total") is not None and given.get("subtotal") is None:
            total = _money(given["total"])
            tax = total - (total / (1 + rng.choice(_TAX_RATES))).quantize(CENT, rounding=ROUND_HALF_UP)
        items = self._items(given, tax)
        if items or given.get("subtotal") is None:  # no line items and no subtotal: an empty invoice
            subtotal = sum((item.amount for item in items), Decimal(0))
        else:
            subtotal = _money(given["subtotal"])
        if tax is None:
            tax = (subtotal * rng.choice(_TAX_RATES)).quantize(CENT, rounding=ROUND_HALF_UP)
        due = end + timedelta(days=30)
        return {
            "id": self._set.uuid(),
            "org_id": org,
            # The sequence number after the last '-' keeps invoice numbers apart.
            "invoice_number": f"INV-{start:%Y%m}-{n:06d}",
            "period_start": start,
            "period_end": end,
            "subtotal": subtotal,
            "tax_amount": tax,
            "total": subtotal + tax,
            "status": status,
            "due_date": due,
            "paid_date": end + timedelta(days=rng.randrange(3, 30)) if status == "paid" else None,
            "line_items": items,
            "created_at": datetime(end.year, end.month, end.day, 6, tzinfo=UTC) + timedelta(days=1),
            "updated_at": self._set.now - timedelta(days=rng.randrange(0, 5)),
        }

    def _items(self, given: dict[str, Any], tax: Decimal | None) -> list[LineItem]:
        """Line items: given, or adding up to a given subtotal (or total), or drawn from usage prices."""
        if given.get("line_items") is not None:
            return [
                item if isinstance(item, LineItem) else LineItem.model_validate(item) for item in given["line_items"]
            ]
        target = None
        if given.get("subtotal") is not None:
            target = _money(given["subtotal"])
        elif given.get("total") is not None:
            target = _money(given["total"]) - (tax or Decimal(0))
        if target is not None:
            return [LineItem(description="Monthly services", quantity=Decimal(1), unit_price=target, amount=target)]
        rng = self.random
        items = []
        for kind in rng.sample(list(_UNITS), rng.randrange(2, 6)):
            _, (low, high), (cheap, dear) = _UNITS[kind]
            quantity = Decimal(rng.randrange(low, high) * rng.randrange(5, 31))
            price = Decimal(f"{rng.uniform(float(cheap), float(dear)):.6f}")
            amount = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
            items.append(
                LineItem(
                    description=_ITEM_TEXT[kind], usage_type=kind, quantity=quantity, unit_price=price, amount=amount
                )
            )
        return items


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _month_start(today: date, months_back: int) -> date:
    month = today.year * 12 + today.month - 1 - months_back
    return date(month // 12, month % 12 + 1, 1)
