"""What a consumer's type checker sees on the domain services: models and result types, never ``Any``.

``mypy --strict`` checks every ``assert_type``; pytest runs the same calls against the database, so the types
asserted are the values returned. The calls mix platform work (channels, the inventory, trees, rate decks) with
the organization's, so they run on the platform login, which may do both.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import assert_type
from uuid import UUID

from tests.support import Conn, last_month, month_range, new_number, new_org, new_trunk, unique
from warp_models import (
    AuditLog,
    Cdr,
    E911Address,
    E911AddressCreate,
    Invoice,
    LcrRate,
    MessageCreate,
    PhoneNumber,
    RoutingRule,
    SipTrunk,
    UsageRecord,
)
from warp_models.billing import LineItem
from warp_repo._core.cursor import Page
from warp_repo.billing import Billing
from warp_repo.cdrs import CallRecords, CallStats
from warp_repo.messaging import Messaging, StatusChange
from warp_repo.numbers import NumberInventory, NumberQuery
from warp_repo.organizations import Organizations, OrgLimits, OrgNode
from warp_repo.repos import MessageRepo
from warp_repo.routing import DeckLoad, RouteChoice, Routing
from warp_repo.trunks import AclMatch, ChannelState, FailoverChain, Trunks


def test_trunk_and_routing_results_are_typed(platform_conn: Conn) -> None:
    conn = platform_conn
    org = new_org(conn)
    trunk = new_trunk(conn, org)
    trunks = Trunks(conn)
    assert_type(trunks.acquire_channel(trunk.id), ChannelState)
    assert_type(trunks.failover_chain(trunk.id), FailoverChain)
    assert_type(trunks.by_sip_username(trunk.username), SipTrunk | None)
    assert_type(trunks.ip_allowed(trunk.id, "192.0.2.1"), bool)
    assert_type(trunks.acl_matches("192.0.2.1"), list[AclMatch])
    assert_type(trunks.trunk_for_ip("192.0.2.1"), SipTrunk | None)
    routing = Routing(conn)
    assert_type(routing.lcr_rates("+14155550123", date(2026, 6, 1)), list[LcrRate])
    assert_type(routing.load_rate_deck(org, []), DeckLoad)
    now = datetime.now(UTC)
    assert_type(routing.matching_rules(org, "+14155550123", now), list[RoutingRule])
    assert_type(routing.route(org, "+14155550123", now, random.Random(1)), list[RouteChoice])


def test_organization_number_call_billing_and_message_results_are_typed(platform_conn: Conn) -> None:
    conn = platform_conn
    org = new_org(conn)
    orgs = Organizations(conn)
    assert_type(orgs.descendants(org), list[OrgNode])
    assert_type(orgs.limits(org), OrgLimits)
    assert_type(orgs.audit_trail(org), Page[AuditLog])
    inventory = NumberInventory(conn)
    assert_type(inventory.search(NumberQuery(state="CA")), Page[PhoneNumber])
    number = assert_type(inventory.assign(new_number(conn), org), PhoneNumber)
    address = E911AddressCreate(
        phone_number_id=number.id,
        customer_name="A",
        street_number="1",
        street_name="Main",
        city="X",
        state="CA",
        zip="94105",
    )
    assert_type(inventory.set_e911_address(org, address), E911Address)
    start, end = month_range(last_month())
    records = CallRecords(conn)
    assert_type(records.calls(org, start, end), Page[Cdr])
    assert_type(records.stats(org, start, end), CallStats)
    assert_type(records.stats_by_trunk(org, start, end), dict[UUID | None, CallStats])
    assert_type(records.stats_by_day(org, start, end), dict[date, CallStats])
    assert_type(records.claim_unbilled(org, start, end), list[Cdr])
    billing = Billing(conn)
    assert_type(billing.roll_up_usage(org, start, end), list[UsageRecord])
    lines = assert_type(billing.invoice_lines(org, start.date(), (end - timedelta(days=1)).date()), list[LineItem])
    invoice = billing.create_invoice(org, unique("INV-"), start.date(), start.date(), lines, tax_rate=Decimal("0.1"))
    assert_type(invoice, Invoice)
    assert invoice.total == Decimal("0.00") and invoice.line_items == []
    messages = MessageRepo(conn).for_org(org)
    message = messages.insert(
        MessageCreate(
            message_id=unique(), org_id=org, from_number="+14155550100", to_number="+14155550101", direction="outbound"
        )
    )
    change = assert_type(Messaging(conn).transition(org, message.id, "sent", at=datetime.now(UTC)), StatusChange)
    assert change.changed
