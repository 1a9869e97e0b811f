"""Messaging: statuses move forward only, with their timestamps; campaign counters count each outcome once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest

from tests.support import Conn, new_org, run_threads, unique
from warp_models import MessageCreate, MessagingCampaignCreate
from warp_repo.errors import InvalidTransition, LimitExceeded, NotFound, QueryError
from warp_repo.messaging import ALLOWED_FROM, CampaignCounts, Messaging
from warp_repo.repos import MessageRepo, MessagingCampaignRepo

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def message(conn: Conn, org: UUID, **values: Any) -> Any:
    parties = {"from_number": "+14155550100", "to_number": "+14155550101", "direction": "outbound"}
    messages = MessageRepo(conn).for_org(org)
    return messages.insert(MessageCreate(message_id=unique("msg-"), org_id=org, **(parties | values)))


def campaign(conn: Conn, org: UUID, total: int, **values: Any) -> Any:
    create = MessagingCampaignCreate(
        org_id=org,
        name=unique("campaign-"),
        from_number="+14155550100",
        recipient_list=["+14155550101"] * total,
        message_template="Hello",
        total_recipients=total,
        **values,
    )
    return MessagingCampaignRepo(conn).for_org(org).insert(create)


def test_the_allowed_transitions_only_go_forward() -> None:
    assert ALLOWED_FROM["sending"] == {"queued"}
    assert ALLOWED_FROM["sent"] == {"queued", "sending"}
    for outcome in ("delivered", "undelivered", "failed"):
        assert ALLOWED_FROM[outcome] == {"queued", "sending", "sent"}
    assert "queued" not in ALLOWED_FROM and "received" not in ALLOWED_FROM


def test_a_message_moves_forward_and_stamps_its_times(conn: Conn) -> None:
    org = new_org(conn)
    msg = message(conn, org, created_at=T0)
    messaging = Messaging(conn)
    sending = messaging.transition(org, msg.id, "sending", at=T0 + timedelta(seconds=1))
    assert (sending.previous, sending.message.status, sending.message.sent_at) == ("queued", "sending", None)
    sent = messaging.transition(org, msg.id, "sent", at=T0 + timedelta(seconds=2), created_at=T0)
    assert (sent.changed, sent.previous, sent.message.sent_at) == (True, "sending", T0 + timedelta(seconds=2))
    done = messaging.transition(org, msg.id, "delivered", at=T0 + timedelta(seconds=9))
    assert (done.message.sent_at, done.message.delivered_at) == (T0 + timedelta(seconds=2), T0 + timedelta(seconds=9))
    again = messaging.transition(org, msg.id, "delivered", at=T0 + timedelta(seconds=30))
    assert (again.changed, again.previous, again.message.delivered_at) == (
        False,
        "delivered",
        T0 + timedelta(seconds=9),
    )
    for backwards in ("sent", "sending", "failed", "undelivered"):
        with pytest.raises(InvalidTransition) as caught:
            messaging.transition(org, msg.id, backwards, at=T0)
        assert (caught.value.current, caught.value.requested) == ("delivered", backwards)
    assert MessageRepo(conn).for_org(org).get_one(msg.id).status == "delivered"


def test_a_receipt_before_the_sent_callback_and_failures(conn: Conn) -> None:
    org = new_org(conn)
    messaging = Messaging(conn)
    early = message(conn, org)
    skipped = messaging.transition(org, early.id, "delivered", at=T0)
    assert (skipped.previous, skipped.message.sent_at, skipped.message.delivered_at) == ("queued", T0, T0)
    failing = message(conn, org)
    failed = messaging.transition(org, failing.id, "failed", at=T0, error_code="30007", error_message="filtered")
    assert (failed.message.status, failed.message.sent_at, failed.message.delivered_at) == ("failed", None, None)
    assert (failed.message.error_code, failed.message.error_message) == ("30007", "filtered")
    inbound = message(conn, org, direction="inbound", status="received")
    with pytest.raises(InvalidTransition):
        messaging.transition(org, inbound.id, "delivered", at=T0)
    with pytest.raises(NotFound):
        messaging.transition(new_org(conn), early.id, "sent", at=T0)
    with pytest.raises(NotFound):
        messaging.transition(org, early.id, "sent", at=T0, created_at=T0 - timedelta(days=400))
    with pytest.raises(QueryError, match="moves to one of"):
        messaging.transition(org, early.id, "queued", at=T0)
    with pytest.raises(QueryError, match="naive"):
        messaging.transition(org, early.id, "sent", at=datetime(2026, 11, 20))


def test_campaign_counters_follow_the_transitions_and_the_campaign_completes(conn: Conn) -> None:
    org = new_org(conn)
    run = campaign(conn, org, 2, status="running")
    first, second = message(conn, org), message(conn, org)
    messaging = Messaging(conn)
    messaging.transition(org, first.id, "sent", at=T0, campaign_id=run.id)
    messaging.transition(org, first.id, "delivered", at=T0, campaign_id=run.id)
    messaging.transition(org, first.id, "delivered", at=T0, campaign_id=run.id)  # a repeated receipt
    messaging.transition(org, second.id, "undelivered", at=T0, campaign_id=run.id)  # sent, then lost
    row = MessagingCampaignRepo(conn).for_org(org).get_one(run.id)
    assert (row.sent_count, row.delivered_count, row.failed_count) == (2, 1, 1)
    assert row.status == "completed" and row.completed_at is not None
    with pytest.raises(LimitExceeded) as caught:
        messaging.count_campaign(org, run.id, CampaignCounts(delivered=1))
    assert (caught.value.limit_name, caught.value.limit) == ("total_recipients", 2)
    with pytest.raises(NotFound):
        messaging.count_campaign(new_org(conn), run.id, CampaignCounts(sent=1))
    draft = campaign(conn, org, 1)
    counted = messaging.count_campaign(org, draft.id, CampaignCounts(sent=1, failed=1))
    assert (counted.sent_count, counted.failed_count, counted.status) == (1, 1, "draft"), "only running campaigns end"


def test_duplicate_receipts_arriving_at_once_count_once(domain_url: str, autocommit: Conn) -> None:
    org = new_org(autocommit)
    run = campaign(autocommit, org, 1, status="running")
    msg = message(autocommit, org, status="sent")
    changed: list[bool] = []

    def receipt(i: int) -> None:
        with psycopg.connect(domain_url) as conn:
            change = Messaging(conn).transition(org, msg.id, "delivered", at=T0, campaign_id=run.id)
            conn.execute("SELECT pg_sleep(0.02)")
            conn.commit()
            changed.append(change.changed)

    run_threads(4, receipt)
    assert sorted(changed) == [False, False, False, True]
    row = MessagingCampaignRepo(autocommit).for_org(org).get_one(run.id)
    assert (row.delivered_count, row.sent_count, row.status) == (1, 0, "completed")
