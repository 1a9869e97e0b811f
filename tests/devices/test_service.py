"""Devices: MAC spellings, the provisioning lookup (inheritance, cycles, one indexed round trip), fetch records,
firmware due, health and the bulk ingest of health samples.

The registry is the organization's, written on the application login; a phone's lookup by MAC and the health
ingest are platform work on the platform login, so the rows they read are committed first (named uniquely).
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from pydantic import ValidationError

from tests.support import Conn, explain, new_org, plan_nodes, platform_work, unique
from warp_models import (
    DeviceConfigurationCreate,
    DeviceConfigurationUpdate,
    DeviceCreate,
    DeviceHealthMetricCreate,
    FirmwareVersionCreate,
)
from warp_models.types import normalize_mac
from warp_repo.devices import AsyncDevices, DeviceConfigurationRepo, DeviceRepo, Devices, FirmwareVersionRepo
from warp_repo.devices import _queries as q
from warp_repo.errors import Conflict, InvalidReference, NotFound


def random_mac() -> str:
    raw = bytearray(os.urandom(6))
    raw[0] = (raw[0] | 0x02) & 0xFE  # locally administered, unicast: never a real vendor's
    return ":".join(f"{b:02x}" for b in raw)


def config(conn: Conn, org: UUID, **values: Any) -> UUID:
    create = DeviceConfigurationCreate.model_validate({"org_id": org, "name": unique("cfg-"), **values})
    return DeviceConfigurationRepo(conn).for_org(org).insert(create).id


def device(conn: Conn, org: UUID, **values: Any) -> UUID:
    create = DeviceCreate.model_validate({"org_id": org, "mac_address": random_mac(), **values})
    return DeviceRepo(conn).for_org(org).insert(create).id


# --- MAC addresses -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["AA:BB:CC:0D:0E:0F", "aa-bb-cc-0d-0e-0f", "aabb.cc0d.0e0f", "AABBCC0D0E0F", " aa:bb:cc:0d:0e:0f "]
)
def test_every_common_spelling_of_a_mac_is_stored_one_way(spelling: str) -> None:
    assert normalize_mac(spelling) == "aa:bb:cc:0d:0e:0f"
    create = DeviceCreate(org_id=uuid4(), mac_address=spelling)
    assert create.mac_address == "aa:bb:cc:0d:0e:0f"


@pytest.mark.parametrize(
    "bad", ["", "aa:bb:cc:dd:ee", "aa:bb-cc:dd:ee:ff", "gg:bb:cc:dd:ee:ff", "aabb.ccdd.eeff.0011", "aabbccddeeff0"]
)
def test_what_is_not_a_mac_is_refused_before_any_io(bad: str) -> None:
    with pytest.raises(ValidationError, match="MAC address"):
        DeviceCreate(org_id=uuid4(), mac_address=bad)


def test_the_database_refuses_a_mac_in_another_spelling(conn: Conn) -> None:
    org = new_org(conn)
    conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(org)])
    with pytest.raises(psycopg.errors.CheckViolation), conn.transaction():
        conn.execute("INSERT INTO devices (org_id, mac_address) VALUES (%s, 'AA-BB-CC-DD-EE-FF')", [org])


# --- provisioning ----------------------------------------------------------------------------------------------------


def test_provisioning_merges_the_inheritance_chain_child_over_parent(autocommit: Conn, platform_conn: Conn) -> None:
    org = new_org(autocommit)
    root = config(
        autocommit,
        org,
        settings={"ntp": "pool.ntp.org", "vlan": 0, "tz": "UTC"},
        keys=[{"key": 1, "type": "blf", "value": "1001"}, {"key": 2, "type": "park", "value": "700"}],
    )
    middle = config(autocommit, org, parent_id=root, settings={"vlan": 20}, keys=[{"key": 2, "type": "blf"}])
    leaf = config(autocommit, org, parent_id=middle, settings={"tz": "America/Chicago"}, template="yealink/t5x")
    mac = random_mac()
    made = device(autocommit, org, mac_address=mac, configuration_id=leaf)

    found = Devices(platform_conn).provisioning(mac.upper().replace(":", "-"))
    assert found is not None
    assert found.device.id == made
    assert [c.id for c in found.chain] == [leaf, middle, root]
    assert found.settings == {"ntp": "pool.ntp.org", "vlan": 20, "tz": "America/Chicago"}
    assert [(k.key, k.type, k.value) for k in found.keys] == [(1, "blf", "1001"), (2, "blf", None)]
    assert found.version == 3 and found.stale

    # A change anywhere in the chain raises the effective version; a change of nothing served does not.
    DeviceConfigurationRepo(autocommit).for_org(org).update(root, DeviceConfigurationUpdate(settings={"vlan": 5}))
    DeviceConfigurationRepo(autocommit).for_org(org).update(leaf, DeviceConfigurationUpdate(description="desks"))
    again = Devices(platform_conn).provisioning(mac)
    assert again is not None and again.version == 4
    assert again.settings["vlan"] == 20  # the middle profile still overrides the root


def test_a_chain_that_loops_ends_where_it_loops(autocommit: Conn, platform_conn: Conn) -> None:
    org = new_org(autocommit)
    first = config(autocommit, org, settings={"a": 1})
    second = config(autocommit, org, parent_id=first, settings={"b": 2})
    DeviceConfigurationRepo(autocommit).for_org(org).update(first, DeviceConfigurationUpdate(parent_id=second))
    mac = random_mac()
    device(autocommit, org, mac_address=mac, configuration_id=second)
    found = Devices(platform_conn).provisioning(mac)
    assert found is not None
    assert [c.id for c in found.chain] == [second, first]
    assert found.settings == {"a": 1, "b": 2}


def test_a_device_without_a_configuration_gets_its_organizations_default(autocommit: Conn, platform_conn: Conn) -> None:
    org = new_org(autocommit)
    default = config(autocommit, org, is_default=True, settings={"lang": "en"})
    config(autocommit, org, settings={"lang": "fr"})
    mac = random_mac()
    device(autocommit, org, mac_address=mac)
    found = Devices(platform_conn).provisioning(mac)
    assert found is not None and [c.id for c in found.chain] == [default]
    bare = random_mac()
    device(autocommit, new_org(autocommit), mac_address=bare)
    alone = Devices(platform_conn).provisioning(bare)
    assert alone is not None and alone.chain == () and alone.settings == {} and alone.version == 0


def test_a_second_default_configuration_in_one_organization_is_refused(conn: Conn) -> None:
    org = new_org(conn)
    config(conn, org, is_default=True)
    conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(org)])
    with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
        conn.execute("INSERT INTO device_configurations (org_id, name, is_default) VALUES (%s, 'x', TRUE)", [org])


def test_unknown_macs_find_nothing_and_bad_ones_are_refused(platform_conn: Conn) -> None:
    assert Devices(platform_conn).provisioning(random_mac()) is None
    with pytest.raises(ValidationError):
        Devices(platform_conn).provisioning("not-a-mac")


def test_the_application_login_cannot_look_a_device_up_by_mac(autocommit: Conn, conn: Conn) -> None:
    mac = random_mac()
    device(autocommit, new_org(autocommit), mac_address=mac)
    assert Devices(conn).provisioning(mac) is None  # the platform reach is the platform role's only


def test_the_lookup_is_one_statement_on_the_mac_index(platform_conn: Conn) -> None:
    with platform_work(platform_conn):
        plan = explain(platform_conn, q.PROVISIONING, {"mac": random_mac(), "max_depth": q.MAX_INHERITANCE_DEPTH})
    scans = {(n.get("Node Type"), n.get("Index Name")) for n in plan_nodes(plan) if n.get("Relation Name") == "devices"}
    assert scans and all(index == "devices_mac_address_key" for _, index in scans), scans


def test_the_async_lookup_finds_the_same(autocommit: Conn, domain_platform_url: str) -> None:
    org = new_org(autocommit)
    mac = random_mac()
    made = device(autocommit, org, mac_address=mac, configuration_id=config(autocommit, org))

    async def main() -> UUID | None:
        async with await psycopg.AsyncConnection.connect(domain_platform_url) as aconn:
            found = await AsyncDevices(aconn).provisioning(mac.replace(":", "").upper())
            return None if found is None else found.device.id

    assert asyncio.run(main()) == made


def test_a_fetch_is_recorded_and_provisions_a_new_device(autocommit: Conn, platform_conn: Conn) -> None:
    org = new_org(autocommit)
    made = device(autocommit, org)
    devices = Devices(platform_conn)
    after = devices.record_fetch(made, ip="198.51.100.7", user_agent="Yealink SIP-T54W 96.86.0.70", version=7)
    assert after.status == "provisioned" and after.applied_config_version == 7
    assert str(after.last_provisioned_ip) == "198.51.100.7"
    assert after.last_provisioned_at is not None
    assert after.reported_firmware_version is None
    again = devices.record_fetch(made, ip=None, user_agent=None, version=8, firmware="96.86.0.70")
    assert again.reported_firmware_version == "96.86.0.70" and again.applied_config_version == 8
    with pytest.raises(NotFound):
        devices.record_fetch(uuid4(), ip=None, user_agent=None, version=1)


# --- firmware and health ---------------------------------------------------------------------------------------------


def firmware(platform: Conn, vendor: str, model: str, version: str, status: str) -> UUID:
    create = FirmwareVersionCreate.model_validate(
        {
            "vendor": vendor,
            "model": model,
            "version": version,
            "status": status,
            "file_url": f"https://firmware.example.com/{model}-{version}.rom",
            "sha256": "0" * 64,
        }
    )
    with platform_work(platform):
        return FirmwareVersionRepo(platform).insert(create).id


def test_devices_not_running_their_target_build_are_due(conn: Conn, platform_conn: Conn) -> None:
    model = unique("T54W-")
    recommended = firmware(platform_conn, "yealink", model, "96.86.0.70", "recommended")
    pinned = firmware(platform_conn, "yealink", model, "96.85.0.5", "supported")
    platform_conn.commit()
    org = new_org(conn)
    common = {"vendor": "yealink", "model": model, "status": "provisioned"}
    behind = device(conn, org, reported_firmware_version="96.84.0.1", **common)
    device(conn, org, reported_firmware_version="96.86.0.70", **common)  # current
    held = device(conn, org, reported_firmware_version="96.86.0.70", target_firmware_id=pinned, **common)
    device(conn, org, reported_firmware_version="1.0", vendor="acme", model="none", status="provisioned")  # no target
    device(conn, org, reported_firmware_version="96.84.0.1", vendor="yealink", model=model, status="new")
    due = {d.device_id: d for d in Devices(conn).firmware_due(org)}
    assert set(due) == {behind, held}
    assert (due[behind].target, due[behind].firmware_id, due[behind].running) == (
        "96.86.0.70",
        recommended,
        "96.84.0.1",
    )
    assert due[held].target == "96.85.0.5"
    with pytest.raises(Conflict, match="uq_firmware_recommended"), platform_work(platform_conn):
        FirmwareVersionRepo(platform_conn).insert(
            FirmwareVersionCreate(
                vendor="yealink",
                model=model,
                version="2.0",
                status="recommended",
                file_url="https://firmware.example.com/x.rom",
                sha256="1" * 64,
            )
        )


def test_unhealthy_and_silent_devices_come_from_the_latest_sample(autocommit: Conn, platform_conn: Conn) -> None:
    org = new_org(autocommit)
    healthy, degraded, recovered, silent = (device(autocommit, org, status="provisioned") for _ in range(4))
    now = datetime.now(UTC)

    def sample(dev: UUID, status: str, minutes_ago: int) -> DeviceHealthMetricCreate:
        return DeviceHealthMetricCreate.model_validate(
            {
                "org_id": org,
                "device_id": dev,
                "recorded_at": now - timedelta(minutes=minutes_ago),
                "health_status": status,
                "registered": status == "ok",
            }
        )

    samples = [
        sample(healthy, "ok", 1),
        sample(degraded, "ok", 5),
        sample(degraded, "degraded", 1),
        sample(recovered, "critical", 6),
        sample(recovered, "ok", 2),
        sample(silent, "ok", 60),
    ]
    assert Devices(platform_conn).ingest_health(samples) == 6
    platform_conn.commit()
    found = {h.device_id: h for h in Devices(autocommit).unhealthy(org, silent_after=timedelta(minutes=15))}
    assert set(found) == {degraded, silent}
    assert found[degraded].health_status == "degraded" and not found[degraded].silent
    assert found[silent].silent


def test_the_health_ingest_refuses_a_device_of_another_organization_and_keeps_nothing(
    conn: Conn, platform_conn: Conn, autocommit: Conn
) -> None:
    mine, theirs = new_org(autocommit), new_org(autocommit)
    my_device, their_device = device(autocommit, mine), device(autocommit, theirs)
    good = DeviceHealthMetricCreate(org_id=mine, device_id=my_device)
    bad = DeviceHealthMetricCreate(org_id=mine, device_id=their_device)
    with pytest.raises(InvalidReference):
        Devices(platform_conn).ingest_health([good, good, bad])
    platform_conn.rollback()
    with platform_work(platform_conn):
        count = platform_conn.execute("SELECT count(*) FROM device_health_metrics WHERE org_id = %s", [mine])
        assert count.fetchone() == (0,)
    mixed = [good, DeviceHealthMetricCreate(org_id=mine, device_id=my_device, rtt_ms=3)]
    assert Devices(platform_conn).ingest_health(mixed) == 2  # two shapes of sample, two COPY runs
    platform_conn.rollback()
    assert Devices(platform_conn).ingest_health([]) == 0


def test_every_health_partition_is_under_the_tenant_policy(conn: Conn) -> None:
    rows = conn.execute(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
        " (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)"
        " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = ANY(ARRAY['device_health_metrics', 'api_audit_logs']::regclass[])"
    ).fetchall()
    assert len(rows) >= 2 * 7  # a DEFAULT and six months each
    for name, enabled, forced, policies in rows:
        assert enabled and forced and policies == 2, name
