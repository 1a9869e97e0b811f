"""Factories of the devices domain: configurations, the firmware catalog, devices and their health samples."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from warp_models import (
    Device,
    DeviceConfiguration,
    DeviceConfigurationCreate,
    DeviceCreate,
    DeviceHealthMetric,
    DeviceHealthMetricCreate,
    FirmwareVersion,
    FirmwareVersionCreate,
)
from warp_repo.testing._factory import Factory, Plan, require_id
from warp_repo.testing._unique import Permutation, tag

if TYPE_CHECKING:
    from warp_repo.testing._set import Factories

# Vendors, their organizationally unique identifiers (the first half of their phones' MAC addresses) and models.
VENDORS: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("yealink", 0x805EC0, ("T54W", "T46U", "T33G", "W76P")),
    ("polycom", 0x0004F2, ("VVX450", "VVX250", "CCX600")),
    ("cisco", 0x001B54, ("CP-8851", "CP-7841")),
    ("grandstream", 0x000B82, ("GRP2614", "HT802")),
    ("snom", 0x000413, ("D785", "D735")),
)
_SPACE = 1 << 24


class DeviceConfigurationFactory(Factory[DeviceConfiguration, DeviceConfigurationCreate]):
    """``device_configurations``: profiles of a vendor, a third inheriting from an earlier one of the set."""

    shape = DeviceConfigurationCreate
    parent = True

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        vendor, _oui, models = rng.choice(VENDORS)
        earlier = self._set._known.ids("device_configurations", org)
        created = self._set.past(300, after=1)
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "name": f"{vendor}-{tag(n, 5)}",
            "parent_id": rng.choice(earlier) if earlier and rng.random() < 0.3 else None,
            "vendor": vendor,
            "model": rng.choice(models) if rng.random() < 0.5 else None,
            "template": f"{vendor}/default",
            "settings": {"timezone": "America/New_York", "ntp_server": "pool.ntp.org", "vlan": rng.choice((0, 10, 20))},
            "keys": [{"key": k, "type": "blf", "value": str(1000 + k), "label": None, "line": 1} for k in range(1, 4)],
            "version": rng.randrange(1, 6),
            "is_default": False,
            "enabled": True,
            "description": None,
            "created_at": created,
            "updated_at": self._set.after(created),
        }


class FirmwareVersionFactory(Factory[FirmwareVersion, FirmwareVersionCreate]):
    """``firmware_versions``: platform builds, versions unique within the set per vendor and model."""

    shape = FirmwareVersionCreate
    parent = True
    weights = {"status": {"testing": 20, "recommended": 0, "supported": 50, "deprecated": 25, "withdrawn": 5}}

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        vendor, _oui, models = rng.choice(VENDORS)
        model = rng.choice(models)
        # The set's seed and the row number keep versions apart within a set and between sets.
        version = f"{rng.randrange(60, 100)}.{rng.randrange(80, 90)}.{self._set.seed}.{n}"
        created = self._set.past(500, after=1)
        return {
            "id": self._set.uuid(),
            "vendor": vendor,
            "model": model,
            "version": version,
            "status": self.pick("status"),
            "file_url": f"https://firmware.example.com/{vendor}/{model}-{version}.rom",
            "file_name": f"{model}-{version}.rom",
            "file_size_bytes": rng.randrange(20_000_000, 90_000_000),
            "sha256": f"{rng.getrandbits(256):064x}",
            "released_at": created.date(),
            "release_notes": None,
            "capabilities": {"lines": rng.choice((2, 6, 16)), "function_keys": rng.choice((0, 10, 27))},
            "created_at": created,
            "updated_at": self._set.after(created),
        }


class DeviceFactory(Factory[Device, DeviceCreate]):
    """``devices``: MAC addresses unique within the set, under their vendor's OUI; lines of the organization."""

    shape = DeviceCreate
    parent = True
    weights = {"status": {"new": 10, "provisioned": 82, "disabled": 5, "retired": 3}}

    def __init__(self, factories: Factories) -> None:
        super().__init__(factories)
        self._macs = Permutation.random(_SPACE * len(VENDORS), factories.random)

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        slot = self._macs(n)
        vendor, oui, models = VENDORS[slot // _SPACE]
        value = (oui << 24) | (slot % _SPACE)
        mac = ":".join(f"{(value >> shift) & 0xFF:02x}" for shift in range(40, -8, -8))
        extensions = self._set._known.ids("extensions", org)
        configs = self._set._known.ids("device_configurations", org)
        users = self._set._known.ids("users", org)
        status = given.get("status") or self.pick("status")
        provisioned = status == "provisioned"
        created = self._set.past(400, after=1)
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "mac_address": mac,
            "vendor": vendor,
            "model": rng.choice(models),
            "serial_number": f"{vendor[:2].upper()}{rng.getrandbits(40):010X}",
            "label": f"Desk {n}",
            "location": rng.choice(("HQ", "Branch", "Remote", None)),
            "user_id": rng.choice(users) if users and rng.random() < 0.7 else None,
            "primary_extension_id": rng.choice(extensions) if extensions else None,
            "lines": [],
            "configuration_id": rng.choice(configs) if configs else None,
            "applied_config_version": rng.choice((1, 2, 3)) if provisioned else None,
            "target_firmware_id": None,
            "reported_firmware_version": f"{rng.randrange(60, 100)}.86.0.{rng.randrange(1, 99)}"
            if provisioned
            else None,
            "status": status,
            "last_provisioned_at": self._set.past(30) if provisioned else None,
            "last_provisioned_ip": self._set.telecom.ipv4_public() if provisioned else None,
            "last_provisioned_user_agent": f"{vendor.capitalize()} SIP" if provisioned else None,
            "metadata": {},
            "created_at": created,
            "updated_at": self._set.after(created),
        } | self._credentials(n)

    def _credentials(self, n: int) -> dict[str, Any]:
        """Half the devices fetch their configuration with HTTP credentials (an Argon2id hash is stored)."""
        if self.random.random() < 0.5:
            return {"provisioning_username": None, "provisioning_password_hash": None}
        return {"provisioning_username": f"prov-{tag(n, 6)}", "provisioning_password_hash": self._set.password_hash()}


class DeviceHealthMetricFactory(Factory[DeviceHealthMetric, DeviceHealthMetricCreate]):
    """``device_health_metrics``: samples of a device of the organization (a new one unless ``device_id``)."""

    shape = DeviceHealthMetricCreate
    weights = {"health_status": {"ok": 85, "degraded": 8, "critical": 2, "offline": 4, "unknown": 1}}

    def _values(self, n: int, given: dict[str, Any], plan: Plan | None) -> dict[str, Any]:
        rng = self.random
        org = self._org(given, plan)
        device = given.get("device_id")
        if device is None:
            devices = self._set._known.ids("devices", org)
            if devices:
                device = rng.choice(devices)
            elif plan is not None:
                device = require_id(self._set.device._make({"org_id": org}, plan))
            else:
                device = self._set.uuid()
        status = given.get("health_status") or self.pick("health_status")
        registered = status in ("ok", "degraded")
        recorded = self._set.now - timedelta(seconds=rng.randrange(0, 7 * 86_400))
        return {
            "id": self._set.uuid(),
            "org_id": org,
            "device_id": device,
            "recorded_at": recorded.replace(microsecond=0),
            "health_status": status,
            "registered": registered,
            "registration_expires_at": (recorded + timedelta(seconds=3600)).replace(microsecond=0)
            if registered
            else None,
            "source_ip": self._set.telecom.ipv4_public(),
            "user_agent": None,
            "rtt_ms": rng.randrange(5, 250),
            "jitter_ms": rng.randrange(0, 40),
            "packet_loss": Decimal(rng.randrange(0, 500)) / 100,
            "mos_score": Decimal(rng.randrange(250, 441)) / 100,
            "uptime_seconds": rng.randrange(0, 30 * 86_400),
            "failed_registrations": 0 if registered else rng.randrange(1, 20),
            "metrics": {},
        }
