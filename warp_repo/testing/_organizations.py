"""Factories of the organizations domain: tenants, their settings, users, API keys and the audit trail."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from warp_models import (
    ApiKey,
    ApiKeyCreate,
    AuditLog,
    AuditLogCreate,
    Organization,
    OrganizationCreate,
    OrganizationSettings,
    OrganizationSettingsCreate,
    User,
    UserCreate,
)
from warp_models.types import OrgFeatures, RateLimits
from warp_repo.secrets import API_KEY_PREFIX, MFA_SECRET, api_key_lookup_hashes
from warp_repo.testing._data import API_RESOURCES, AUDIT_ACTIONS, COUNTRY_PLANS
from warp_repo.testing._factory import Factory, Plan
from warp_repo.testing._unique import Permutation, tag

if TYPE_CHECKING:
    from warp_repo.testing._set import Factories

_INDUSTRIES = ("healthcare", "retail", "logistics", "education", "finance", "hospitality", "software", "legal")
_KEY_NAMES = ("CI deploy", "Billing sync", "CRM integration", "Monitoring", "Provisioning script", "Call analytics")
_TIMEZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix")
_RESOURCE_TYPES = ("sip_trunks", "phone_numbers", "routing_rules", "users", "api_keys", "invoices", "e911_addresses")


class OrganizationFactory(Factory[Organization, OrganizationCreate]):
    """``organizations``: a carrier account; about 60 % carry a (unique) FCC filer id."""

    shape = OrganizationCreate
    parent = True
    weights = {
        "status": {"active": 86, "pending": 5, "suspended": 6, "closed": 3},
        "tier": {"standard": 55, "premium": 25, "enterprise": 14, "wholesale": 6},
    }

    def __init__(self, factories: Factories) -> None:
        super().__init__(factories)
        self._filer = Permutation.random(10**6, self.random)

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        created = self._set.past(720, after=30)
        filer = f"{self._filer(n):06d}" if n < 10**6 and self.random.random() < 0.6 else None
        return {
            "id": self._set.uuid(),
            "name": self._set.word("company"),
            "fcc_filer_id": filer,
            "status": self.pick("status"),
            "tier": self.pick("tier"),
            "metadata": {"industry": self.random.choice(_INDUSTRIES), "account_manager": self._set.word("name")},
            "created_at": created,
            "updated_at": self._set.after(created),
        }


class OrganizationSettingsFactory(Factory[OrganizationSettings, OrganizationSettingsCreate]):
    """``organization_settings``: one row per organization (a new organization each unless ``org_id`` is given)."""

    shape = OrganizationSettingsCreate

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        regions = ["US"] + [iso for iso in COUNTRY_PLANS if rng.random() < 0.15]
        return {
            "org_id": self._org(given, plan),
            "max_trunks": rng.choice((5, 10, 10, 25, 50)),
            "max_numbers": rng.choice((100, 1000, 1000, 5000, 25_000)),
            "max_concurrent_calls": rng.choice((100, 500, 1000, 10_000)),
            "allowed_regions": regions,
            "features": OrgFeatures(
                sms=rng.random() < 0.7,
                mms=rng.random() < 0.35,
                fax=rng.random() < 0.1,
                e911=rng.random() < 0.8,
                cnam=rng.random() < 0.4,
                call_recording=rng.random() < 0.25,
                lcr=rng.random() < 0.5,
                stir_shaken=rng.random() < 0.9,
                number_porting=rng.random() < 0.3,
            ),
            "rate_limits": RateLimits(
                api_requests_per_minute=rng.choice((600, 1200, 3000, 6000)),
                calls_per_second=rng.choice((5, 10, 20, 50)),
                messages_per_second=rng.choice((1, 10, 30, 100)),
                concurrent_calls=rng.choice((50, 100, 250, 1000)),
            ),
            "updated_at": self._set.past(60),
        }


class UserFactory(Factory[User, UserCreate]):
    """``users``: people of an organization; user names and e-mail addresses never repeat within a set."""

    shape = UserCreate
    parent = True
    weights = {
        "role": {"owner": 8, "admin": 15, "user": 60, "billing": 7, "readonly": 10},
        "status": {"active": 85, "invited": 8, "suspended": 4, "disabled": 3},
    }

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        first, last = _ascii(self._set.word("first_name")), _ascii(self._set.word("last_name"))
        status = self.pick("status")
        mfa = rng.random() < 0.4
        if given.get("mfa_enabled") is not None:
            mfa = bool(given["mfa_enabled"])  # a user asked for with MFA gets a secret, one without none
        created = self._set.past(540, after=1)
        generated = self._set.uuid()
        row_id = given.get("id") or generated  # the ciphertext is bound to the row it is stored in
        totp = base64.b32encode(rng.randbytes(20)).decode()
        return {
            "id": generated,
            "org_id": org,
            "email": f"{first}.{last}.{tag(n, 4)}@{self._set.org_domain(org)}",
            # The organization's id keeps names of different factory sets (other seeds) apart in one database.
            "username": f"{first[:1]}{last}.{str(org).replace('-', '')[:6]}{tag(n, 4)}",
            "password_hash": self._set.password_hash(),
            "role": self.pick("role"),
            "status": status,
            "mfa_enabled": mfa,
            "mfa_secret": self._set.encrypt(MFA_SECRET, totp, row_id=row_id, org_id=org) if mfa else None,
            "last_login": self._set.past(30) if status == "active" and rng.random() < 0.9 else None,
            "metadata": {"timezone": rng.choice(_TIMEZONES), "locale": "en-US"},
            "created_at": created,
            "updated_at": self._set.after(created),
        }


class ApiKeyFactory(Factory[ApiKey, ApiKeyCreate]):
    """``api_keys``: keys of an organization, made by one of its users when the set knows one."""

    shape = ApiKeyCreate
    parent = True
    weights = {"status": {"active": 85, "revoked": 10, "expired": 5}}

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        users = self._set._known.ids("users", org)
        status = self.pick("status")
        created = self._set.past(365, after=2)
        expires: datetime | None
        if status == "expired":
            expires = self._set.past(1, after=0.01)
        else:
            expires = self._set.now + timedelta(days=rng.randrange(30, 366)) if rng.random() < 0.6 else None
        # A token as issue_api_key makes one (never stored, never shown), hashed under the set's pepper.
        token = f"{API_KEY_PREFIX}_{org.hex}_{base64.urlsafe_b64encode(rng.randbytes(32)).decode().rstrip('=')}"
        if rng.random() < 0.15:
            permissions = ["*"]
        else:
            resources = rng.sample(API_RESOURCES, rng.randrange(1, 4))
            permissions = [f"{r}:{rng.choice(('read', 'read', 'write', 'admin', '*'))}" for r in resources]
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "user_id": rng.choice(users) if users else None,
            "key_hash": api_key_lookup_hashes(token, self._set.peppers)[0],
            "name": rng.choice(_KEY_NAMES),
            "permissions": permissions,
            "rate_limit": rng.choice((600, 1000, 1000, 3000, 10_000)),
            "last_used": self._set.past(14) if status == "active" and rng.random() < 0.8 else None,
            "expires_at": expires,
            "status": status,
            "created_at": created,
        }


class AuditLogFactory(Factory[AuditLog, AuditLogCreate]):
    """``audit_logs``: who did what from where, by one of the organization's users when the set knows one."""

    shape = AuditLogCreate

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = given["org_id"] if "org_id" in given else self._org(given, plan)
        users = self._set._known.ids("users", org)
        keys = self._set._known.ids("api_keys", org)
        actions, weights = zip(*AUDIT_ACTIONS, strict=True)
        action = rng.choices(actions, weights=weights)[0]
        by_key = bool(keys) and action in ("insert", "update", "delete", "export") and rng.random() < 0.4
        address = self._set.telecom.ipv4_public() if rng.random() < 0.9 else self._set.telecom.ipv6_global()
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "user_id": rng.choice(users) if users and not by_key else None,
            "api_key_id": rng.choice(keys) if by_key else None,
            "action": action,
            "resource_type": rng.choice(_RESOURCE_TYPES),
            "resource_id": str(self._set.uuid()),
            "ip_address": address,
            "user_agent": self._set.word("user_agent") if not by_key else "warp-sdk-python/0.1",
            "metadata": {"request_id": f"{rng.getrandbits(64):016x}"},
            "created_at": self._set.past(90),
        }


def _ascii(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum()) or "user"
