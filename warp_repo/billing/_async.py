"""Billing: usage roll-ups, invoices whose figures agree, and balances kept within the credit limit.

``current_balance`` is what the organization owes (a negative balance is prepaid credit) and ``credit_limit`` the
most it may owe: see ``warp_repo.billing._queries``.

The repositories of the domain's tables and its service. Written once, as async code, here;
``warp_repo/billing/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from psycopg.rows import tuple_row

from warp_models import (
    BillingAccount,
    BillingAccountCreate,
    BillingAccountUpdate,
    Invoice,
    InvoiceCreate,
    InvoiceUpdate,
    UsageRecord,
    UsageRecordCreate,
    UsageRecordUpdate,
)
from warp_models.billing import InvoiceStatus, LineItem
from warp_repo._core.queries import cents, scalar
from warp_repo._core.repository_async import AsyncTenantRepo
from warp_repo._core.service_async import AsyncService
from warp_repo._core.statements import rows_of, utc
from warp_repo.billing import _queries as q
from warp_repo.errors import LimitExceeded, NotFound, QueryError

__all__ = [
    "AsyncBilling",
    "AsyncBillingAccountRepo",
    "AsyncInvoiceRepo",
    "AsyncUsageRecordRepo",
    "LineItem",
]


class AsyncBillingAccountRepo(AsyncTenantRepo[BillingAccount, BillingAccountCreate, BillingAccountUpdate]):
    """``billing_accounts``: how and how much an organization pays: one account per organization."""


class AsyncUsageRecordRepo(AsyncTenantRepo[UsageRecord, UsageRecordCreate, UsageRecordUpdate]):
    """``usage_records``: metered usage of one kind over a period; partitioned by ``period_start``."""


class AsyncInvoiceRepo(AsyncTenantRepo[Invoice, InvoiceCreate, InvoiceUpdate]):
    """``invoices``: an invoice for one period; ``total = subtotal + tax_amount``."""


class AsyncBilling(AsyncService):
    """An organization's money: usage, invoices, balance.

    Example::

        billing = AsyncBilling(conn)
        usage = await billing.roll_up_usage(org_id, month_start, next_month_start)  # list[UsageRecord]
        invoice = await billing.invoice_usage(org_id, "INV-2026-03-0001", date(2026, 3, 1), date(2026, 3, 31),
                                              tax_rate=Decimal("0.0825"))
        account = await billing.adjust_balance(org_id, Decimal("12.50"))  # a charge

    Everything here works in the organization's tenant context.
    """

    async def roll_up_usage(self, org_id: UUID, start: datetime, end: datetime) -> list[UsageRecord]:
        """Sum the organization's calls and messages of ``[start, end)`` into usage records, one per kind.

        Calls become ``voice_outbound`` / ``voice_inbound`` minutes (``billable_duration``), messages ``sms`` /
        ``mms`` segments (failed ones left out), each with the sum of ``cost`` as its amount. Running it again for
        the same period replaces the records the previous run wrote (``metadata.source = "rollup"``), in one
        transaction; runs for one organization take turns.

        Raises:
            NotFound: there is no such organization.
            QueryError: an instant is naive.
        """
        params = {"org": org_id, "start": utc(start, "start"), "end": utc(end, "end"), "source": q.ROLLUP_SOURCE}
        async with self._atomic():
            if await self._first(q.ROLLUP_LOCK, params, scalar, org_id) is None:
                raise NotFound(f"organizations: no row with id = {org_id}", table="organizations")
            await self._run(q.DELETE_ROLLUP, params, org_id, UsageRecord)
            return await self._all(q.ROLLUP, params, rows_of(UsageRecord), org_id, UsageRecord)

    async def invoice_lines(self, org_id: UUID, period_start: date, period_end: date) -> list[LineItem]:
        """The invoice lines of the organization's usage records of a period (``period_end`` included).

        One line per kind of usage: quantity, unit price (amount per unit, to the micro-unit) and amount
        (quantity x unit price, to the cent).
        """
        start, end = q.invoice_range(period_start, period_end)
        params = {"org": org_id, "start": utc(start, "start"), "end": utc(end, "end")}
        return await self._all(q.INVOICE_USAGE, params, q.line_items, org_id, UsageRecord)

    async def create_invoice(
        self,
        org_id: UUID,
        invoice_number: str,
        period_start: date,
        period_end: date,
        items: Sequence[LineItem],
        *,
        tax_rate: Decimal = Decimal(0),
        due_date: date | None = None,
        status: InvoiceStatus = "draft",
    ) -> Invoice:
        """Store an invoice whose figures agree.

        Subtotal = the lines' amounts, tax = subtotal x ``tax_rate`` to the cent (half up), total = subtotal + tax.

        Raises:
            Conflict: ``invoice_number`` is taken.
            pydantic.ValidationError: the figures do not fit the columns (``DECIMAL(10, 2)``).
        """
        create = q.invoice(org_id, invoice_number, period_start, period_end, items, tax_rate, due_date, status)
        return await AsyncInvoiceRepo(self._conn).for_org(org_id).insert(create)

    async def invoice_usage(
        self,
        org_id: UUID,
        invoice_number: str,
        period_start: date,
        period_end: date,
        *,
        tax_rate: Decimal = Decimal(0),
        due_date: date | None = None,
    ) -> Invoice:
        """``create_invoice`` with the lines of ``invoice_lines`` for the same period, read and stored atomically."""
        async with self._atomic():
            items = await self.invoice_lines(org_id, period_start, period_end)
            return await self.create_invoice(
                org_id, invoice_number, period_start, period_end, items, tax_rate=tax_rate, due_date=due_date
            )

    async def adjust_balance(self, org_id: UUID, amount: Decimal) -> BillingAccount:
        """Add ``amount`` to what the organization owes: positive for a charge, negative for a payment or credit.

        One statement: concurrent charges queue on the account row and each one is tested against the balance
        the previous one left, so together they never pass the credit limit. A payment is always accepted.

        Raises:
            LimitExceeded: the charge would take ``current_balance`` above ``credit_limit`` (``limit_name`` is
                ``"credit_limit"``); the balance is unchanged.
            NotFound: the organization has no billing account.
            pydantic.ValidationError: ``amount`` has more than two decimals or does not fit ``DECIMAL(10, 2)``.
        """
        delta = cents(amount)
        params = {"org": org_id, "delta": delta}
        async with self._atomic():
            found = await self._first(q.ADJUST_BALANCE, params, rows_of(BillingAccount), org_id, BillingAccount)
            if found is not None:
                return found
            balance = await self._first(q.BALANCE, params, tuple_row, org_id, BillingAccount)
        if balance is None:
            raise NotFound(f"billing_accounts: organization {org_id} has no billing account", table="billing_accounts")
        current, limit = (Decimal(value) if value is not None else Decimal(0) for value in balance)
        raise LimitExceeded(
            f"billing_accounts: the charge would take organization {org_id} past its credit limit; "
            "collect a payment or raise credit_limit first",
            limit_name="credit_limit",
            limit=limit,
            current=current + delta,
            table="billing_accounts",
        )

    async def charge(self, org_id: UUID, amount: Decimal) -> BillingAccount:
        """``adjust_balance`` with a positive amount (a charge), refused beyond the credit limit."""
        if amount <= 0:
            raise QueryError(f"charge({amount}): a charge is positive; use adjust_balance for credits")
        return await self.adjust_balance(org_id, amount)
