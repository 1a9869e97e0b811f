"""Voicemail: deposits within a box's limit, folders, message-waiting counts, retention and the transcription queue.

Statements and result types; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, LiteralString
from uuid import UUID

from psycopg.rows import RowMaker

from warp_models.voicemail import VoicemailMessage, VoicemailTranscription
from warp_repo._core.queries import columns
from warp_repo.cache._errors import CacheDataError

_MESSAGE = columns(VoicemailMessage)
_JOB = columns(VoicemailTranscription)
_JOB_T = columns(VoicemailTranscription, "t")

# The box row is locked first, so two deposits racing for the last free place take turns; the messages are counted
# by the next statement, whose snapshot (READ COMMITTED) sees what the other deposit committed meanwhile. Deleted
# messages do not count against max_messages.
LOCK_BOX: LiteralString = (
    "SELECT max_messages, transcription_enabled, enabled FROM voicemail_boxes WHERE id = %(box)s FOR UPDATE"
)

HELD: LiteralString = "SELECT count(*) FROM voicemail_messages WHERE box_id = %(box)s AND folder <> 'deleted'"

ENQUEUE: LiteralString = (
    "INSERT INTO voicemail_transcriptions (org_id, message_id, engine, language)"
    " VALUES (%(org)s, %(message)s, %(engine)s, %(language)s) ON CONFLICT (message_id) DO NOTHING"
)

LIST_FOLDER: LiteralString = (
    "SELECT " + _MESSAGE + " FROM voicemail_messages WHERE box_id = %(box)s AND folder = %(folder)s"
    " ORDER BY (read_at IS NULL) DESC, urgent DESC, received_at DESC LIMIT %(limit)s"
)

MOVE: LiteralString = (
    "UPDATE voicemail_messages SET folder = %(folder)s,"
    " deleted_at = CASE WHEN %(folder)s::varchar = 'deleted' THEN coalesce(deleted_at, now()) ELSE NULL END"
    " WHERE id = %(message)s RETURNING " + _MESSAGE
)

MARK_READ: LiteralString = (
    "UPDATE voicemail_messages SET read_at = CASE WHEN %(read)s THEN coalesce(read_at, now()) ELSE NULL END"
    " WHERE id = %(message)s RETURNING " + _MESSAGE
)

# Message-waiting counts for every box of a set in one statement (idx_vm_msg_box_folder): new = unread in the
# inbox, old = read in the inbox or saved, as Asterisk's and FreeSWITCH's MWI NOTIFY count them.
MWI: LiteralString = (
    "SELECT b.id, b.mailbox,"
    " count(*) FILTER (WHERE m.folder = 'inbox' AND m.read_at IS NULL),"
    " count(*) FILTER (WHERE m.folder = 'inbox' AND m.read_at IS NULL AND m.urgent),"
    " count(*) FILTER (WHERE m.folder = 'saved' OR (m.folder = 'inbox' AND m.read_at IS NOT NULL)),"
    " count(*) FILTER (WHERE (m.folder = 'saved' OR (m.folder = 'inbox' AND m.read_at IS NOT NULL)) AND m.urgent)"
    " FROM voicemail_boxes b"
    " LEFT JOIN voicemail_messages m ON m.org_id = b.org_id AND m.box_id = b.id AND m.folder IN ('inbox', 'saved')"
    " WHERE b.id = ANY(%(boxes)s) GROUP BY b.id, b.mailbox"
)

# Retention: messages in the deleted folder for longer than the grace period, and messages older than their box's
# retention_days; their transcriptions go in the same statement (the foreign key has no cascade).
CLEAN_UP: LiteralString = (
    "WITH doomed AS (SELECT m.id FROM voicemail_messages m JOIN voicemail_boxes b"
    "   ON b.org_id = m.org_id AND b.id = m.box_id"
    " WHERE (m.folder = 'deleted' AND m.deleted_at < now() - %(grace)s)"
    "    OR (b.retention_days IS NOT NULL AND m.received_at < now() - b.retention_days * interval '1 day')),"
    " gone_jobs AS (DELETE FROM voicemail_transcriptions t USING doomed WHERE t.message_id = doomed.id)"
    " DELETE FROM voicemail_messages m USING doomed WHERE m.id = doomed.id RETURNING m.id, m.box_id"
)

DELETE_JOB: LiteralString = "DELETE FROM voicemail_transcriptions WHERE message_id = %(message)s"

# The work queue. A job is claimable when pending and due, or when processing and its lease ran out (the worker
# died or stalled). FOR UPDATE SKIP LOCKED lets concurrent workers pass over rows another claim is taking, so no
# job is handed to two of them. Jobs that used up their attempts are failed instead of claimed again.
CLAIM: LiteralString = (
    "WITH due AS (SELECT id FROM voicemail_transcriptions"
    " WHERE (status = 'pending' AND available_at <= now())"
    "    OR (status = 'processing' AND lease_expires_at < now())"
    " ORDER BY available_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
    " UPDATE voicemail_transcriptions t SET"
    " status = CASE WHEN t.attempts >= t.max_attempts THEN 'failed' ELSE 'processing' END,"
    " error_message = CASE WHEN t.attempts >= t.max_attempts"
    "   THEN coalesce(t.error_message, 'lease expired on the last attempt') ELSE t.error_message END,"
    " attempts = CASE WHEN t.attempts >= t.max_attempts THEN t.attempts ELSE t.attempts + 1 END,"
    " claimed_by = %(worker)s, started_at = now(), lease_expires_at = now() + %(lease)s,"
    " completed_at = CASE WHEN t.attempts >= t.max_attempts THEN now() ELSE NULL END, updated_at = now()"
    " FROM due WHERE t.id = due.id RETURNING " + _JOB_T
)

COMPLETE: LiteralString = (
    "UPDATE voicemail_transcriptions SET status = 'completed', text = %(text)s, summary = %(summary)s,"
    " confidence = %(confidence)s, language = coalesce(%(language)s, language), model = coalesce(%(model)s, model),"
    " processing_seconds = round(extract(epoch FROM now() - started_at)::numeric, 1),"
    " completed_at = now(), lease_expires_at = NULL, error_message = NULL, updated_at = now()"
    " WHERE id = %(job)s AND status = 'processing' AND claimed_by = %(worker)s RETURNING " + _JOB
)

# A failed attempt goes back to pending after a backoff that doubles per attempt, until max_attempts.
FAIL: LiteralString = (
    "UPDATE voicemail_transcriptions SET"
    " status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,"
    " available_at = now() + %(backoff)s * power(2, greatest(attempts - 1, 0)),"
    " error_message = %(error)s, claimed_by = NULL, lease_expires_at = NULL,"
    " completed_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END, updated_at = now()"
    " WHERE id = %(job)s AND status = 'processing' AND claimed_by = %(worker)s RETURNING " + _JOB
)


@dataclass(frozen=True)
class MessageWaiting:
    """A box's message-waiting counts, as an MWI NOTIFY carries them (``Voice-Message: new/old (urgent/urgent)``).

    Attributes:
        box_id: the box.
        mailbox: its number.
        new: unread messages in the inbox.
        new_urgent: of those, the urgent ones.
        old: read messages in the inbox and saved messages.
        old_urgent: of those, the urgent ones.
    """

    box_id: UUID
    mailbox: str
    new: int
    new_urgent: int
    old: int
    old_urgent: int

    @property
    def waiting(self) -> bool:
        """Whether the lamp is lit."""
        return self.new > 0

    def summary(self) -> str:
        """The ``Voice-Message`` line of a message-summary body (RFC 3842)."""
        return f"{self.new}/{self.old} ({self.new_urgent}/{self.old_urgent})"


def mwi_rows(cursor: Any) -> RowMaker[MessageWaiting]:
    """Row factory of ``MWI``."""
    return lambda values: MessageWaiting(*values)


def pairs(cursor: Any) -> RowMaker[tuple[UUID, UUID]]:
    """Row factory: two ids."""
    return lambda values: (values[0], values[1])


MWI_FIELDS = ("mailbox", "new", "new_urgent", "old", "old_urgent")


def mwi_to_redis(value: MessageWaiting) -> dict[Any, Any]:
    """A box's counts as the fields of its ``mwi:{box_id}`` hash."""
    return {name: str(getattr(value, name)) for name in MWI_FIELDS}


def mwi_from_redis(box_id: UUID, fields: Mapping[Any, Any], key: str) -> MessageWaiting:
    """A box's counts read back from its hash.

    Raises:
        CacheDataError: the hash is not a box's counts.
    """
    values = {
        (k.decode() if isinstance(k, bytes) else str(k)): (v.decode() if isinstance(v, bytes) else str(v))
        for k, v in fields.items()
    }
    try:
        return MessageWaiting(box_id, values["mailbox"], *(int(values[name]) for name in MWI_FIELDS[1:]))
    except (KeyError, ValueError) as exc:
        raise CacheDataError(
            f"{key} does not hold message-waiting counts: {exc}", operation="read message-waiting counts", key=key
        ) from exc


MWI_TTL = 30
"""Seconds a box's cached counts live at most."""

DEFAULT_LEASE = timedelta(minutes=5)
"""How long a claimed job stays with its worker before another may take it over."""

DEFAULT_BACKOFF = timedelta(seconds=30)
"""The first retry delay after a failed attempt; it doubles with every attempt."""

DELETED_GRACE = timedelta(days=30)
"""How long a message stays in the deleted folder before the retention clean-up removes it."""
