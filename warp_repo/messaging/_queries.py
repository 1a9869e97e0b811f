"""Messaging: message status transitions and campaign counters.

A message moves forward only::

    queued -> sending -> sent -> delivered | undelivered | failed

Any forward step may skip the ones between (a delivery receipt can arrive before the carrier's "sent"), the three
outcomes are final, and ``received`` (an inbound message) is where inbound messages start and stay. Entering
``sent``, ``delivered`` or ``undelivered`` stamps ``sent_at`` if it is empty; entering ``delivered`` stamps
``delivered_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, LiteralString, cast

from psycopg.rows import BaseRowFactory, RowMaker

from warp_models import Message, MessagingCampaign
from warp_models.messaging import MessageStatus
from warp_repo._core.queries import NOW_UTC, columns
from warp_repo._core.statements import rows_of

_STEP = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3}

ALLOWED_FROM: dict[str, frozenset[str]] = {
    target: frozenset(s for s, step in _STEP.items() if step < _STEP[target]) for target in _STEP if _STEP[target]
}
"""The statuses a message may move to, each with the statuses it may come from."""

_SENT = frozenset({"sent", "delivered", "undelivered"})


@dataclass(frozen=True)
class StatusChange:
    """The outcome of a status transition.

    Attributes:
        message: the message as it is now.
        previous: its status before; equal to ``message.status`` when nothing changed.
        changed: ``False`` when the message already had the status asked for (a repeated receipt).
    """

    message: Message
    previous: MessageStatus | None
    changed: bool


@dataclass(frozen=True)
class CampaignCounts:
    """How a transition moves a campaign's counters."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.sent or self.delivered or self.failed)


def counts_for(previous: str | None, current: str) -> CampaignCounts:
    """The counter moves of ``previous -> current``.

    A message counts as sent once it reached ``sent`` or beyond (``failed`` before ``sent`` does not), as delivered
    when ``delivered``, as failed when ``undelivered`` or ``failed``.
    """
    before = previous or "queued"
    newly_sent = current in _SENT and before not in _SENT
    return CampaignCounts(
        sent=int(newly_sent),
        delivered=int(current == "delivered"),
        failed=int(current in ("undelivered", "failed")),
    )


def transition_statement(pruned: bool) -> LiteralString:
    """The conditional update of a status; with ``pruned``, the row's ``created_at`` (the partition key) is given.

    The row is locked first (``FOR UPDATE`` in the sub-select, which under ``READ COMMITTED`` reads the latest
    version after waiting), so ``previous`` is the status the change was actually made from.
    """
    return _TRANSITION_PRUNED if pruned else _TRANSITION


def _transition(extra: LiteralString) -> LiteralString:
    return f"""
UPDATE messages AS m
SET status = %(to)s,
    sent_at = CASE WHEN %(stamps_sent)s THEN COALESCE(m.sent_at, %(at)s) ELSE m.sent_at END,
    delivered_at = CASE WHEN %(stamps_delivered)s THEN COALESCE(m.delivered_at, %(at)s) ELSE m.delivered_at END,
    error_code = COALESCE(%(error_code)s, m.error_code),
    error_message = COALESCE(%(error_message)s, m.error_message)
FROM (
    SELECT id, created_at, status FROM messages WHERE id = %(id)s AND org_id = %(org)s{extra} FOR UPDATE
) AS previous
WHERE m.id = previous.id AND m.created_at = previous.created_at
  AND COALESCE(previous.status, 'queued') = ANY (%(from)s)
RETURNING previous.status, {columns(Message, "m")}
"""


_TRANSITION = _transition("")
_TRANSITION_PRUNED = _transition(" AND created_at = %(created_at)s")

CURRENT: LiteralString = f"SELECT status, {columns(Message)} FROM messages WHERE id = %(id)s AND org_id = %(org)s"
CURRENT_PRUNED: LiteralString = CURRENT + " AND created_at = %(created_at)s"
"""The message as it is (its status first), to say why a transition changed nothing."""


def current_statement(pruned: bool) -> LiteralString:
    """``CURRENT``, or with ``pruned`` the statement that reads the row's partition only."""
    return CURRENT_PRUNED if pruned else CURRENT


def as_status(value: str | None) -> MessageStatus | None:
    """A status read from the database, typed."""
    return cast(MessageStatus | None, value)


def transition_params(target: str) -> dict[str, Any]:
    """The parameters that depend on the target status only."""
    return {
        "to": target,
        "from": sorted(ALLOWED_FROM[target]),
        "stamps_sent": target in _SENT,
        "stamps_delivered": target == "delivered",
    }


def changes(cursor: Any) -> RowMaker[tuple[str | None, Message]]:
    """Row factory of the transition: the previous status, then the message."""
    make = rows_of(Message)(cursor)
    return lambda values: (values[0], make(values[1:]))


BUMP_CAMPAIGN: LiteralString = f"""
UPDATE messaging_campaigns
SET sent_count = COALESCE(sent_count, 0) + %(sent)s,
    delivered_count = COALESCE(delivered_count, 0) + %(delivered)s,
    failed_count = COALESCE(failed_count, 0) + %(failed)s,
    status = CASE
        WHEN status = 'running'
         AND COALESCE(delivered_count, 0) + %(delivered)s + COALESCE(failed_count, 0) + %(failed)s
             = COALESCE(total_recipients, 0)
        THEN 'completed' ELSE status END,
    completed_at = CASE
        WHEN status = 'running'
         AND COALESCE(delivered_count, 0) + %(delivered)s + COALESCE(failed_count, 0) + %(failed)s
             = COALESCE(total_recipients, 0)
        THEN {NOW_UTC} ELSE completed_at END,
    updated_at = {NOW_UTC}
WHERE id = %(campaign)s AND org_id = %(org)s
  AND COALESCE(delivered_count, 0) + %(delivered)s + COALESCE(failed_count, 0) + %(failed)s
      <= COALESCE(total_recipients, 0)
  AND COALESCE(sent_count, 0) + %(sent)s <= COALESCE(total_recipients, 0)
RETURNING {columns(MessagingCampaign)}
"""
"""Add to a campaign's counters in one statement, never past ``total_recipients``; a running campaign whose every
recipient has an outcome (delivered or failed) becomes ``completed``."""

CAMPAIGN_COUNTS: LiteralString = """
SELECT total_recipients, sent_count, delivered_count, failed_count FROM messaging_campaigns
WHERE id = %(campaign)s AND org_id = %(org)s
"""


def campaigns() -> BaseRowFactory[MessagingCampaign]:
    """Row factory of ``BUMP_CAMPAIGN``."""
    return rows_of(MessagingCampaign)
