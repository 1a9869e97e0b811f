"""Factories of the extensions domain: extensions and dial plan rules."""

from __future__ import annotations

from typing import Any

from warp_models import DialPlan, DialPlanCreate, Extension, ExtensionCreate
from warp_repo.testing._factory import Factory, Plan
from warp_repo.testing._unique import tag

_CLASSES = ("internal", "local", "national", "international", "toll_free", "premium", "emergency")


class ExtensionFactory(Factory[Extension, ExtensionCreate]):
    """``extensions``: numbers 1000 upwards, unique within the set; user lines register with a digest HA1."""

    shape = ExtensionCreate
    parent = True
    weights = {
        "extension_type": {"user": 80, "ring_group": 8, "queue": 5, "ivr": 3, "conference": 2, "feature_code": 2},
        "status": {"active": 95, "disabled": 5},
    }

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        kind = given.get("extension_type") or self.pick("extension_type")
        users = self._set._known.ids("users", org)
        registering = kind == "user"
        number = f"*{n}" if kind == "feature_code" else str(1000 + n)
        classes = ["internal", "local", "national", "toll_free", "emergency"]
        if rng.random() < 0.3:
            classes.append("international")
        forward: dict[str, Any] = {}
        if rng.random() < 0.3:
            forward = {
                "busy": {"enabled": True, "destination": str(1000 + rng.randrange(0, 50))},
                "no_answer": {"enabled": rng.random() < 0.8, "destination": f"+1415555{rng.randrange(10_000):04d}"},
            }
        created = self._set.past(400, after=1)
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "extension": number,
            "extension_type": kind,
            "user_id": rng.choice(users) if users and registering else None,
            "display_name": f"{self._set.word('first_name')} {self._set.word('last_name')}" if registering else None,
            "sip_username": f"{self._set.org_slug(org)[:40]}-{number}.s{self._set.seed}.{tag(n, 5)}"
            if registering
            else None,
            "password_hash": f"{rng.getrandbits(128):032x}" if registering else None,
            "max_registrations": rng.choice((1, 2, 3, 3, 5)),
            "context": "internal",
            "caller_id_name": self._set.org_name(org)[:100] if rng.random() < 0.5 else None,
            "allowed_call_classes": classes,
            "call_timeout": rng.choice((20, 25, 30, 30, 45)),
            "do_not_disturb": rng.random() < 0.05,
            "forwarding": forward,
            "settings": {},
            "status": given.get("status") or self.pick("status"),
            "metadata": {},
            "created_at": created,
            "updated_at": self._set.after(created),
        }


class DialPlanFactory(Factory[DialPlan, DialPlanCreate]):
    """``dial_plans``: rules of the ``internal`` context: extensions, national, international, emergency."""

    shape = DialPlanCreate
    weights = {"match_type": {"prefix": 60, "exact": 20, "pattern": 20}}

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        kind = given.get("match_type") or self.pick("match_type")
        call_class = rng.choice(_CLASSES)
        if kind == "exact":
            pattern = rng.choice(("911", "933", "411", "*97"))
        elif kind == "prefix":
            pattern = rng.choice(("1", "011", "0", "9", "8"))
        else:
            pattern = rng.choice((r"^1\d{3}$", r"^011\d+$", r"^[2-9]\d{9}$"))
        action = rng.choice(("bridge", "extension", "route", "lcr", "voicemail"))
        created = self._set.past(365, after=1)
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "name": f"{call_class}-{tag(n, 5)}",
            "context": "internal",
            "priority": rng.choice((10, 50, 100, 100, 200)),
            "enabled": rng.random() < 0.95,
            "match_type": kind,
            "match_pattern": pattern,
            "time_condition": {},
            "transform_rules": {},
            "call_class": call_class,
            "actions": [{"type": action, "target": None, "params": {}}],
            "continue_on_match": rng.random() < 0.1,
            "description": None,
            "metadata": {},
            "created_at": created,
            "updated_at": self._set.after(created),
        }
