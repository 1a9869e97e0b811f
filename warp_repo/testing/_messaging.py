"""Factories of the messaging domain: SMS/MMS records and bulk campaigns."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from warp_models import Message, MessageCreate, MessagingCampaign, MessagingCampaignCreate
from warp_repo.testing._data import SMS_ERRORS
from warp_repo.testing._factory import Factory, Plan
from warp_repo.testing._numbers import own_number
from warp_repo.testing._provider import sms_segments
from warp_repo.testing._unique import tag

_TEMPLATES = (
    "Hi {first_name}, your {company} appointment is tomorrow at {time}. Reply C to confirm.",
    "{company}: flash sale! 25% off with code SPRING25 until Sunday. Reply STOP to opt out.",
    "Hello {first_name}, your service will be upgraded tonight between 1 and 3 AM. No action is needed.",
    "{company} reminder: your invoice is due in 5 days. Pay at https://pay.example.com. Reply STOP to opt out.",
)


class MessageFactory(Factory[Message, MessageCreate]):
    """``messages``: SMS (segments counted from the body, GSM-7 or UCS-2) and MMS of an organization's numbers.

    ``message_id`` never repeats within a set; statuses, errors and delivery times agree with the direction.
    """

    shape = MessageCreate
    weights = {
        "direction": {"outbound": 70, "inbound": 30},
        "message_type": {"sms": 94, "mms": 6},
        "status": {"delivered": 82, "sent": 6, "undelivered": 4, "failed": 3, "queued": 2, "sending": 3, "received": 0},
    }

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng, telecom = self.random, self._set.telecom
        org = self._org(given, plan)
        own = own_number(self._set, org, plan, sms=True)
        direction = given.get("direction") or self.pick("direction")
        kind = given.get("message_type") or self.pick("message_type")
        status = given.get("status") or ("received" if direction == "inbound" else self.pick("status"))
        body = given.get("body") or telecom.sms_body(
            company=self._set.org_name(org), first=self._set.word("first_name"), day=self._set.word("day_of_week")
        )
        created = self._set.past(90)
        sent = created + timedelta(milliseconds=rng.randrange(150, 3000)) if status not in ("queued",) else None
        error = rng.choice(SMS_ERRORS) if status in ("failed", "undelivered") else None
        segments = 1 if kind == "mms" else sms_segments(body)
        rate = Decimal(f"{rng.uniform(0.015, 0.02) if kind == 'mms' else rng.uniform(0.004, 0.0079):.6f}")
        external = telecom.nanp_number().number if rng.random() < 0.95 else telecom.short_code()
        return {
            "id": self._set.uuid(),
            "message_id": f"SM{rng.getrandbits(104):026x}{tag(n)}",
            "org_id": org,
            "from_number": external if direction == "inbound" else own,
            "to_number": own if direction == "inbound" else external,
            "message_type": kind,
            "body": body,
            "media_urls": [f"https://media.example.com/{org}/{rng.getrandbits(64):016x}.jpg"] if kind == "mms" else [],
            "num_segments": segments,
            "direction": direction,
            "status": status,
            "error_code": error[0] if error else None,
            "error_message": error[1] if error else None,
            "sent_at": sent,
            "delivered_at": sent + timedelta(seconds=rng.randrange(1, 20)) if sent and status == "delivered" else None,
            "rate": rate,
            "cost": rate * segments,
            "metadata": {"carrier": rng.choice(("tmobile", "verizon", "att", "other"))},
            "created_at": created,
        }


class MessagingCampaignFactory(Factory[MessagingCampaign, MessagingCampaignCreate]):
    """``messaging_campaigns``: a bulk send from an organization's number; counters agree with the status."""

    shape = MessagingCampaignCreate
    weights = {
        "status": {
            "draft": 15,
            "scheduled": 15,
            "running": 10,
            "paused": 5,
            "completed": 45,
            "cancelled": 5,
            "failed": 5,
        }
    }

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng, telecom = self.random, self._set.telecom
        org = self._org(given, plan)
        recipients = given.get("recipient_list") or [telecom.nanp_number().number for _ in range(rng.randrange(5, 60))]
        total = len(recipients)
        status = given.get("status") or self.pick("status")
        created = self._set.past(120, after=2)
        scheduled = started = completed = None
        sent = delivered = failed = 0
        if status != "draft":
            scheduled = created + timedelta(hours=rng.randrange(1, 72))
        if status == "scheduled":
            scheduled = self._set.now + timedelta(hours=rng.randrange(1, 240))
        if status in ("running", "paused", "completed", "cancelled", "failed") and scheduled is not None:
            started = scheduled
            sent = total if status == "completed" else rng.randrange(0, total + 1)
            failed = round(sent * rng.uniform(0.0, 0.08))
            delivered = (
                sent - failed if status in ("completed", "running", "paused") else rng.randrange(0, sent - failed + 1)
            )
        if status == "completed" and started is not None:
            completed = started + timedelta(minutes=rng.randrange(1, 90))
        template = rng.choice(_TEMPLATES).replace("{company}", self._set.org_name(org))
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "name": f"{self._set.word('catch_phrase')} {created:%b %Y}",
            "from_number": own_number(self._set, org, plan, sms=True),
            "recipient_list": recipients,
            "message_template": template,
            "media_urls": [],
            "scheduled_at": scheduled,
            "started_at": started,
            "completed_at": completed,
            "total_recipients": total,
            "sent_count": sent,
            "delivered_count": delivered,
            "failed_count": failed,
            "status": status,
            "created_at": created,
            "updated_at": completed or started or created,
        }
