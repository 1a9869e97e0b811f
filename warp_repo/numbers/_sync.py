# Generated from warp_repo/numbers/_async.py by tools/async_to_sync.py: do not edit.
# Edit the async source and run `python tools/async_to_sync.py`.
"""Phone numbers: searching the inventory, assigning numbers within the organization's limit, E911 addresses.

The repositories of the domain's tables and its service. Written once, as async code, here;
``warp_repo/numbers/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import tuple_row

from warp_models import (
    E911Address,
    E911AddressCreate,
    E911AddressUpdate,
    PhoneNumber,
    PhoneNumberCreate,
    PhoneNumberUpdate,
)
from warp_repo._core.cursor import Page
from warp_repo._core.queries import scalar
from warp_repo._core.repository_sync import TenantRepo
from warp_repo._core.service_sync import PLATFORM
from warp_repo._core.statements import rows_of, utc
from warp_repo.errors import InvalidTransition, NotFound, QueryError, TenantScopeError
from warp_repo.numbers import _queries as q
from warp_repo.numbers._queries import NumberQuery
from warp_repo.organizations._sync import LimitedService

__all__ = [
    "E911AddressRepo",
    "NumberInventory",
    "NumberQuery",
    "PhoneNumberRepo",
]


class PhoneNumberRepo(TenantRepo[PhoneNumber, PhoneNumberCreate, PhoneNumberUpdate]):
    """``phone_numbers``: a number of the inventory; ``org_id`` is set while it is assigned to an organization."""


class E911AddressRepo(TenantRepo[E911Address, E911AddressCreate, E911AddressUpdate]):
    """``e911_addresses``: the emergency-services address registered for one phone number."""


class NumberInventory(LimitedService):
    """The inventory of phone numbers and the organizations holding them.

    Example::

        inventory = NumberInventory(conn)
        page = inventory.search(NumberQuery(state="CA", sms=True), limit=20)
        number = inventory.assign(page.items[0].id, org_id, trunk_id=trunk.id)

    Unassigned numbers belong to no organization: searching them, and moving a number in or out of an
    organization, is platform work (the platform reach: a member of the platform role under row-level security).
    E911 addresses are the organization's own, set in its tenant context.
    """

    def search(self, query: NumberQuery, *, after: str | None = None, limit: int = 50) -> Page[PhoneNumber]:
        """One page of available numbers (status ``available``, held by no organization), in number order.

        Raises:
            InvalidCursor: ``after`` belongs to another query.
        """
        repo = PhoneNumberRepo(self._conn)
        with self._platform():
            return repo.unscoped_platform_page(*query.filters(), after=after, limit=limit, order_by=q.SEARCH_ORDER)

    def assign(self, number_id: UUID, org_id: UUID, *, trunk_id: UUID | None = None) -> PhoneNumber:
        """Assign an available number to an organization (and one of its trunks), within ``max_numbers``.

        Two requests for the same number: the first one wins, the second finds it taken. Two requests of one
        organization for its last slot: they take turns on the organization's settings row, and the second is
        refused.

        Raises:
            LimitExceeded: the organization holds ``max_numbers`` numbers already.
            InvalidTransition: the number is not available any more (``current`` is its status).
            NotFound: there is no such number.
            TenantScopeError: the trunk is not one of the organization's.
        """
        with self._atomic():
            self._check_room(org_id, "max_numbers")
            if trunk_id is not None:
                owned = {"trunk": trunk_id, "org": org_id}
                if not self._first(q.TRUNK_OF_ORG, owned, scalar, org_id):
                    raise TenantScopeError(f"sip_trunks: trunk {trunk_id} is not a trunk of organization {org_id}")
            params: dict[str, Any] = {"number": number_id, "org": org_id, "trunk": trunk_id}
            found = self._first(q.ASSIGN, params, rows_of(PhoneNumber), PLATFORM, PhoneNumber)
            if found is None:
                raise self._unavailable(number_id, "assigned")
            return found

    def release(self, number_id: UUID, org_id: UUID) -> PhoneNumber:
        """Return the organization's number to the inventory; its E911 address and caller-name settings go.

        Raises:
            NotFound: the organization holds no such number.
        """
        params = {"number": number_id, "org": org_id}
        with self._atomic():
            # The address first: once released, the number (and so its address) is outside the organization.
            self._run(q.DELETE_E911, params, org_id, E911Address)
            found = self._first(q.RELEASE, params, rows_of(PhoneNumber), PLATFORM, PhoneNumber)
            if found is None:
                message = f"phone_numbers: organization {org_id} holds no number {number_id}"
                raise NotFound(message, table="phone_numbers")
            return found

    def set_e911_address(self, org_id: UUID, address: E911AddressCreate) -> E911Address:
        """Register (or replace) the emergency address of one of the organization's numbers.

        The address is checked by the model (state, ZIP, required fields) and stored unvalidated: a new address
        has to be validated again (``record_e911_validation``) whatever the old one was.

        Raises:
            TenantScopeError: the number is not one of the organization's.
            QueryError: the address names no phone number.
        """
        if address.phone_number_id is None:
            raise QueryError("set_e911_address: the address must name its phone_number_id")
        values: dict[str, Any] = address.model_dump(exclude_unset=True)
        values |= {"validated": False, "msag_valid": False, "validation_date": None}
        fresh = E911AddressCreate.model_validate(values)
        repo = E911AddressRepo(self._conn).for_org(org_id)
        return repo.upsert(fresh, on=("phone_number_id",))

    def record_e911_validation(
        self, org_id: UUID, number_id: UUID, *, msag_valid: bool, validated_at: datetime
    ) -> E911Address:
        """Record that the number's address was validated, and whether the MSAG knows it.

        Raises:
            NotFound: the organization's number has no address.
        """
        params = {"number": number_id, "org": org_id, "msag_valid": msag_valid, "at": utc(validated_at, "validated_at")}
        found = self._first(q.RECORD_E911_VALIDATION, params, rows_of(E911Address), org_id, E911Address)
        if found is None:
            raise NotFound(f"e911_addresses: no address for number {number_id} of organization {org_id}")
        return found

    def _unavailable(self, number_id: UUID, requested: str) -> Exception:
        found = self._first(q.STATUS, {"number": number_id}, tuple_row, PLATFORM, PhoneNumber)
        if found is None:
            return NotFound(f"phone_numbers: no row with id = {number_id}", table="phone_numbers")
        status = found[0]
        return InvalidTransition(
            f"phone_numbers: number {number_id} is {status}, not available; search the inventory again",
            current=status,
            requested=requested,
            table="phone_numbers",
        )
