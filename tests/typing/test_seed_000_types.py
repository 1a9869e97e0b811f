"""What a consumer's type checker sees on the seed-000 domains; ``mypy --strict`` checks this file, pytest runs it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import assert_type
from uuid import UUID, uuid4

from pydantic import SecretStr

from tests.support import Conn, new_org
from warp_models import Device, DeviceCreate, ExtensionCreate, VoicemailMessageCreate
from warp_models.devices import DeviceStatus
from warp_models.extensions import CallClass, Forwarding
from warp_models.voicemail import Folder
from warp_repo.access import Grant, Matrix, Permissions
from warp_repo.devices import DeviceRepo, Devices, Provisioning
from warp_repo.extensions import DialPlans, DialResolution, ExtensionRepo
from warp_repo.voicemail import MessageWaiting, TranscriptionQueue, Voicemail


def test_the_shapes_are_typed_field_by_field() -> None:
    device = DeviceCreate(org_id=uuid4(), mac_address="AA-BB-CC-DD-EE-FF")
    assert_type(device.mac_address, str)
    assert_type(device.status, DeviceStatus | None)
    assert device.mac_address == "aa:bb:cc:dd:ee:ff"
    extension = ExtensionCreate(
        org_id=uuid4(), extension="1001", sip_username="acme-1001", password_hash=SecretStr("0" * 32)
    )
    assert_type(extension.password_hash, SecretStr | None)
    assert_type(extension.allowed_call_classes, list[CallClass] | None)
    assert_type(extension.forwarding, Forwarding | None)
    message = VoicemailMessageCreate(org_id=uuid4(), box_id=uuid4(), audio_url="s3://vm/1.wav")
    assert_type(message.folder, Folder | None)


def test_the_services_say_what_they_return(platform_conn: Conn) -> None:
    org = new_org(platform_conn)
    devices = Devices(platform_conn)
    assert_type(devices.provisioning("aa:bb:cc:00:00:01"), Provisioning | None)
    assert_type(DeviceRepo(platform_conn).for_org(org).list(), list[Device])
    extension = ExtensionRepo(platform_conn).for_org(org).insert(ExtensionCreate(org_id=org, extension="1001"))
    plans = DialPlans(platform_conn, org)
    assert_type(plans.forward_destination(extension.id, "busy"), str | None)
    found = plans.resolve(extension.id, "911", at=datetime.now(UTC))
    assert_type(found, DialResolution)
    assert not found.matched
    permissions = Permissions(platform_conn, org)
    assert_type(permissions.can("admin", "devices", "read"), bool)
    assert_type(permissions.grant("admin", "devices", "read"), Grant)
    assert_type(permissions.matrix("admin"), Matrix)
    voicemail = Voicemail(platform_conn, org)
    assert_type(voicemail.message_waiting([uuid4()]), list[MessageWaiting])
    queue = TranscriptionQueue(platform_conn, "stt-1")
    assert_type(queue.worker, str)
    assert_type(org, UUID)
