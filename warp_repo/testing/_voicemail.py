"""Factories of the voicemail domain: boxes, messages and transcriptions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from warp_models import (
    VoicemailBox,
    VoicemailBoxCreate,
    VoicemailMessage,
    VoicemailMessageCreate,
    VoicemailTranscription,
    VoicemailTranscriptionCreate,
)
from warp_repo.testing._factory import Factory, Plan, require_id
from warp_repo.testing._unique import tag


class VoicemailBoxFactory(Factory[VoicemailBox, VoicemailBoxCreate]):
    """``voicemail_boxes``: mailboxes unique within the set; shared boxes (no extension) unless ``extension_id``."""

    shape = VoicemailBoxCreate
    parent = True

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        users = self._set._known.ids("users", org)
        created = self._set.past(400, after=1)
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "mailbox": str(5000 + n),
            "extension_id": None,
            "user_id": rng.choice(users) if users and rng.random() < 0.7 else None,
            "pin_hash": self._set.password_hash() if rng.random() < 0.8 else None,
            "enabled": True,
            "active_greeting": rng.choice(("default", "default", "unavailable", "busy", "temporary")),
            "greetings": {},
            "notify_email": f"vm{tag(n, 4)}@{self._set.org_domain(org)}" if rng.random() < 0.7 else None,
            "attach_audio": True,
            "include_transcription": True,
            "delete_after_notify": False,
            "notify_sms_number": None,
            "mwi_enabled": True,
            "transcription_enabled": rng.random() < 0.5,
            "language": "en",
            "time_zone": rng.choice(("UTC", "America/New_York", "America/Chicago", "America/Los_Angeles")),
            "max_messages": rng.choice((50, 100, 100, 200)),
            "max_message_seconds": 300,
            "retention_days": rng.choice((None, 30, 90)),
            "metadata": {},
            "created_at": created,
            "updated_at": self._set.after(created),
        }


class VoicemailMessageFactory(Factory[VoicemailMessage, VoicemailMessageCreate]):
    """``voicemail_messages``: messages in a box of the organization (a new one unless ``box_id``)."""

    shape = VoicemailMessageCreate
    parent = True
    weights = {"folder": {"inbox": 70, "saved": 25, "deleted": 5}}

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        box = given.get("box_id")
        if box is None:
            boxes = self._set._known.ids("voicemail_boxes", org)
            if boxes:
                box = rng.choice(boxes)
            elif plan is not None:
                box = require_id(self._set.voicemail_box._make({"org_id": org}, plan))
            else:
                box = self._set.uuid()
        folder = given.get("folder") or self.pick("folder")
        received = self._set.past(60)
        duration = rng.randrange(3, 180)
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "box_id": box,
            "call_id": self._set.telecom.call_id(),
            "caller_id_name": self._set.word("last_name")[:100] if rng.random() < 0.6 else None,
            "caller_id_number": self._set.telecom.e164(),
            "folder": folder,
            "urgent": rng.random() < 0.05,
            "duration_seconds": duration,
            "audio_url": f"s3://voicemail/{org}/{tag(n, 6)}",
            "audio_format": rng.choice(("wav", "wav", "mp3", "opus")),
            "audio_size_bytes": duration * 16_000,
            "forwarded_by": None,
            "received_at": received,
            "read_at": None if folder == "inbox" and rng.random() < 0.6 else received + timedelta(hours=1),
            "deleted_at": received + timedelta(days=1) if folder == "deleted" else None,
            "metadata": {},
        }


class VoicemailTranscriptionFactory(Factory[VoicemailTranscription, VoicemailTranscriptionCreate]):
    """``voicemail_transcriptions``: one per message (a new message unless ``message_id``), in any queue state.

    ``status="pending"`` makes a job waiting in the queue; a completed one carries its text, a processing one its
    worker and lease.
    """

    shape = VoicemailTranscriptionCreate
    weights = {"status": {"pending": 30, "processing": 10, "completed": 55, "failed": 5}}

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        org = self._org(given, plan)
        message = given.get("message_id")
        if message is None:
            if plan is not None:
                message = require_id(self._set.voicemail_message._make({"org_id": org}, plan))
            else:
                message = self._set.uuid()
        rng = self.random
        status = given.get("status") or self.pick("status")
        requested = self._set.past(1)
        started = requested + timedelta(seconds=rng.randrange(1, 60)) if status != "pending" else None
        done = started + timedelta(seconds=rng.randrange(2, 30)) if started and status != "processing" else None
        text = "Hi, this is a message about your account, please call me back." if status == "completed" else None
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "message_id": message,
            "status": status,
            "engine": rng.choice(("whisper", "deepgram", "google")),
            "model": None,
            "language": "en",
            "text": text,
            "summary": None,
            "confidence": Decimal(rng.randrange(700, 1000)) / 1000 if text else None,
            "segments": [{"start": 0.0, "end": 4.2, "text": text, "confidence": 0.93}] if text else [],
            "attempts": 0 if status == "pending" else rng.randrange(1, 3) if status != "failed" else 5,
            "max_attempts": 5,
            "available_at": requested,
            "claimed_by": f"stt-{rng.randrange(1, 4)}" if started else None,
            "lease_expires_at": started + timedelta(minutes=5) if status == "processing" and started else None,
            "error_message": "engine timed out" if status == "failed" else None,
            "processing_seconds": Decimal((done - started).seconds) if done and started else None,
            "requested_at": requested,
            "started_at": started,
            "completed_at": done,
            "updated_at": done or started or requested,
        }
