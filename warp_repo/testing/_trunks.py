"""Factories of the trunks domain: SIP trunks, their registrations and their IP access lists."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from warp_models import (
    SipTrunk,
    SipTrunkCreate,
    TrunkAcl,
    TrunkAclCreate,
    TrunkRegistration,
    TrunkRegistrationCreate,
)
from warp_repo.testing._factory import Factory, Plan, require_id
from warp_repo.testing._provider import _PUBLIC_FIRST_OCTETS
from warp_repo.testing._unique import Permutation, tag

if TYPE_CHECKING:
    from warp_repo.testing._set import Factories

_TRUNK_NAMES = ("primary", "backup", "east", "west", "sbc", "pbx", "hq", "dr", "voice", "callcenter")
_ACL_NOTES = ("HQ PBX", "Backup SBC", "Office NAT", "Call center", "DR site", "Carrier interconnect", None)


class SipTrunkFactory(Factory[SipTrunk, SipTrunkCreate]):
    """``sip_trunks``: names unique within the set (so within each organization) and SIP user names unique."""

    shape = SipTrunkCreate
    parent = True
    weights = {
        "auth_type": {"digest": 60, "ip": 25, "digest_and_ip": 15},
        "status": {"active": 88, "inactive": 8, "suspended": 4},
        "transport": {"UDP": 60, "TCP": 15, "TLS": 20, "WS": 2, "WSS": 3},
        "dtmf_mode": {"RFC2833": 80, "INFO": 5, "INBAND": 5, "AUTO": 10},
    }

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng, telecom = self.random, self._set.telecom
        org = self._org(given, plan)
        auth = given.get("auth_type") or self.pick("auth_type")
        status = given.get("status") or self.pick("status")
        transport = given.get("transport") or self.pick("transport")
        codecs = telecom.codec_offer()
        channels = rng.choice((10, 23, 30, 50, 100, 100, 200, 500))
        if transport == "TLS":
            srtp = rng.choice(("required", "required", "optional"))
        else:
            srtp = rng.choices(("disabled", "optional", "required"), weights=(50, 45, 5))[0]
        siblings = self._set._known.ids("sip_trunks", org)
        created = self._set.past(400, after=1)
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "name": f"{rng.choice(_TRUNK_NAMES)}-{tag(n, 4)}",
            "username": f"{self._set.org_slug(org)[:40]}.{str(org).replace('-', '')[:6]}{tag(n, 5)}",
            "password_hash": f"{rng.getrandbits(128):032x}" if auth != "ip" else None,
            "auth_type": auth,
            "status": status,
            "max_channels": channels,
            "channels_in_use": rng.randrange(0, channels // 2 + 1) if status == "active" else 0,
            "allowed_ips": [telecom.cidr() for _ in range(rng.randrange(1, 4))] if auth != "digest" else [],
            "transport": transport,
            "nat_enabled": rng.random() < 0.3,
            "codecs": codecs,
            "dtmf_mode": self.pick("dtmf_mode"),
            "fax_enabled": "T38" in codecs or rng.random() < 0.05,
            "srtp_mode": srtp,
            "inbound_context": "from-trunk" if rng.random() < 0.7 else f"from-{self._set.org_slug(org)[:60]}",
            "outbound_proxy": f"sip:{telecom.ipv4_public()}:5060" if rng.random() < 0.2 else None,
            "failover_trunk_id": rng.choice(siblings) if siblings and rng.random() < 0.3 else None,
            "metadata": {"region": rng.choice(("us-east", "us-central", "us-west")), "pbx": telecom.sip_user_agent()},
            "created_at": created,
            "updated_at": self._set.after(created),
        }


def trunk_for(factories: Factories, given: dict[str, Any], plan: Plan | None, *, reuse: bool) -> UUID:
    """The trunk of a row.

    Given, else one the set made for ``given["org_id"]`` (when ``reuse``), else a new one (planned), else, when
    only building, a fresh id.
    """
    trunk = given.get("trunk_id")
    if trunk is not None:
        return cast(UUID, trunk)
    org = given.get("org_id")
    known = factories._known.ids("sip_trunks", org) if reuse else []
    if known:
        return known[factories.random.randrange(len(known))]
    if plan is not None:
        return require_id(factories.trunk._make({"org_id": org} if org is not None else {}, plan))
    return factories.uuid()


class TrunkRegistrationFactory(Factory[TrunkRegistration, TrunkRegistrationCreate]):
    """``trunk_registrations``: one per trunk, so a new trunk each time unless ``trunk_id`` is given.

    ``org_id=`` (not a column) says which organization the new trunk belongs to.
    """

    shape = TrunkRegistrationCreate
    context = frozenset({"org_id"})
    weights = {"status": {"online": 75, "offline": 12, "expired": 8, "failed": 5}}

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng, telecom = self.random, self._set.telecom
        trunk_id = trunk_for(self._set, given, plan, reuse=False)
        trunk = self._set._known.trunk(trunk_id)
        status = given.get("status") or self.pick("status")
        host = telecom.ipv4_public()
        port = rng.choice((5060, 5060, 5080, 5062))
        seen = self._set.now - timedelta(seconds=rng.randrange(5, 3600))
        if status == "expired":
            seen = self._set.past(30, after=1)
        transport = trunk.transport if trunk is not None and trunk.transport else "UDP"
        return {
            "trunk_id": trunk_id,
            "contact": telecom.sip_contact_uri(trunk.username if trunk else None, host, transport),
            "received": f"{host}:{port}",
            "user_agent": telecom.sip_user_agent(),
            "expires_at": seen + timedelta(seconds=rng.choice((600, 1800, 3600))),
            "last_seen": seen,
            "status": status,
        }


class TrunkAclFactory(Factory[TrunkAcl, TrunkAclCreate]):
    """``trunk_acl``: addresses unique within the set, so never twice on one trunk.

    Without ``trunk_id``, a trunk the set made for ``org_id`` (not a column) is used, else a new one.
    """

    shape = TrunkAclCreate
    context = frozenset({"org_id"})

    def __init__(self, factories: Factories) -> None:
        super().__init__(factories)
        self._v4 = Permutation.random(2**24, self.random)
        self._v6 = Permutation.random(2**32, self.random)

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        trunk_id = trunk_for(self._set, given, plan, reuse=True)
        address: ipaddress.IPv4Address | ipaddress.IPv6Address
        if rng.random() < 0.95:
            octets = _PUBLIC_FIRST_OCTETS
            first, rest = octets[n % len(octets)], self._v4(n // len(octets))
            address = ipaddress.IPv4Address((first << 24) | rest)
            mask = rng.choices((32, 30, 29, 28, 24), weights=(80, 5, 5, 4, 6))[0]
        else:
            address = ipaddress.IPv6Address((0x2600 << 112) | (self._v6(n) << 64) | rng.getrandbits(64))
            mask = rng.choice((128, 64, 56, 48))
        return {
            "id": self._set.uuid(),
            "trunk_id": trunk_id,
            "ip_address": address,
            "subnet_mask": mask,
            "description": rng.choice(_ACL_NOTES),
            "created_at": self._set.past(300),
        }
