# Generated from warp_repo/devices/_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Devices: provisioning by MAC address, provisioning fetches, firmware due, health and bulk health ingest.

The repositories of the domain's tables and its service. Written once, as async code, here;
``warp_repo/devices/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from pydantic import TypeAdapter

from warp_models import (
    Device,
    DeviceConfiguration,
    DeviceConfigurationCreate,
    DeviceConfigurationUpdate,
    DeviceCreate,
    DeviceHealthMetric,
    DeviceHealthMetricCreate,
    DeviceHealthMetricUpdate,
    DeviceUpdate,
    FirmwareVersion,
    FirmwareVersionCreate,
    FirmwareVersionUpdate,
)
from warp_models.types import IpAddress, MacAddress
from warp_repo._core.repository_sync import Repo, TenantRepo
from warp_repo._core.service_sync import PLATFORM, Service
from warp_repo._core.statements import rows_of
from warp_repo.devices import _queries as q
from warp_repo.devices._queries import DeviceHealth, FirmwareDue, Provisioning
from warp_repo.errors import NotFound

__all__ = [
    "DeviceConfigurationRepo",
    "DeviceHealth",
    "DeviceHealthMetricRepo",
    "DeviceRepo",
    "Devices",
    "FirmwareDue",
    "FirmwareVersionRepo",
    "Provisioning",
]

_MAC: TypeAdapter[str] = TypeAdapter(MacAddress)


class DeviceConfigurationRepo(TenantRepo[DeviceConfiguration, DeviceConfigurationCreate, DeviceConfigurationUpdate]):
    """``device_configurations``: a provisioning configuration, inheriting its parent's and overriding them."""


class FirmwareVersionRepo(Repo[FirmwareVersion, FirmwareVersionCreate, FirmwareVersionUpdate]):
    """``firmware_versions``: a firmware build of one vendor's model, in the platform's catalog."""


class DeviceRepo(TenantRepo[Device, DeviceCreate, DeviceUpdate]):
    """``devices``: a phone or adapter, found by MAC address at boot."""


class DeviceHealthMetricRepo(TenantRepo[DeviceHealthMetric, DeviceHealthMetricCreate, DeviceHealthMetricUpdate]):
    """``device_health_metrics``: one health sample of a device (partitioned by month)."""


class Devices(Service):
    """What the provisioning server and the device monitor ask, one statement each.

    Example::

        devices = Devices(conn)
        found = devices.provisioning("AA-BB-CC-DD-EE-FF")
        if found is not None:
            ...  # render found.settings and found.keys with found.chain[0].template
            devices.record_fetch(found.device.id, ip="198.51.100.7", user_agent=ua, version=found.version)

    A phone names itself by MAC address before any tenant is known, so the lookup and the fetch record run with
    the platform reach (a member of the platform role); the firmware and health questions are asked for one
    organization.
    """

    def provisioning(self, mac: str) -> Provisioning | None:
        """The device with this MAC address and its effective configuration, in one indexed round trip.

        Args:
            mac: the MAC address in any common spelling (``AA-BB-CC-DD-EE-FF``, ``aabb.ccdd.eeff``,
                ``AABBCCDDEEFF``).

        Returns:
            ``None`` when no device has that address.

        Raises:
            pydantic.ValidationError: ``mac`` is not a MAC address.
        """
        params = {"mac": _MAC.validate_python(mac), "max_depth": q.MAX_INHERITANCE_DEPTH}
        return self._first(q.PROVISIONING, params, q.provisioning_rows, PLATFORM, Device)

    def record_fetch(
        self,
        device_id: UUID,
        *,
        ip: str | IpAddress | None,
        user_agent: str | None,
        version: int,
        firmware: str | None = None,
    ) -> Device:
        """Record that the device fetched configuration ``version`` from ``ip`` with ``user_agent``.

        A device still ``new`` becomes ``provisioned``; ``firmware``, when given (parsed from the User-Agent by
        the caller), becomes its reported firmware version.

        Raises:
            NotFound: there is no such device.
        """
        params = {
            "device": device_id,
            "ip": None if ip is None else str(ip),
            "agent": None if user_agent is None else user_agent[:255],
            "version": version,
            "firmware": firmware,
        }
        found = self._first(q.RECORD_FETCH, params, rows_of(Device), PLATFORM, Device)
        if found is None:
            raise NotFound(f"devices: no row with id = {device_id}", table="devices")
        return found

    def firmware_due(self, org_id: UUID) -> list[FirmwareDue]:
        """The organization's provisioned devices not running their target build.

        The target is the device's pinned ``target_firmware_id``, else the catalog's ``recommended`` build for its
        vendor and model; a device with neither is not listed.
        """
        return self._all(q.FIRMWARE_DUE, {"org": org_id}, q.firmware_due_rows, org_id, Device)

    def unhealthy(self, org_id: UUID, *, silent_after: timedelta = timedelta(minutes=15)) -> list[DeviceHealth]:
        """The organization's provisioned devices whose latest sample is not ``ok``, or silent for ``silent_after``."""
        since = datetime.now(UTC).replace(tzinfo=None) - silent_after
        params = {"org": org_id, "since": since}
        return self._all(q.UNHEALTHY, params, q.health_rows, org_id, DeviceHealthMetric)

    def ingest_health(self, samples: Iterable[DeviceHealthMetricCreate]) -> int:
        """Copy health samples of any organizations in (``COPY``), with the platform reach; how many were copied.

        Samples giving the same columns go in one ``COPY``. Row-level security forbids ``COPY`` into the table
        itself, so the rows are staged in a temporary table and moved in with one ``INSERT ... SELECT`` (see
        ``copy_in``). Each sample's ``(org_id, device_id)`` must name a device of that organization: the
        composite foreign key refuses anything else, and nothing of the batch stays.

        Raises:
            InvalidReference: a sample names a device of another organization, or none.
        """
        with self._platform():
            return DeviceHealthMetricRepo(self._conn).copy_in(samples)
