"""Billing: accounts and credit, usage records (partitioned by period) and invoices."""

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, model_validator

from warp_models._base import Create, Row, Update
from warp_models._columns import (
    BOOLEAN,
    DATE,
    JSONB,
    TIMESTAMP,
    UUID_,
    Col,
    Numeric,
    OrgScoped,
    TableSpec,
    Varchar,
)
from warp_models._common import CreatedAt, IdPk, MetadataDoc, OrgRef, UpdatedAt
from warp_models._time import UtcDateTime
from warp_models.types import CountryCode, Email, EncryptedTaxId, JsonDocument, Metadata, Money, NonNegativeMoney

PaymentMethod = Literal["invoice", "credit_card", "ach", "wire", "prepaid"]
UsageType = Literal["voice_outbound", "voice_inbound", "toll_free", "sms", "mms", "did_rental", "e911", "cnam", "fax"]
UsageUnit = Literal["minute", "second", "message", "number", "month", "lookup", "page"]
InvoiceStatus = Literal["draft", "issued", "paid", "overdue", "void"]

CENT = Decimal("0.01")


class BillingAddress(JsonDocument):
    """``billing_accounts.billing_address``: a postal address."""

    line1: Annotated[str, Field(min_length=1, max_length=255)]
    line2: Annotated[str, Field(max_length=255)] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)]
    region: Annotated[str, Field(max_length=100)] | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    country: CountryCode = "US"


class LineItem(JsonDocument):
    """One line of ``invoices.line_items``: ``amount`` is ``quantity * unit_price`` rounded to the cent."""

    description: Annotated[str, Field(min_length=1, max_length=255)]
    usage_type: UsageType | None = None
    quantity: Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=4)]
    unit_price: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=6)]
    amount: Annotated[Decimal, Field(max_digits=10, decimal_places=2)]

    @model_validator(mode="after")
    def _amount_is_product(self) -> "LineItem":
        expected = (self.quantity * self.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        if self.amount != expected:
            raise ValueError(f"amount {self.amount} should be quantity x unit_price = {expected}")
        return self


class BillingAccount(Row):
    """How and how much an organization pays: one account per organization."""

    __table_spec__ = TableSpec("billing_accounts", tenant=OrgScoped(), doc="Billing accounts.")

    id: IdPk
    org_id: Annotated[UUID, Col(UUID_, unique=True, references="organizations.id")]
    payment_method: Annotated[PaymentMethod | None, Col(Varchar(50), default="'invoice'")]
    stripe_customer_id: Annotated[str | None, Col(Varchar(255))]
    billing_email: Annotated[Email | None, Col(Varchar(255))]
    billing_address: Annotated[BillingAddress | None, Col(JSONB)]
    tax_id: Annotated[
        EncryptedTaxId | None, Col(Varchar(255), secret=True, doc="Tax id, AES-GCM encrypted (widened from 50).")
    ]
    credit_limit: Annotated[NonNegativeMoney | None, Col(Numeric(10, 2), default="0")]
    current_balance: Annotated[Money | None, Col(Numeric(10, 2), default="0")]
    auto_recharge: Annotated[bool | None, Col(BOOLEAN, default="FALSE")]
    auto_recharge_amount: Annotated[NonNegativeMoney | None, Col(Numeric(10, 2))]
    auto_recharge_threshold: Annotated[Money | None, Col(Numeric(10, 2))]
    created_at: CreatedAt
    updated_at: UpdatedAt


class UsageRecord(Row):
    """Metered usage of one kind over a period; partitioned by ``period_start``."""

    __table_spec__ = TableSpec(
        "usage_records",
        partition_by="period_start",
        tenant=OrgScoped(),
        doc="Usage tracking, monthly partitions on period_start plus a DEFAULT partition.",
    )

    id: IdPk
    org_id: OrgRef
    usage_type: Annotated[UsageType, Col(Varchar(50))]
    quantity: Annotated[Decimal, Col(Numeric(15, 4))]
    unit: Annotated[UsageUnit, Col(Varchar(20))]
    rate: Annotated[NonNegativeMoney | None, Col(Numeric(10, 6))]
    amount: Annotated[Money | None, Col(Numeric(10, 4))]
    period_start: Annotated[UtcDateTime, Col(TIMESTAMP, doc="The partition key.")]
    period_end: Annotated[UtcDateTime, Col(TIMESTAMP)]
    metadata: MetadataDoc
    created_at: CreatedAt

    @classmethod
    def check(cls, values: Mapping[str, Any]) -> None:  # noqa: D102
        start, end = values.get("period_start"), values.get("period_end")
        if start is not None and end is not None and end < start:
            raise ValueError(f"period_end {end.isoformat()} is before period_start {start.isoformat()}")


class Invoice(Row):
    """An invoice for one period: ``total = subtotal + tax_amount`` and the line items add up to ``subtotal``."""

    __table_spec__ = TableSpec("invoices", tenant=OrgScoped(), doc="Invoices.")

    id: IdPk
    org_id: OrgRef
    invoice_number: Annotated[str, Col(Varchar(50), unique=True)]
    period_start: Annotated[date, Col(DATE)]
    period_end: Annotated[date, Col(DATE)]
    subtotal: Annotated[Money, Col(Numeric(10, 2))]
    tax_amount: Annotated[Money | None, Col(Numeric(10, 2), default="0")]
    total: Annotated[Money, Col(Numeric(10, 2))]
    status: Annotated[InvoiceStatus | None, Col(Varchar(50), default="'draft'")]
    due_date: Annotated[date | None, Col(DATE)]
    paid_date: Annotated[date | None, Col(DATE)]
    line_items: Annotated[list[LineItem] | None, Col(JSONB, default="'[]'")]
    created_at: CreatedAt
    updated_at: UpdatedAt

    @classmethod
    def check(cls, values: Mapping[str, Any]) -> None:  # noqa: D102
        start, end = values.get("period_start"), values.get("period_end")
        if start is not None and end is not None and end < start:
            raise ValueError(f"period_end {end} is before period_start {start}")
        subtotal, total = values.get("subtotal"), values.get("total")
        tax = values.get("tax_amount") or Decimal(0)
        if subtotal is not None and total is not None and subtotal + tax != total:
            raise ValueError(f"total {total} should be subtotal {subtotal} + tax_amount {tax} = {subtotal + tax}")
        items = values.get("line_items")
        if items and subtotal is not None:
            summed = sum((item.amount for item in items), Decimal(0))
            if summed != subtotal:
                raise ValueError(f"line_items add up to {summed}, but subtotal is {subtotal}")


# --- Generated by `python tools/codegen.py` from the declarations above. Do not edit. ---


class BillingAccountCreate(Create):
    """What a caller passes to create a ``billing_accounts`` row; fields the database fills are optional."""

    __row__ = BillingAccount

    id: UUID | None = None
    org_id: UUID
    payment_method: PaymentMethod | None = None
    stripe_customer_id: str | None = None
    billing_email: Email | None = None
    billing_address: BillingAddress | None = None
    tax_id: EncryptedTaxId | None = None
    credit_limit: NonNegativeMoney | None = None
    current_balance: Money | None = None
    auto_recharge: bool | None = None
    auto_recharge_amount: NonNegativeMoney | None = None
    auto_recharge_threshold: Money | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class BillingAccountUpdate(Update):
    """A partial update of a ``billing_accounts`` row: only the fields given change."""

    __row__ = BillingAccount

    org_id: UUID | None = None
    payment_method: PaymentMethod | None = None
    stripe_customer_id: str | None = None
    billing_email: Email | None = None
    billing_address: BillingAddress | None = None
    tax_id: EncryptedTaxId | None = None
    credit_limit: NonNegativeMoney | None = None
    current_balance: Money | None = None
    auto_recharge: bool | None = None
    auto_recharge_amount: NonNegativeMoney | None = None
    auto_recharge_threshold: Money | None = None


class UsageRecordCreate(Create):
    """What a caller passes to create a ``usage_records`` row; fields the database fills are optional."""

    __row__ = UsageRecord

    id: UUID | None = None
    org_id: UUID
    usage_type: UsageType
    quantity: Decimal
    unit: UsageUnit
    rate: NonNegativeMoney | None = None
    amount: Money | None = None
    period_start: UtcDateTime
    period_end: UtcDateTime
    metadata: Metadata | None = None
    created_at: UtcDateTime | None = None


class UsageRecordUpdate(Update):
    """A partial update of a ``usage_records`` row: only the fields given change."""

    __row__ = UsageRecord

    org_id: UUID | None = None
    usage_type: UsageType | None = None
    quantity: Decimal | None = None
    unit: UsageUnit | None = None
    rate: NonNegativeMoney | None = None
    amount: Money | None = None
    period_start: UtcDateTime | None = None
    period_end: UtcDateTime | None = None
    metadata: Metadata | None = None


class InvoiceCreate(Create):
    """What a caller passes to create a ``invoices`` row; fields the database fills are optional."""

    __row__ = Invoice

    id: UUID | None = None
    org_id: UUID
    invoice_number: str
    period_start: date
    period_end: date
    subtotal: Money
    tax_amount: Money | None = None
    total: Money
    status: InvoiceStatus | None = None
    due_date: date | None = None
    paid_date: date | None = None
    line_items: list[LineItem] | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None


class InvoiceUpdate(Update):
    """A partial update of a ``invoices`` row: only the fields given change."""

    __row__ = Invoice

    org_id: UUID | None = None
    invoice_number: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    subtotal: Money | None = None
    tax_amount: Money | None = None
    total: Money | None = None
    status: InvoiceStatus | None = None
    due_date: date | None = None
    paid_date: date | None = None
    line_items: list[LineItem] | None = None


__all__ = [
    "CENT",
    "BillingAccount",
    "BillingAccountCreate",
    "BillingAccountUpdate",
    "BillingAddress",
    "Invoice",
    "InvoiceCreate",
    "InvoiceStatus",
    "InvoiceUpdate",
    "LineItem",
    "PaymentMethod",
    "UsageRecord",
    "UsageRecordCreate",
    "UsageRecordUpdate",
    "UsageType",
    "UsageUnit",
]
