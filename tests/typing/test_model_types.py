"""What a consumer's type checker sees on the models; ``mypy --strict`` checks this file, pytest runs it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from ipaddress import IPv4Address
from typing import assert_type
from uuid import UUID, uuid4

from pydantic import SecretStr

from warp_models import (
    Cdr,
    LcrRateCreate,
    SipTrunk,
    SipTrunkCreate,
    SipTrunkUpdate,
    TrunkAclCreate,
    UserCreate,
)
from warp_models.trunks import TrunkStatus
from warp_models.types import Codec, IpAddress
from warp_repo.secrets import hash_password


def test_create_shapes_are_typed_field_by_field() -> None:
    trunk = SipTrunkCreate(org_id=uuid4(), name="primary", username="acme-primary")
    assert_type(trunk.name, str)
    assert_type(trunk.org_id, UUID)
    assert_type(trunk.status, TrunkStatus | None)
    assert_type(trunk.max_channels, int | None)
    assert trunk.status is None

    rate = LcrRateCreate(prefix="1415", rate=Decimal("0.004"), effective_date=date(2026, 1, 1))
    assert_type(rate.rate, Decimal)
    assert_type(rate.expiry_date, date | None)

    acl = TrunkAclCreate(trunk_id=uuid4(), ip_address=IPv4Address("192.0.2.1"))
    assert_type(acl.ip_address, IpAddress)

    user = UserCreate(org_id=uuid4(), email="a@example.com", username="a", password_hash=hash_password("h"))
    assert_type(user.password_hash, SecretStr)


def test_update_shapes_make_every_field_optional() -> None:
    patch = SipTrunkUpdate(max_channels=10)
    assert_type(patch.name, str | None)
    assert_type(patch.max_channels, int | None)
    assert patch.to_db() == {"max_channels": 10}


def test_rows_carry_the_stored_types() -> None:
    values: dict[str, object] = dict.fromkeys(c.name for c in Cdr.__columns__)
    values.update(id=uuid4(), call_id="c1", org_id=uuid4(), start_time=datetime(2026, 1, 1), mos_score="4.10")
    cdr = Cdr.from_db(values)
    assert_type(cdr.start_time, datetime)
    assert_type(cdr.mos_score, Decimal | None)
    assert cdr.start_time == datetime(2026, 1, 1, tzinfo=UTC)
    assert cdr.mos_score == Decimal("4.10")
    trunk = SipTrunk.from_db({**dict.fromkeys(c.name for c in SipTrunk.__columns__), **_trunk_required()})
    assert_type(trunk.id, UUID)
    assert_type(trunk.codecs, list[Codec] | None)
    assert trunk.codecs is None


def _trunk_required() -> dict[str, object]:
    return {"id": uuid4(), "org_id": uuid4(), "name": "primary", "username": "acme-primary"}
