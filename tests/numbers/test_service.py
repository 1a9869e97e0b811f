"""Number inventory: search, assignment that only one request wins, the organization's limit, E911 addresses.

The inventory (unassigned numbers, searching them, moving a number in or out of an organization) is platform
work, done on the platform login; E911 addresses and a number's own settings are the organization's, done on the
application login.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest
from pydantic import ValidationError

from tests.support import Conn, new_number, new_org, new_trunk, run_threads, unique, with_limits
from warp_models import E911AddressCreate, PhoneNumberUpdate
from warp_repo.errors import InvalidTransition, LimitExceeded, NotFound, QueryError, TenantScopeError
from warp_repo.numbers import NumberInventory, NumberQuery
from warp_repo.repos import E911AddressRepo, PhoneNumberRepo

c = PhoneNumberRepo.c


def address(number: UUID, **values: Any) -> E911AddressCreate:
    base: dict[str, Any] = {
        "phone_number_id": number,
        "customer_name": "Acme Corp",
        "street_number": "100",
        "street_name": "Main",
        "city": "San Francisco",
        "state": "CA",
        "zip": "94105",
    }
    return E911AddressCreate.model_validate(base | values)


def status_of(platform: Conn, number: UUID) -> str | None:
    """The number's status, however it is held (read with the platform reach)."""
    (found,) = PhoneNumberRepo(platform).unscoped_platform_list(c.id == number)
    return found.status


def test_search_finds_available_numbers_by_place_type_and_capability(platform_conn: Conn) -> None:
    conn = platform_conn
    center = unique("RC ")
    a = new_number(conn, state="WY", rate_center=center, lata="664", sms_enabled=True, number="+13075550101")
    b = new_number(conn, state="WY", rate_center=center, lata="664", number="+13075550100")
    new_number(conn, state="WY", rate_center=center, lata="664", number_type="toll_free")
    taken = new_number(conn, state="WY", rate_center=center, lata="664")
    new_number(conn, state="WY", rate_center=center, lata="664", status="reserved")
    new_number(conn, state="MT", rate_center=center, lata="664")
    org = new_org(conn)
    NumberInventory(conn).assign(taken, org)
    inventory = NumberInventory(conn)
    local = NumberQuery(state="WY", rate_center=center, lata="664", number_type="local")
    assert [n.id for n in inventory.search(local, limit=10).items] == [b, a], "available, local, in number order"
    assert [n.id for n in inventory.search(NumberQuery(rate_center=center, sms=True)).items] == [a]
    without_sms = [n.id for n in inventory.search(NumberQuery(rate_center=center, state="WY", sms=False)).items]
    assert b in without_sms and a not in without_sms and len(without_sms) == 2, "b and the toll-free number"
    first = inventory.search(NumberQuery(rate_center=center), limit=2)
    rest = inventory.search(NumberQuery(rate_center=center), limit=2, after=first.next_cursor)
    assert len(first.items) == 2 and first.next_cursor is not None
    numbers = [n.number for n in first.items + rest.items]
    assert numbers == sorted(numbers) and len(numbers) == 4 and rest.next_cursor is None


def test_assign_and_release_a_number(autocommit: Conn, platform_autocommit: Conn) -> None:
    org = new_org(autocommit)
    trunk = new_trunk(autocommit, org)
    number = new_number(platform_autocommit, state="CA")
    inventory = NumberInventory(platform_autocommit)
    assigned = inventory.assign(number, org, trunk_id=trunk.id)
    assert (assigned.org_id, assigned.trunk_id, assigned.status) == (org, trunk.id, "assigned")
    with pytest.raises(InvalidTransition) as caught:
        inventory.assign(number, new_org(autocommit))
    assert (caught.value.current, caught.value.requested) == ("assigned", "assigned")
    # The organization's own settings of its number, and its E911 address, are written by the application.
    mine = PhoneNumberRepo(autocommit).for_org(org)
    mine.update(number, PhoneNumberUpdate(cnam_enabled=True, cnam_display="ACME"))
    NumberInventory(autocommit).set_e911_address(org, address(number))
    released = inventory.release(number, org)
    assert (released.org_id, released.trunk_id, released.status, released.cnam_display) == (
        None,
        None,
        "available",
        None,
    )
    assert released.cnam_enabled is False
    assert E911AddressRepo(autocommit).for_org(org).count() == 0, "the released number's address went with it"
    assert mine.get(number) is None, "the number left the organization"
    with pytest.raises(NotFound):
        inventory.release(number, org)
    with pytest.raises(NotFound):
        inventory.assign(UUID(int=11), org)


def test_a_number_is_routed_only_to_a_trunk_of_its_organization(platform_conn: Conn) -> None:
    conn = platform_conn
    org, other = new_org(conn), new_org(conn)
    foreign = new_trunk(conn, other)
    number = new_number(conn)
    with pytest.raises(TenantScopeError):
        NumberInventory(conn).assign(number, org, trunk_id=foreign.id)
    assert status_of(conn, number) == "available", "nothing changed"


def test_assigning_past_max_numbers_is_refused(platform_conn: Conn) -> None:
    conn = platform_conn
    org = new_org(conn)
    with_limits(conn, org, max_numbers=2)
    inventory = NumberInventory(conn)
    for _ in range(2):
        inventory.assign(new_number(conn), org)
    spare = new_number(conn)
    with pytest.raises(LimitExceeded) as caught:
        inventory.assign(spare, org)
    assert (caught.value.limit_name, caught.value.limit, caught.value.current) == ("max_numbers", 2, 2)
    assert status_of(conn, spare) == "available"


def test_two_organizations_assigning_one_number_at_once_exactly_one_wins(
    domain_platform_url: str, autocommit: Conn, platform_autocommit: Conn
) -> None:
    number = new_number(platform_autocommit)
    orgs = [new_org(autocommit) for _ in range(4)]
    won: list[UUID] = []
    lost: list[str | None] = []

    def claim(i: int) -> None:
        with psycopg.connect(domain_platform_url) as conn:
            try:
                NumberInventory(conn).assign(number, orgs[i])
                conn.execute("SELECT pg_sleep(0.05)")
                conn.commit()
                won.append(orgs[i])
            except InvalidTransition as exc:
                lost.append(exc.current)

    run_threads(len(orgs), claim)
    assert len(won) == 1 and lost == ["assigned"] * 3
    assert PhoneNumberRepo(autocommit).for_org(won[0]).get_one(number).org_id == won[0]


def test_the_last_slot_goes_to_one_of_two_racing_assignments(
    domain_platform_url: str, autocommit: Conn, platform_autocommit: Conn
) -> None:
    org = new_org(autocommit)
    with_limits(autocommit, org, max_numbers=1)
    numbers = [new_number(platform_autocommit) for _ in range(3)]
    outcomes: list[str] = []

    def claim(i: int) -> None:
        with psycopg.connect(domain_platform_url) as conn:
            try:
                NumberInventory(conn).assign(numbers[i], org)
                conn.execute("SELECT pg_sleep(0.05)")
                conn.commit()
                outcomes.append("assigned")
            except LimitExceeded:
                outcomes.append("refused")

    run_threads(len(numbers), claim)
    assert sorted(outcomes) == ["assigned", "refused", "refused"]
    assert PhoneNumberRepo(autocommit).for_org(org).count() == 1


def test_e911_addresses_are_set_checked_and_validated_again_after_a_change(
    autocommit: Conn, platform_autocommit: Conn
) -> None:
    org, other = new_org(autocommit), new_org(autocommit)
    number = new_number(platform_autocommit)
    NumberInventory(platform_autocommit).assign(number, org)
    inventory = NumberInventory(autocommit)
    stored = inventory.set_e911_address(org, address(number, validated=True))
    assert stored.validated is False, "a new address is never validated by whoever set it"
    when = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    checked = inventory.record_e911_validation(org, number, msag_valid=True, validated_at=when)
    assert (checked.validated, checked.msag_valid, checked.validation_date) == (True, True, when)
    moved = inventory.set_e911_address(org, address(number, street_number="200"))
    assert (moved.id, moved.street_number, moved.validated, moved.msag_valid) == (stored.id, "200", False, False)
    assert moved.validation_date is None
    with pytest.raises(TenantScopeError):
        inventory.set_e911_address(other, address(number))
    with pytest.raises(NotFound):
        inventory.record_e911_validation(other, number, msag_valid=True, validated_at=when)
    with pytest.raises(ValidationError):
        address(number, zip="9410")
    with pytest.raises(QueryError, match="phone_number_id"):
        inventory.set_e911_address(org, address(number).model_copy(update={"phone_number_id": None}))
    with pytest.raises(QueryError, match="naive"):
        inventory.record_e911_validation(org, number, msag_valid=True, validated_at=datetime(2026, 11, 20))
