"""Devices: the provisioning lookup, firmware due, health; statements and result types, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString
from uuid import UUID

from psycopg.rows import RowMaker

from warp_models.devices import Device, DeviceConfiguration, DeviceKey
from warp_models.types import Metadata
from warp_repo._core.queries import columns

MAX_INHERITANCE_DEPTH = 16
"""How many parents the effective configuration follows at most; a chain that loops stops where it loops."""

_DEVICE = columns(Device, "d")
_CONFIG = columns(DeviceConfiguration, "c")

# One round trip: the device by its MAC (unique index devices_mac_address_key), then its configuration (or the
# organization's default) and that configuration's ancestors, each step by primary key. The path array stops a
# chain that loops back, the depth bound a chain that is merely long.
PROVISIONING: LiteralString = (
    "WITH RECURSIVE dev AS (SELECT " + _DEVICE + " FROM devices d WHERE d.mac_address = %(mac)s), chain AS ("
    " SELECT c.*, 0 AS depth, ARRAY[c.id] AS path FROM device_configurations c, dev"
    " WHERE c.org_id = dev.org_id AND c.enabled AND c.id = coalesce(dev.configuration_id, ("
    "   SELECT x.id FROM device_configurations x WHERE x.org_id = dev.org_id AND x.is_default AND x.enabled))"
    " UNION ALL"
    " SELECT c.*, chain.depth + 1, chain.path || c.id FROM device_configurations c"
    " JOIN chain ON c.org_id = chain.org_id AND c.id = chain.parent_id"
    " WHERE c.enabled AND NOT c.id = ANY(chain.path) AND chain.depth < %(max_depth)s)"
    " SELECT to_jsonb(dev) AS device,"
    " (SELECT jsonb_agg(to_jsonb(chain) - 'path' ORDER BY chain.depth) FROM chain) AS chain"
    " FROM dev"
)

RECORD_FETCH: LiteralString = (
    "UPDATE devices SET last_provisioned_at = now(), last_provisioned_ip = %(ip)s,"
    " last_provisioned_user_agent = %(agent)s, applied_config_version = %(version)s,"
    " reported_firmware_version = coalesce(%(firmware)s, reported_firmware_version),"
    " status = CASE WHEN status = 'new' THEN 'provisioned' ELSE status END, updated_at = now()"
    " WHERE id = %(device)s RETURNING " + columns(Device)
)

FIRMWARE_DUE: LiteralString = (
    "SELECT d.id, d.mac_address, d.vendor, d.model, d.reported_firmware_version, f.id, f.version, f.file_url,"
    " f.sha256 FROM devices d"
    " JOIN firmware_versions f ON f.id = coalesce(d.target_firmware_id, (SELECT r.id FROM firmware_versions r"
    "   WHERE r.status = 'recommended' AND r.vendor = d.vendor AND r.model = d.model))"
    " WHERE d.org_id = %(org)s AND d.status = 'provisioned'"
    " AND d.reported_firmware_version IS DISTINCT FROM f.version ORDER BY d.mac_address"
)

# The latest sample of each device comes from idx_dhm_device_time (one index probe per device); a device without a
# sample since the cut-off is silent.
UNHEALTHY: LiteralString = (
    "SELECT d.id, d.mac_address, h.health_status, h.recorded_at FROM devices d"
    " LEFT JOIN LATERAL (SELECT m.health_status, m.recorded_at FROM device_health_metrics m"
    "   WHERE m.device_id = d.id AND m.org_id = d.org_id AND m.recorded_at > %(since)s"
    "   ORDER BY m.recorded_at DESC LIMIT 1) h ON true"
    " WHERE d.org_id = %(org)s AND d.status = 'provisioned'"
    " AND (h.health_status IS NULL OR h.health_status <> 'ok') ORDER BY d.mac_address"
)


@dataclass(frozen=True)
class Provisioning:
    """What a phone receives at boot: its device row and the configuration resolved along its inheritance chain.

    Attributes:
        device: the device.
        chain: the configurations applied, the device's own first, then its parent, and so on.
        settings: the settings of the chain merged, a child's keys overriding its ancestors'.
        keys: the programmable keys of the chain, a child's key replacing an ancestor's key of the same number.
        version: the effective configuration's version: the sum of the chain's versions, so that a change
            anywhere in the chain (each raises its row's version) changes it.
    """

    device: Device
    chain: tuple[DeviceConfiguration, ...]
    settings: Metadata
    keys: tuple[DeviceKey, ...]
    version: int

    @property
    def stale(self) -> bool:
        """Whether the device has not been served this version yet."""
        return self.device.applied_config_version != self.version


def provisioning(device: Device, chain: Sequence[DeviceConfiguration]) -> Provisioning:
    """Merge a configuration chain (the device's own first) into what the phone receives."""
    settings: dict[str, Any] = {}
    keys: dict[int, DeviceKey] = {}
    for config in reversed(chain):
        settings.update(config.settings)
        keys.update({key.key: key for key in config.keys})
    version = sum(config.version for config in chain)
    return Provisioning(device, tuple(chain), settings, tuple(keys[k] for k in sorted(keys)), version)


def provisioning_rows(cursor: Any) -> RowMaker[Provisioning]:
    """Row factory of ``PROVISIONING``."""

    def make(values: Sequence[Any]) -> Provisioning:
        device = Device.from_db(_from_json(Device, values[0]))
        chain = [DeviceConfiguration.from_db(_from_json(DeviceConfiguration, c)) for c in values[1] or ()]
        return provisioning(device, chain)

    return make


def _from_json(row: type[Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """A row read back through ``to_jsonb``: only the table's columns."""
    return {c.name: document.get(c.name) for c in row.__columns__}


@dataclass(frozen=True)
class FirmwareDue:
    """A provisioned device whose running firmware is not its target (pinned, else the recommended build)."""

    device_id: UUID
    mac_address: str
    vendor: str | None
    model: str | None
    running: str | None
    firmware_id: UUID
    target: str
    file_url: str
    sha256: str


@dataclass(frozen=True)
class DeviceHealth:
    """A provisioned device whose latest sample is not ``ok``, or that sent none since the cut-off (``None``)."""

    device_id: UUID
    mac_address: str
    health_status: str | None
    recorded_at: datetime | None

    @property
    def silent(self) -> bool:
        """No sample since the cut-off."""
        return self.health_status is None


def firmware_due_rows(cursor: Any) -> RowMaker[FirmwareDue]:
    """Row factory of ``FIRMWARE_DUE``."""
    return lambda values: FirmwareDue(*values)


def health_rows(cursor: Any) -> RowMaker[DeviceHealth]:
    """Row factory of ``UNHEALTHY``."""
    return lambda values: DeviceHealth(*values)
