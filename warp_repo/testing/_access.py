"""Factories of the access domain: permission matrix cells and API call records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_args

from warp_models import ApiAuditLog, ApiAuditLogCreate, PermissionMatrix, PermissionMatrixCreate
from warp_models.access import Action, Resource
from warp_repo.testing._factory import Factory, Plan

_RESOURCES: tuple[str, ...] = get_args(Resource)
_ACTIONS: tuple[str, ...] = get_args(Action)
_CALLS = (
    ("billing", "invoice.read", "GET", "invoices"),
    ("billing", "invoice.create", "POST", "invoices"),
    ("numbers", "number.search", "GET", "phone_numbers"),
    ("routing", "rule.update", "PATCH", "routing_rules"),
    ("devices", "device.provision", "GET", "devices"),
    ("voicemail", "message.list", "GET", "voicemail_messages"),
    ("core", "trunk.read", "GET", "sip_trunks"),
)


class PermissionMatrixFactory(Factory[PermissionMatrix, PermissionMatrixCreate]):
    """``permission_matrices``: cells unique within the set: each draws the next (role, resource, action)."""

    shape = PermissionMatrixCreate
    weights = {"effect": {"allow": 85, "deny": 15}, "scope": {"org": 75, "own": 25}}

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        org = self._org(given, plan)
        roles = ("owner", "admin", "user", "billing", "readonly")
        cell = n % (len(roles) * len(_RESOURCES) * len(_ACTIONS))
        role, rest = divmod(cell, len(_RESOURCES) * len(_ACTIONS))
        resource, action = divmod(rest, len(_ACTIONS))
        created = self._set.past(200, after=1)
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "role": roles[role],
            "resource": _RESOURCES[resource],
            "action": _ACTIONS[action],
            "scope": self.pick("scope"),
            "effect": self.pick("effect"),
            "conditions": {},
            "created_at": created,
            "updated_at": self._set.after(created),
        }


class ApiAuditLogFactory(Factory[ApiAuditLog, ApiAuditLogCreate]):
    """``api_audit_logs``: calls of an organization by one of its users or keys (when the set knows some)."""

    shape = ApiAuditLogCreate

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        users = self._set._known.ids("users", org)
        keys = self._set._known.ids("api_keys", org)
        service, action, method, resource = rng.choice(_CALLS)
        by_key = bool(keys) and rng.random() < 0.6
        code = rng.choices((200, 201, 204, 400, 401, 403, 404, 409, 429, 500), weights=(60, 8, 4, 5, 3, 3, 6, 2, 2, 1))
        created = self._set.now - timedelta(seconds=rng.randrange(0, 30 * 86_400))
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "user_id": rng.choice(users) if users and not by_key else None,
            "api_key_id": rng.choice(keys) if by_key else None,
            "request_id": f"req_{rng.getrandbits(64):016x}",
            "service": service,
            "action_type": action,
            "http_method": method,
            "path": f"/v1/{resource}",
            "resource_type": resource,
            "resource_id": str(self._set.uuid()) if method != "GET" else None,
            "request_payload": {"fields": ["id", "status"]} if method in ("POST", "PATCH") else None,
            "response_code": code[0],
            "latency_ms": rng.randrange(2, 900),
            "ip_address": self._set.telecom.ipv4_public(),
            "user_agent": "warp-sdk/1.4 python/3.12",
            "created_at": created.replace(microsecond=0),
        }
