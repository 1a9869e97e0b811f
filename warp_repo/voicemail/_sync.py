# Generated from warp_repo/voicemail/_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Voicemail: deposits within a box's limit, folders, message-waiting counts, retention, the transcription queue.

The repositories of the domain's tables and its services. Written once, as async code, here;
``warp_repo/voicemail/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any, LiteralString
from uuid import UUID

from psycopg import Connection
from psycopg.rows import RowMaker

from warp_models import (
    VoicemailBox,
    VoicemailBoxCreate,
    VoicemailBoxUpdate,
    VoicemailMessage,
    VoicemailMessageCreate,
    VoicemailMessageUpdate,
    VoicemailTranscription,
    VoicemailTranscriptionCreate,
    VoicemailTranscriptionUpdate,
)
from warp_models.voicemail import Folder
from warp_repo._core.queries import scalar
from warp_repo._core.repository_sync import TenantRepo
from warp_repo._core.service_sync import PLATFORM, Service
from warp_repo._core.statements import rows_of
from warp_repo.cache._base_sync import Store
from warp_repo.errors import InvalidTransition, LimitExceeded, NotFound
from warp_repo.voicemail import _queries as q
from warp_repo.voicemail._queries import DEFAULT_BACKOFF, DEFAULT_LEASE, DELETED_GRACE, MWI_TTL, MessageWaiting

__all__ = [
    "MessageWaiting",
    "MwiCache",
    "TranscriptionQueue",
    "Voicemail",
    "VoicemailBoxRepo",
    "VoicemailMessageRepo",
    "VoicemailTranscriptionRepo",
]


class VoicemailBoxRepo(TenantRepo[VoicemailBox, VoicemailBoxCreate, VoicemailBoxUpdate]):
    """``voicemail_boxes``: a voicemail box, its PIN, greetings, limits and notification preferences."""


class VoicemailMessageRepo(TenantRepo[VoicemailMessage, VoicemailMessageCreate, VoicemailMessageUpdate]):
    """``voicemail_messages``: a voicemail message in one folder of a box."""


class VoicemailTranscriptionRepo(
    TenantRepo[VoicemailTranscription, VoicemailTranscriptionCreate, VoicemailTranscriptionUpdate]
):
    """``voicemail_transcriptions``: the transcription of one message, and its job in the work queue."""


class MwiCache(Store):
    """Message-waiting counts in Redis (``mwi:{box_id}``): read before the database, dropped by every write.

    Takes the arguments of the cache stores (a client from ``warp_repo.cache.async_connect``, key names). An
    entry lives ``ttl`` seconds at most, which also bounds how long a count filled by a reader racing a write
    (read before the write committed, stored after it dropped the entry) can stay behind.
    """

    _what = "message-waiting cache"

    def get_many(self, box_ids: Iterable[UUID]) -> dict[UUID, MessageWaiting]:
        """The cached counts of the boxes that have an entry.

        Raises:
            CacheUnavailable: Redis did not answer.
            CacheDataError: an entry is not a box's counts.
        """
        found: dict[UUID, MessageWaiting] = {}
        for box_id in box_ids:
            key = self._keys.mwi(box_id)
            fields = self._read(key)
            if fields:
                found[box_id] = q.mwi_from_redis(box_id, fields, key)
        return found

    def put(self, counts: Iterable[MessageWaiting], *, ttl: int = MWI_TTL) -> None:
        """Store the boxes' counts for ``ttl`` seconds.

        Raises:
            CacheUnavailable: Redis did not answer; an entry may or may not be stored.
        """
        for value in counts:
            self._store(self._keys.mwi(value.box_id), q.mwi_to_redis(value), ttl)

    def _read(self, key: str) -> dict[Any, Any]:
        return self._idempotent("read message-waiting counts", lambda: self._client.hgetall(key))

    def _store(self, key: str, fields: dict[Any, Any], ttl: int) -> None:
        self._idempotent("store message-waiting counts", lambda: self._client.hset(key, mapping=fields))
        self._idempotent("store message-waiting counts", lambda: self._client.expire(key, ttl))

    def invalidate(self, box_ids: Iterable[UUID]) -> None:
        """Drop the boxes' entries (after a write changed their counts).

        Raises:
            CacheUnavailable: Redis did not answer; the entries may still be there until they expire.
        """
        keys = [self._keys.mwi(box_id) for box_id in set(box_ids)]
        if keys:
            self._idempotent("drop message-waiting counts", lambda: self._client.delete(*keys))


class Voicemail(Service):
    """The voicemail server's questions for one organization.

    Example::

        voicemail = Voicemail(conn, org_id)
        message = voicemail.deposit(VoicemailMessageCreate(org_id=org_id, box_id=box.id, audio_url=url))
        (lamp,) = voicemail.message_waiting([box.id])
        notify(box.mailbox, lamp.summary())  # "1/0 (0/0)"

    Every statement runs in the organization's tenant context: a box or message of another organization is not
    found.
    """

    def __init__(self, conn: Connection[Any], org_id: UUID, *, cache: MwiCache | None = None) -> None:
        super().__init__(conn)
        self._org = org_id
        self._cache = cache

    @property
    def org_id(self) -> UUID:
        """The organization the service works for."""
        return self._org

    def deposit(self, create: VoicemailMessageCreate, *, engine: str = "default") -> VoicemailMessage:
        """Store a message in its box unless the box holds ``max_messages`` already (deleted ones not counted).

        When the box has ``transcription_enabled``, a transcription job for ``engine`` is queued with it, in the
        same transaction.

        Raises:
            NotFound: the box is not one of the organization's.
            LimitExceeded: the box is full.
            InvalidTransition: the box is disabled.
        """
        with self._atomic():
            found = self._first(q.LOCK_BOX, {"box": create.box_id}, _tuples, self._org, VoicemailBox)
            if found is None:
                raise NotFound(f"voicemail_boxes: no row with id = {create.box_id}", table="voicemail_boxes")
            limit, transcribe, enabled = found
            if not enabled:
                raise InvalidTransition(
                    f"voicemail box {create.box_id} is disabled: it takes no messages",
                    current="disabled",
                    requested="deposit",
                    table="voicemail_boxes",
                )
            held = int(self._first(q.HELD, {"box": create.box_id}, scalar, self._org, VoicemailMessage) or 0)
            if held >= limit:
                raise LimitExceeded(
                    f"voicemail box {create.box_id} is full ({held} of {limit} messages): delete some first",
                    limit_name="max_messages",
                    limit=limit,
                    current=held,
                    table="voicemail_boxes",
                )
            message = VoicemailMessageRepo(self._conn).for_org(self._org).insert(create)
            if transcribe:
                params = {"org": self._org, "message": message.id, "engine": engine, "language": None}
                self._run(q.ENQUEUE, params, self._org, VoicemailTranscription)
        self._invalidate([message.box_id])
        return message

    def folder(self, box_id: UUID, folder: Folder = "inbox", *, limit: int = 100) -> list[VoicemailMessage]:
        """A folder's messages: new before read, urgent first, newest first."""
        params = {"box": box_id, "folder": folder, "limit": limit}
        return self._all(q.LIST_FOLDER, params, rows_of(VoicemailMessage), self._org, VoicemailMessage)

    def move(self, message_id: UUID, folder: Folder) -> VoicemailMessage:
        """Move a message to ``folder``; moving to ``deleted`` stamps ``deleted_at`` (the clean-up's clock).

        Raises:
            NotFound: no such message in the organization.
        """
        return self._one(q.MOVE, {"message": message_id, "folder": folder}, message_id)

    def mark_read(self, message_id: UUID, read: bool = True) -> VoicemailMessage:
        """Mark a message read (the first read time is kept), or new again with ``read=False``.

        Raises:
            NotFound: no such message in the organization.
        """
        return self._one(q.MARK_READ, {"message": message_id, "read": read}, message_id)

    def _one(self, sql: LiteralString, params: dict[str, object], message_id: UUID) -> VoicemailMessage:
        found = self._first(sql, params, rows_of(VoicemailMessage), self._org, VoicemailMessage)
        if found is None:
            raise NotFound(f"voicemail_messages: no row with id = {message_id}", table="voicemail_messages")
        self._invalidate([found.box_id])
        return found

    def _invalidate(self, box_ids: list[UUID]) -> None:
        if self._cache is not None:
            self._cache.invalidate(box_ids)

    def message_waiting(self, box_ids: Iterable[UUID]) -> list[MessageWaiting]:
        """The message-waiting counts of the boxes, in one statement; boxes not of the organization are left out.

        With a cache, the boxes it holds are answered from it and the others read (in one statement) and stored.
        A box of another organization is never found, so never cached for this one.
        """
        boxes = list(dict.fromkeys(box_ids))
        if self._cache is None:
            return self._all(q.MWI, {"boxes": boxes}, q.mwi_rows, self._org, VoicemailMessage)
        cached = self._cache.get_many(boxes)
        missing = [b for b in boxes if b not in cached]
        if missing:
            found = self._all(q.MWI, {"boxes": missing}, q.mwi_rows, self._org, VoicemailMessage)
            self._cache.put(found)
            cached.update({m.box_id: m for m in found})
        return [cached[b] for b in boxes if b in cached]

    def clean_up(self, *, deleted_grace: timedelta = DELETED_GRACE) -> list[UUID]:
        """Remove the organization's expired messages and their transcriptions; their ids.

        Expired: in the deleted folder for longer than ``deleted_grace``, or older than the box's
        ``retention_days``.
        """
        gone = self._all(q.CLEAN_UP, {"grace": deleted_grace}, q.pairs, self._org, VoicemailMessage)
        self._invalidate([box for _, box in gone])
        return [message for message, _ in gone]


class TranscriptionQueue(Service):
    """The transcription work queue, shared by every organization's messages; several workers may claim at once.

    Example::

        queue = TranscriptionQueue(conn, worker="stt-1")
        for job in queue.claim(limit=4):
            try:
                text = transcribe(job)
            except Exception as exc:
                queue.fail(job.id, str(exc))
            else:
                queue.complete(job.id, text)

    A claim is one statement (``FOR UPDATE SKIP LOCKED``): concurrent workers never receive the same job. A job
    stays with its worker for ``lease``; when the worker dies, the job is claimable again once the lease ran out.
    A failed attempt is retried after a backoff that doubles, until ``max_attempts``. Workers serve every
    organization, so the statements run with the platform reach (a member of the platform role).
    """

    def __init__(
        self,
        conn: Connection[Any],
        worker: str,
        *,
        lease: timedelta = DEFAULT_LEASE,
        backoff: timedelta = DEFAULT_BACKOFF,
    ) -> None:
        super().__init__(conn)
        if not worker or len(worker) > 100:
            raise ValueError("worker names the claiming worker in 1 to 100 characters")
        self._worker = worker
        self._lease = lease
        self._backoff = backoff

    @property
    def worker(self) -> str:
        """The name claims are recorded under."""
        return self._worker

    def claim(self, limit: int = 1) -> list[VoicemailTranscription]:
        """Up to ``limit`` jobs for this worker, oldest first; an empty list when none is due.

        Jobs whose lease ran out on their last attempt are marked ``failed`` on the way and not returned.
        """
        params = {"worker": self._worker, "lease": self._lease, "limit": limit}
        claimed = self._all(q.CLAIM, params, rows_of(VoicemailTranscription), PLATFORM, VoicemailTranscription)
        return [job for job in claimed if job.status == "processing"]

    def complete(
        self,
        job_id: UUID,
        text: str,
        *,
        summary: str | None = None,
        confidence: Decimal | None = None,
        language: str | None = None,
        model: str | None = None,
    ) -> VoicemailTranscription:
        """Store the transcription of a job this worker holds.

        Raises:
            InvalidTransition: the job is not processing under this worker (its lease ran out and another
                worker took it over, or it is finished).
        """
        params = {
            "job": job_id,
            "worker": self._worker,
            "text": text,
            "summary": summary,
            "confidence": confidence,
            "language": language,
            "model": model,
        }
        return self._finish(q.COMPLETE, params, job_id, "completed")

    def fail(self, job_id: UUID, error: str) -> VoicemailTranscription:
        """Give a job back after a failed attempt: pending again after the backoff, or ``failed`` for good.

        Raises:
            InvalidTransition: the job is not processing under this worker.
        """
        params = {"job": job_id, "worker": self._worker, "error": error, "backoff": self._backoff}
        return self._finish(q.FAIL, params, job_id, "pending")

    def _finish(
        self, sql: LiteralString, params: dict[str, object], job_id: UUID, requested: str
    ) -> VoicemailTranscription:
        found = self._first(sql, params, rows_of(VoicemailTranscription), PLATFORM, VoicemailTranscription)
        if found is None:
            raise InvalidTransition(
                f"transcription job {job_id} is not processing under worker {self._worker}: its lease may have run "
                "out and another worker taken it over",
                current=None,
                requested=requested,
                table="voicemail_transcriptions",
            )
        return found


def _tuples(cursor: Any) -> RowMaker[tuple[int, bool, bool]]:
    return lambda values: (int(values[0]), bool(values[1]), bool(values[2]))
