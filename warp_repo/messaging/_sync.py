# Generated from warp_repo/messaging/_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Messaging: message status transitions with their timestamps, and campaign counters.

The repositories of the domain's tables and its service. Written once, as async code, here;
``warp_repo/messaging/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from psycopg.rows import tuple_row

from warp_models import (
    Message,
    MessageCreate,
    MessageUpdate,
    MessagingCampaign,
    MessagingCampaignCreate,
    MessagingCampaignUpdate,
)
from warp_repo._core.repository_sync import TenantRepo
from warp_repo._core.service_sync import Service
from warp_repo._core.statements import utc
from warp_repo.errors import InvalidTransition, LimitExceeded, NotFound, QueryError
from warp_repo.messaging import _queries as q
from warp_repo.messaging._queries import ALLOWED_FROM, CampaignCounts, StatusChange

__all__ = [
    "ALLOWED_FROM",
    "CampaignCounts",
    "MessageRepo",
    "Messaging",
    "MessagingCampaignRepo",
    "StatusChange",
]


class MessageRepo(TenantRepo[Message, MessageCreate, MessageUpdate]):
    """``messages``: one SMS or MMS message."""


class MessagingCampaignRepo(TenantRepo[MessagingCampaign, MessagingCampaignCreate, MessagingCampaignUpdate]):
    """``messaging_campaigns``: a bulk send of one template to a recipient list, with running counters."""


class Messaging(Service):
    """Message delivery state, as carriers report it, and the campaign counters that follow it.

    Example::

        messaging = Messaging(conn)
        change = messaging.transition(org_id, message_id, "delivered", at=receipt_time,
                                            campaign_id=campaign.id)
        change.changed  # False for a repeated receipt: nothing moved, no counter either

    Statuses only move forward (``ALLOWED_FROM``); everything works in the organization's tenant context.
    """

    def transition(
        self,
        org_id: UUID,
        message_id: UUID,
        status: str,
        *,
        at: datetime,
        created_at: datetime | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        campaign_id: UUID | None = None,
    ) -> StatusChange:
        """Move a message to ``status`` if it may come from its current one, stamping the time it happened.

        ``sent_at`` is set when the message reaches ``sent`` (or a delivery outcome) and was not set, and
        ``delivered_at`` when it is ``delivered``. With ``campaign_id``, the campaign's counters move in the same
        transaction, and only when the status did: a receipt delivered twice counts once.

        Args:
            org_id: the organization the message belongs to.
            message_id: the message's ``id``.
            status: the new status: ``sending``, ``sent``, ``delivered``, ``undelivered`` or ``failed``.
            at: when it happened (timezone-aware).
            created_at: the message's ``created_at`` when known: only its partition is read.
            error_code: the carrier's error code, for ``undelivered`` / ``failed``.
            error_message: the carrier's error text.
            campaign_id: the campaign the message belongs to, whose counters follow.

        Returns:
            The message and the status it came from; ``changed`` is ``False`` when it already had ``status``.

        Raises:
            InvalidTransition: the message's status cannot move to ``status`` (it would go backwards, or it is
                final already).
            NotFound: the organization has no such message.
            LimitExceeded: the campaign's counters would pass ``total_recipients``.
            QueryError: ``status`` is not a status a message moves to.
        """
        if status not in ALLOWED_FROM:
            known = ", ".join(sorted(ALLOWED_FROM))
            raise QueryError(f"transition to {status!r}: a message moves to one of {known}")
        params = q.transition_params(status) | {
            "id": message_id,
            "org": org_id,
            "at": utc(at, "at"),
            "error_code": error_code,
            "error_message": error_message,
        }
        if created_at is not None:
            params["created_at"] = utc(created_at, "created_at")
        sql = q.transition_statement(created_at is not None)
        with self._atomic():
            found = self._first(sql, params, q.changes, org_id, Message)
            if found is None:
                return self._unchanged(org_id, params, status)
            previous, message = found
            counts = q.counts_for(previous, status)
            if campaign_id is not None and counts:
                self.count_campaign(org_id, campaign_id, counts)
        return StatusChange(message, q.as_status(previous), True)

    def _unchanged(self, org_id: UUID, params: dict[str, object], status: str) -> StatusChange:
        sql = q.current_statement("created_at" in params)
        found = self._first(sql, params, q.changes, org_id, Message)
        if found is None:
            raise NotFound(f"messages: organization {org_id} has no message {params['id']}", table="messages")
        current, message = found
        if current == status:
            return StatusChange(message, q.as_status(current), False)
        raise InvalidTransition(
            f"messages: message {params['id']} is {current}; it cannot move to {status}",
            current=current,
            requested=status,
            table="messages",
        )

    def count_campaign(self, org_id: UUID, campaign_id: UUID, counts: CampaignCounts) -> MessagingCampaign:
        """Add to a campaign's ``sent_count``, ``delivered_count`` and ``failed_count`` in one statement.

        A running campaign whose every recipient has an outcome (delivered or failed) becomes ``completed``.

        Raises:
            LimitExceeded: the counters would pass ``total_recipients``; nothing changes.
            NotFound: the organization has no such campaign.
        """
        params = {
            "org": org_id,
            "campaign": campaign_id,
            "sent": counts.sent,
            "delivered": counts.delivered,
            "failed": counts.failed,
        }
        found = self._first(q.BUMP_CAMPAIGN, params, q.campaigns(), org_id, MessagingCampaign)
        if found is not None:
            return found
        current = self._first(q.CAMPAIGN_COUNTS, params, tuple_row, org_id, MessagingCampaign)
        if current is None:
            raise NotFound(f"messaging_campaigns: organization {org_id} has no campaign {campaign_id}")
        raise LimitExceeded(
            f"messaging_campaigns: counting {counts} would take campaign {campaign_id} past its total_recipients",
            limit_name="total_recipients",
            limit=current[0],
            current=current[1:],
            table="messaging_campaigns",
        )
