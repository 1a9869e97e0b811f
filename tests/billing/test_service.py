"""Billing: usage rolled up from calls and messages, invoices whose figures agree, balances within credit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest
from pydantic import ValidationError

from tests.support import Conn, last_month, month_range, new_org, run_threads, unique
from warp_models import BillingAccountCreate, CdrCreate, MessageCreate
from warp_models.billing import LineItem
from warp_repo.billing import Billing
from warp_repo.errors import Conflict, LimitExceeded, NotFound, QueryError
from warp_repo.repos import BillingAccountRepo, CdrRepo, MessageRepo, UsageRecordRepo


def account(conn: Conn, org: UUID, **values: Any) -> None:
    BillingAccountRepo(conn).for_org(org).insert(BillingAccountCreate(org_id=org, **values))


def usage_fixture(conn: Conn, org: UUID) -> tuple[date, Any, Any]:
    first = last_month()
    start, end = month_range(first)
    t = start + timedelta(days=2)
    calls = [
        CdrCreate(call_id=unique(), org_id=org, start_time=t, billable_duration=90, cost=Decimal("0.0150")),
        CdrCreate(call_id=unique(), org_id=org, start_time=t, billable_duration=30, cost=Decimal("0.0050")),
        CdrCreate(call_id=unique(), org_id=org, start_time=t, billable_duration=600, inbound=True, cost=Decimal("0")),
        CdrCreate(call_id=unique(), org_id=org, start_time=end, billable_duration=999, cost=Decimal("9")),
    ]
    CdrRepo(conn).for_org(org).insert_many(calls)
    parties: dict[str, Any] = {"from_number": "+14155550100", "to_number": "+14155550101", "direction": "outbound"}
    messages = [
        MessageCreate(message_id=unique(), org_id=org, created_at=t, num_segments=2, cost=Decimal("0.0150"), **parties),
        MessageCreate(message_id=unique(), org_id=org, created_at=t, cost=Decimal("0.0075"), **parties),
        MessageCreate(
            message_id=unique(), org_id=org, created_at=t, message_type="mms", cost=Decimal("0.02"), **parties
        ),
        MessageCreate(message_id=unique(), org_id=org, created_at=t, status="failed", cost=Decimal("1"), **parties),
    ]
    MessageRepo(conn).for_org(org).insert_many(messages)
    return first, start, end


def test_usage_is_rolled_up_per_kind_and_a_second_run_replaces_the_first(conn: Conn) -> None:
    org = new_org(conn)
    _, start, end = usage_fixture(conn, org)
    billing = Billing(conn)
    records = billing.roll_up_usage(org, start, end)
    got = {(r.usage_type, r.unit): (r.quantity, r.amount, r.rate) for r in records}
    assert got == {
        ("mms", "message"): (Decimal("1.0000"), Decimal("0.0200"), Decimal("0.020000")),
        ("sms", "message"): (Decimal("3.0000"), Decimal("0.0225"), Decimal("0.007500")),
        ("voice_inbound", "minute"): (Decimal("10.0000"), Decimal("0.0000"), Decimal("0.000000")),
        ("voice_outbound", "minute"): (Decimal("2.0000"), Decimal("0.0200"), Decimal("0.010000")),
    }
    assert all((r.period_start, r.period_end) == (start, end) and r.metadata is not None for r in records)
    assert {r.usage_type: r.metadata["items"] for r in records if r.metadata} == {
        "mms": 1,
        "sms": 2,
        "voice_inbound": 1,
        "voice_outbound": 2,
    }
    again = billing.roll_up_usage(org, start, end)
    assert UsageRecordRepo(conn).for_org(org).count() == 4 == len(again), "replaced, not added"
    assert billing.roll_up_usage(new_org(conn), start, end) == []
    with pytest.raises(NotFound):
        billing.roll_up_usage(UUID(int=4), start, end)


def test_an_invoice_from_usage_has_figures_that_agree(conn: Conn) -> None:
    org = new_org(conn)
    first, start, end = usage_fixture(conn, org)
    billing = Billing(conn)
    billing.roll_up_usage(org, start, end)
    last_day = (end - timedelta(days=1)).date()
    lines = billing.invoice_lines(org, first, last_day)
    assert [(li.usage_type, li.quantity, li.unit_price, li.amount) for li in lines] == [
        ("mms", Decimal("1.0000"), Decimal("0.020000"), Decimal("0.02")),
        ("sms", Decimal("3.0000"), Decimal("0.007500"), Decimal("0.02")),
        ("voice_inbound", Decimal("10.0000"), Decimal("0.000000"), Decimal("0.00")),
        ("voice_outbound", Decimal("2.0000"), Decimal("0.010000"), Decimal("0.02")),
    ]
    number = unique("INV-")
    invoice = billing.invoice_usage(org, number, first, last_day, tax_rate=Decimal("0.0825"), due_date=last_day)
    assert (invoice.subtotal, invoice.tax_amount, invoice.total) == (Decimal("0.06"), Decimal("0.00"), Decimal("0.06"))
    assert invoice.line_items == lines and invoice.status == "draft" and invoice.period_end == last_day
    assert billing.invoice_lines(org, first, first - timedelta(days=2)) == []
    with pytest.raises(Conflict):
        billing.invoice_usage(org, number, first, last_day)


def test_invoice_totals_round_tax_half_up_and_refuse_lines_that_do_not_add_up(conn: Conn) -> None:
    org = new_org(conn)
    billing = Billing(conn)
    lines = [
        LineItem(
            description="Outbound calls",
            quantity=Decimal("1234.5"),
            unit_price=Decimal("0.0123"),
            amount=Decimal("15.18"),
        ),
        LineItem(description="Numbers", quantity=Decimal("3"), unit_price=Decimal("1.5"), amount=Decimal("4.50")),
    ]
    invoice = billing.create_invoice(
        org, unique("INV-"), date(2026, 3, 1), date(2026, 3, 31), lines, tax_rate=Decimal("0.0725")
    )
    assert (invoice.subtotal, invoice.tax_amount, invoice.total) == (
        Decimal("19.68"),
        Decimal("1.43"),
        Decimal("21.11"),
    )
    with pytest.raises(ValidationError, match="quantity x unit_price"):
        LineItem(description="x", quantity=Decimal("3"), unit_price=Decimal("1.5"), amount=Decimal("4.49"))
    with pytest.raises(ValidationError, match="period_end"):
        billing.create_invoice(org, unique("INV-"), date(2026, 3, 31), date(2026, 3, 1), lines)


def test_the_balance_is_what_is_owed_and_charges_stop_at_the_credit_limit(conn: Conn) -> None:
    org = new_org(conn)
    account(conn, org, credit_limit=Decimal("50.00"))
    billing = Billing(conn)
    assert billing.adjust_balance(org, Decimal("30.00")).current_balance == Decimal("30.00")
    assert billing.charge(org, Decimal("20.00")).current_balance == Decimal("50.00"), "up to the limit is fine"
    with pytest.raises(LimitExceeded) as caught:
        billing.charge(org, Decimal("0.01"))
    error = caught.value
    assert (error.limit_name, error.limit, error.current) == ("credit_limit", Decimal("50.00"), Decimal("50.01"))
    assert BillingAccountRepo(conn).for_org(org).list()[0].current_balance == Decimal("50.00")
    assert billing.adjust_balance(org, Decimal("-80.00")).current_balance == Decimal("-30.00"), "a payment, then credit"
    assert billing.charge(org, Decimal("80.00")).current_balance == Decimal("50.00")
    with pytest.raises(ValidationError):
        billing.adjust_balance(org, Decimal("0.001"))
    with pytest.raises(QueryError):
        billing.charge(org, Decimal("-1"))
    with pytest.raises(NotFound):
        billing.adjust_balance(new_org(conn), Decimal("1"))


def test_a_prepaid_account_spends_its_credit_down_to_zero(conn: Conn) -> None:
    org = new_org(conn)
    account(conn, org, payment_method="prepaid", current_balance=Decimal("-10.00"))  # credit_limit defaults to 0
    billing = Billing(conn)
    assert billing.charge(org, Decimal("10.00")).current_balance == Decimal("0.00")
    with pytest.raises(LimitExceeded):
        billing.charge(org, Decimal("0.01"))


def test_concurrent_charges_never_pass_the_credit_limit(domain_url: str, autocommit: Conn) -> None:
    org = new_org(autocommit)
    account(autocommit, org, credit_limit=Decimal("100.00"))
    outcomes: list[bool] = []

    def charge(i: int) -> None:
        with psycopg.connect(domain_url, autocommit=True) as conn:
            for _ in range(5):
                try:
                    Billing(conn).charge(org, Decimal("7.00"))
                    outcomes.append(True)
                except LimitExceeded:
                    outcomes.append(False)

    run_threads(6, charge)
    balance = BillingAccountRepo(autocommit).for_org(org).list()[0].current_balance
    assert outcomes.count(True) == 14 and balance == Decimal("98.00"), (outcomes.count(True), balance)
