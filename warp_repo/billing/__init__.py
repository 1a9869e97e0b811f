"""Billing: accounts, usage roll-ups, invoices whose lines add up, balances within credit.

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.billing._async import (
    AsyncBilling,
    AsyncBillingAccountRepo,
    AsyncInvoiceRepo,
    AsyncUsageRecordRepo,
    LineItem,
)
from warp_repo.billing._sync import Billing, BillingAccountRepo, InvoiceRepo, UsageRecordRepo

__all__ = [
    "AsyncBilling",
    "AsyncBillingAccountRepo",
    "AsyncInvoiceRepo",
    "AsyncUsageRecordRepo",
    "Billing",
    "BillingAccountRepo",
    "InvoiceRepo",
    "LineItem",
    "UsageRecordRepo",
]
