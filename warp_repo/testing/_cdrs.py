"""Factory of call detail records: calls of an organization, through its trunk, to or from its numbers."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from warp_models import Cdr, CdrCreate
from warp_repo.testing._data import TOLL_FREE_NPAS
from warp_repo.testing._factory import Factory, Plan, require_id
from warp_repo.testing._numbers import own_number
from warp_repo.testing._provider import Destination
from warp_repo.testing._unique import tag

_POPS = ("us-east-1", "us-central-1", "us-west-2")
_MINUTE = Decimal(60)


class CdrFactory(Factory[Cdr, CdrCreate]):
    """``cdrs``: a call of an organization, through one of its trunks, from or to one of its numbers.

    Without ``trunk_id``, a trunk the set made for the organization is used (``create`` makes one when there is
    none); the organization's side of the call is one of its numbers the same way. About 58 % of attempts are
    answered; talk time is log-normal (median 75 s), billed in 6-second increments; start times follow the
    working week and the working day (US time), over the 90 days before the set's ``now``. ``call_id`` never
    repeats within a set.
    """

    shape = CdrCreate

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng, telecom, known = self.random, self._set.telecom, self._set._known
        org = self._org(given, plan)
        trunk_id = cast(UUID | None, given.get("trunk_id")) or self._trunk(org, plan)
        trunk = known.trunk(trunk_id) if trunk_id is not None else None
        own = own_number(self._set, org, plan)
        inbound = bool(given["inbound"]) if "inbound" in given else rng.random() < 0.35
        roll = rng.random()
        destination: Destination
        if inbound or roll < 0.85:
            external, destination = telecom.nanp_number().number, "domestic"
        elif roll < 0.9:
            external, destination = telecom.toll_free_number(), "toll_free"
        else:
            external, destination = telecom.e164(telecom.international_country()), "international"
        if inbound:
            destination = "toll_free" if own.startswith("+1") and own[2:5] in TOLL_FREE_NPAS else "domestic"
        start = given.get("start_time") or self._set.busy_instant(90)
        outcome = telecom.call_outcome()
        customer, carrier = telecom.ipv4_public(), telecom.ipv4_public()
        values: dict[str, Any] = {
            "id": self._set.uuid(),
            "call_id": f"{rng.getrandbits(48):012x}{tag(n)}@{customer if not inbound else carrier}",
            "org_id": org,
            "trunk_id": trunk_id,
            "from_number": external if inbound else own,
            "to_number": own if inbound else external,
            "start_time": start,
            "inbound": inbound,
            "source_ip": carrier if inbound else customer,
            "destination_ip": customer if inbound else carrier,
            "sip_response_code": outcome.sip_code,
            "termination_cause": outcome.cause,
            "metadata": {"pop": rng.choice(_POPS)},
        }
        if outcome.answered:
            ring = max(1, min(round(rng.lognormvariate(1.6, 0.5)), 45))
            talk = int(telecom.call_duration().total_seconds())
            answer = start + timedelta(seconds=ring)
            end = answer + timedelta(seconds=talk)
            billable = 6 * math.ceil(talk / 6)
            rate = telecom.per_minute_rate(destination)
            if inbound and destination == "domestic":
                rate = (rate / 2).quantize(Decimal("0.000001"))
            loss, jitter = telecom.packet_loss(), telecom.jitter_ms()
            codec = trunk.codecs[0] if trunk is not None and trunk.codecs else telecom.codec()
            values |= {
                "answer_time": answer,
                "end_time": end,
                "duration": ring + talk,
                "billable_duration": billable,
                "mos_score": telecom.mos_score(loss, jitter),
                "packet_loss": loss,
                "jitter_avg": jitter,
                "rtt_avg": telecom.rtt_ms(),
                "rate": rate,
                "cost": Decimal(billable) / _MINUTE * rate,
                "codecs_used": [codec, "telephone-event"] if rng.random() < 0.2 else [codec],
                "recording_url": (
                    f"s3://warp-recordings/{org}/{start:%Y/%m/%d}/{values['call_id']}.wav"
                    if rng.random() < 0.08
                    else None
                ),
            }
        else:
            ring = {486: rng.randrange(1, 4), 487: rng.randrange(2, 30), 480: rng.randrange(25, 61)}.get(
                outcome.sip_code, rng.randrange(0, 3)
            )
            end = start + timedelta(seconds=ring)
            values |= {"end_time": end, "duration": ring, "billable_duration": 0, "codecs_used": []}
        values["billed"] = end < self._set.now - timedelta(hours=1) and rng.random() < 0.97
        values["created_at"] = end + timedelta(seconds=rng.randrange(1, 30))
        return values

    def _trunk(self, org: UUID, plan: Plan | None) -> UUID | None:
        trunks = self._set._known.ids("sip_trunks", org)
        if trunks:
            return self.random.choice(trunks)
        if plan is not None:
            return require_id(self._set.trunk._make({"org_id": org}, plan))
        return None
