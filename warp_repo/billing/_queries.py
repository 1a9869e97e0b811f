"""Billing: usage roll-ups, invoices whose figures agree, and account balances kept within credit.

``billing_accounts.current_balance`` is what the organization owes: charges raise it, payments and credits lower
it, and a negative balance is prepaid credit. ``credit_limit`` is the most it may owe: a charge that would take the
balance above it is refused (``LimitExceeded``), a payment never is. A ``NULL`` balance counts as 0 and a ``NULL``
credit limit as 0 (no credit), so a prepaid account (limit 0) can spend its credit down to zero and no further.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, LiteralString
from uuid import UUID

from psycopg.rows import RowMaker

from warp_models import BillingAccount, InvoiceCreate, UsageRecord
from warp_models.billing import CENT, InvoiceStatus, LineItem
from warp_repo._core.queries import NOW_UTC, columns

ROLLUP_SOURCE = "rollup"
"""``usage_records.metadata.source`` of the rows a roll-up writes; a new roll-up of the period replaces them."""

_PRICE = Decimal("0.000001")

ROLLUP_LOCK: LiteralString = "SELECT id FROM organizations WHERE id = %(org)s FOR NO KEY UPDATE"
"""Serializes roll-ups of one organization (and proves it exists)."""

DELETE_ROLLUP: LiteralString = """
DELETE FROM usage_records
WHERE org_id = %(org)s AND period_start = %(start)s AND period_end = %(end)s AND metadata ->> 'source' = %(source)s
"""

ROLLUP: LiteralString = f"""
INSERT INTO usage_records (org_id, usage_type, quantity, unit, rate, amount, period_start, period_end, metadata)
SELECT %(org)s, usage_type, quantity, unit, round(amount / NULLIF(quantity, 0), 6), amount,
       %(start)s, %(end)s, jsonb_build_object('source', %(source)s::text, 'items', items)
FROM (
    SELECT CASE WHEN inbound THEN 'voice_inbound' ELSE 'voice_outbound' END AS usage_type,
           round(COALESCE(sum(billable_duration), 0) / 60.0, 4) AS quantity, 'minute' AS unit,
           round(COALESCE(sum(cost), 0), 4) AS amount, count(*) AS items
    FROM cdrs
    WHERE org_id = %(org)s AND start_time >= %(start)s AND start_time < %(end)s
    GROUP BY 1
  UNION ALL
    SELECT COALESCE(message_type, 'sms'), COALESCE(sum(num_segments), 0), 'message',
           round(COALESCE(sum(cost), 0), 4), count(*)
    FROM messages
    WHERE org_id = %(org)s AND created_at >= %(start)s AND created_at < %(end)s
      AND status IS DISTINCT FROM 'failed'
    GROUP BY 1
) AS usage
ORDER BY usage_type
RETURNING {columns(UsageRecord)}
"""
"""One usage record per kind of usage in ``[start, end)``:

* ``voice_outbound`` / ``voice_inbound``: calls by ``inbound``; quantity = billable minutes
  (``sum(billable_duration) / 60``), amount = ``sum(cost)``;
* ``sms`` / ``mms``: messages by ``message_type``, except those that ``failed`` (never accepted by a carrier);
  quantity = segments (``sum(num_segments)``), amount = ``sum(cost)``.

``rate`` is ``amount / quantity``; ``metadata`` records the source and how many calls or messages were counted."""

INVOICE_USAGE: LiteralString = """
SELECT usage_type, unit, sum(quantity), COALESCE(sum(amount), 0)
FROM usage_records
WHERE org_id = %(org)s AND period_start >= %(start)s AND period_start < %(end)s
GROUP BY usage_type, unit
ORDER BY usage_type, unit
"""
"""The usage of the invoice's period (records by ``period_start``), one line per kind and unit."""

ADJUST_BALANCE: LiteralString = f"""
UPDATE billing_accounts
SET current_balance = COALESCE(current_balance, 0) + %(delta)s, updated_at = {NOW_UTC}
WHERE org_id = %(org)s
  AND (%(delta)s <= 0 OR COALESCE(current_balance, 0) + %(delta)s <= COALESCE(credit_limit, 0))
RETURNING {columns(BillingAccount)}
"""
"""Change the balance in one statement: under ``READ COMMITTED`` a concurrent change makes it wait and test the
credit limit again on the new balance, so concurrent charges can never add up past the limit."""

BALANCE: LiteralString = "SELECT current_balance, credit_limit FROM billing_accounts WHERE org_id = %(org)s"


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def invoice_range(period_start: date, period_end: date) -> tuple[datetime, datetime]:
    """The instants an invoice period covers: ``period_end`` is its last day, included."""
    return day_start(period_start), day_start(period_end + timedelta(days=1))


_LABELS = {
    "voice_outbound": "Outbound calls",
    "voice_inbound": "Inbound calls",
    "toll_free": "Toll-free calls",
    "sms": "SMS messages",
    "mms": "MMS messages",
    "did_rental": "Phone number rental",
    "e911": "E911 service",
    "cnam": "Caller-name lookups",
    "fax": "Fax pages",
}


def line_item(values: Any) -> LineItem:
    """An invoice line from a ``INVOICE_USAGE`` row.

    The unit price is the usage's amount per unit, to the micro-unit; the line's amount is then quantity times
    unit price to the cent, as ``LineItem`` requires, so it may differ from the usage's amount by rounding.
    """
    usage_type, unit, quantity, amount = values
    quantity = Decimal(quantity)
    price = (Decimal(amount) / quantity).quantize(_PRICE, ROUND_HALF_UP) if quantity else Decimal(0)
    return LineItem(
        description=f"{_LABELS.get(usage_type, usage_type)} ({unit})",
        usage_type=usage_type,
        quantity=quantity,
        unit_price=price,
        amount=(quantity * price).quantize(CENT, ROUND_HALF_UP),
    )


def line_items(cursor: Any) -> RowMaker[LineItem]:
    """Row factory of ``INVOICE_USAGE``."""
    return line_item


def invoice(
    org_id: UUID,
    invoice_number: str,
    period_start: date,
    period_end: date,
    items: Sequence[LineItem],
    tax_rate: Decimal,
    due_date: date | None,
    status: InvoiceStatus,
) -> InvoiceCreate:
    """An invoice whose figures agree: subtotal = sum of the lines, tax = subtotal x rate to the cent, total = both.

    The model checks the same rules again; a ``pydantic.ValidationError`` names what does not fit.
    """
    subtotal = sum((item.amount for item in items), Decimal("0.00"))
    tax = (subtotal * tax_rate).quantize(CENT, ROUND_HALF_UP)
    return InvoiceCreate(
        org_id=org_id,
        invoice_number=invoice_number,
        period_start=period_start,
        period_end=period_end,
        subtotal=subtotal,
        tax_amount=tax,
        total=subtotal + tax,
        status=status,
        due_date=due_date,
        line_items=list(items),
    )
