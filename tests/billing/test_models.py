"""The billing models: invoice totals, money at the column's scale."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from pydantic import ValidationError

from tests.models.examples import REQUIRED
from warp_models import (
    BillingAccountCreate,
    Invoice,
    InvoiceCreate,
    LineItem,
)


def test_invoice_totals_must_agree() -> None:
    item = LineItem(
        description="Outbound minutes", quantity=Decimal(1000), unit_price=Decimal("0.0095"), amount=Decimal("9.50")
    )
    fee = LineItem(description="DID rental", quantity=Decimal(1), unit_price=Decimal("0.50"), amount=Decimal("0.50"))
    invoice = InvoiceCreate(
        **{
            **REQUIRED["invoices"],
            "subtotal": Decimal("10.00"),
            "tax_amount": Decimal("0.80"),
            "total": Decimal("10.80"),
        },
        line_items=[item, fee],
    )
    assert invoice.line_items == [item, fee]
    with pytest.raises(ValidationError, match="total 10.00 should be subtotal"):
        InvoiceCreate(**REQUIRED["invoices"], tax_amount=Decimal("0.80"))
    with pytest.raises(ValidationError, match="line_items add up to 9.50"):
        InvoiceCreate(**REQUIRED["invoices"], line_items=[item])
    with pytest.raises(ValidationError, match="amount 9.49 should be"):
        LineItem(description="x", quantity=Decimal(1000), unit_price=Decimal("0.0095"), amount=Decimal("9.49"))
    assert Invoice.check({"subtotal": Decimal(1)}) is None


def test_money_has_the_column_scale() -> None:
    with pytest.raises(ValidationError, match="decimal places"):
        BillingAccountCreate(org_id=uuid4(), credit_limit=Decimal("100.001"))
    with pytest.raises(ValidationError, match="digits"):
        BillingAccountCreate(org_id=uuid4(), current_balance=Decimal("123456789.00"))
