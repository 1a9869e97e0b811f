"""Devices: their repositories, the provisioning lookup by MAC address, firmware due and device health.

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.devices._async import (
    AsyncDeviceConfigurationRepo,
    AsyncDeviceHealthMetricRepo,
    AsyncDeviceRepo,
    AsyncDevices,
    AsyncFirmwareVersionRepo,
    DeviceHealth,
    FirmwareDue,
    Provisioning,
)
from warp_repo.devices._sync import (
    DeviceConfigurationRepo,
    DeviceHealthMetricRepo,
    DeviceRepo,
    Devices,
    FirmwareVersionRepo,
)

__all__ = [
    "AsyncDeviceConfigurationRepo",
    "AsyncDeviceHealthMetricRepo",
    "AsyncDeviceRepo",
    "AsyncDevices",
    "AsyncFirmwareVersionRepo",
    "DeviceConfigurationRepo",
    "DeviceHealth",
    "DeviceHealthMetricRepo",
    "DeviceRepo",
    "Devices",
    "FirmwareDue",
    "FirmwareVersionRepo",
    "Provisioning",
]
