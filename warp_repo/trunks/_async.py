"""SIP trunks: creation within the organization's limit, channel capacity, failover chains, IP access lists.

The repositories of the domain's tables and its service. Written once, as async code, here;
``warp_repo/trunks/_sync.py`` is generated from it by ``tools/async_to_sync.py``.
"""

from __future__ import annotations

from typing import LiteralString
from uuid import UUID

from warp_models import (
    SipTrunk,
    SipTrunkCreate,
    SipTrunkUpdate,
    TrunkAcl,
    TrunkAclCreate,
    TrunkAclUpdate,
    TrunkRegistration,
    TrunkRegistrationCreate,
    TrunkRegistrationUpdate,
)
from warp_models.types import IpAddress
from warp_repo._core.queries import scalar
from warp_repo._core.repository_async import AsyncTenantRepo
from warp_repo._core.service_async import PLATFORM
from warp_repo._core.statements import rows_of
from warp_repo.errors import NotFound
from warp_repo.organizations._async import AsyncLimitedService
from warp_repo.trunks import _queries as q
from warp_repo.trunks._queries import MAX_FAILOVER_DEPTH, AclMatch, ChannelState, FailoverChain

__all__ = [
    "AclMatch",
    "AsyncTrunkAclRepo",
    "AsyncTrunkRegistrationRepo",
    "AsyncTrunkRepo",
    "AsyncTrunks",
    "ChannelState",
    "FailoverChain",
]


class AsyncTrunkRepo(AsyncTenantRepo[SipTrunk, SipTrunkCreate, SipTrunkUpdate]):
    """``sip_trunks``: a SIP trunk: how an organization's calls enter and leave the platform."""


class AsyncTrunkRegistrationRepo(AsyncTenantRepo[TrunkRegistration, TrunkRegistrationCreate, TrunkRegistrationUpdate]):
    """``trunk_registrations``: the registration state of a trunk, written by the SIP proxy."""

    validate_reads = True  # rows written by the SIP proxy, not through the SDK's models


class AsyncTrunkAclRepo(AsyncTenantRepo[TrunkAcl, TrunkAclCreate, TrunkAclUpdate]):
    """``trunk_acl``: one network allowed to use a trunk: ``ip_address`` with a prefix length ``subnet_mask``."""


class AsyncTrunks(AsyncLimitedService):
    """What the call path asks about trunks, answered in one statement each.

    Example::

        trunks = AsyncTrunks(conn)
        trunk = await trunks.by_sip_username("acme-primary")
        grant = await trunks.acquire_channel(trunk.id)  # grant.changed: a channel was taken
        ...
        await trunks.release_channel(trunk.id)

    ``acquire_channel`` / ``release_channel`` are single statements: on an autocommit connection each is its own
    transaction; inside the caller's transaction the row stays locked until it ends, so keep it short. Lookups by
    SIP user name or source address, channel counts and failover chains serve the SIP edge: they run with the
    platform reach (a member of the platform role under row-level security); ``create`` works in the
    organization's tenant context.
    """

    async def create(self, create: SipTrunkCreate) -> SipTrunk:
        """Create a trunk unless its organization already holds ``max_trunks`` trunks.

        The organization's settings row is locked first, so two requests racing for the last slot take turns
        and the second is refused.

        Raises:
            LimitExceeded: the organization is at ``max_trunks``.
            Conflict: the name is taken in the organization, or the SIP user name anywhere.
        """
        async with self._atomic():
            await self._check_room(create.org_id, "max_trunks")
            return await AsyncTrunkRepo(self._conn).for_org(create.org_id).insert(create)

    async def acquire_channel(self, trunk_id: UUID) -> ChannelState:
        """Take one channel of the trunk if it is active and below ``max_channels`` (``NULL`` is no limit).

        Returns:
            The count after the call; ``changed`` is ``False`` when the trunk was full or not active.

        Raises:
            NotFound: there is no such trunk.
        """
        return await self._channels(q.ACQUIRE, trunk_id)

    async def release_channel(self, trunk_id: UUID) -> ChannelState:
        """Give one channel back; the count never goes below zero (``changed`` is ``False`` when it was zero).

        Raises:
            NotFound: there is no such trunk.
        """
        return await self._channels(q.RELEASE, trunk_id)

    async def _channels(self, sql: LiteralString, trunk_id: UUID) -> ChannelState:
        found = await self._first(sql, {"trunk": trunk_id}, q.channel_states(trunk_id), PLATFORM, SipTrunk)
        if found is None:
            raise NotFound(f"sip_trunks: no row with id = {trunk_id}", table="sip_trunks")
        return found

    async def failover_chain(self, trunk_id: UUID) -> FailoverChain:
        """The trunk and the trunks its ``failover_trunk_id`` leads to, in the order a call tries them.

        Each trunk comes once: a chain that loops back ends there (``loops_to`` names the trunk it returns to).
        Only trunks of the same organization are followed, and at most ``MAX_FAILOVER_DEPTH`` hops.

        Raises:
            NotFound: there is no such trunk.
        """
        params = {"trunk": trunk_id, "max_depth": MAX_FAILOVER_DEPTH}
        steps = await self._all(q.FAILOVER_CHAIN, params, q.chain_steps, PLATFORM, SipTrunk)
        if not steps:
            raise NotFound(f"sip_trunks: no row with id = {trunk_id}", table="sip_trunks")
        return q.chain_of(steps)

    async def by_sip_username(self, username: str) -> SipTrunk | None:
        """The trunk whose SIP digest user name is ``username`` (unique across organizations), or ``None``."""
        return await self._first(q.BY_USERNAME, {"username": username}, rows_of(SipTrunk), PLATFORM, SipTrunk)

    async def ip_allowed(self, trunk_id: UUID, address: str | IpAddress) -> bool:
        """Whether the trunk's access list has a network containing ``address`` (IPv4 or IPv6).

        A network is ``ip_address`` with its prefix length ``subnet_mask``: ``/32`` (or ``/128``) is one address,
        ``/0`` every address of that family; a v4 network never contains a v6 address, nor the reverse.

        Raises:
            ValueError: ``address`` is not an IP address.
        """
        params = {"trunk": trunk_id, "ip": q.source_address(address)}
        return bool(await self._first(q.IP_ALLOWED, params, scalar, PLATFORM, TrunkAcl))

    async def acl_matches(self, address: str | IpAddress) -> list[AclMatch]:
        """Every access-list entry, of any trunk, whose network contains ``address``; the most specific first.

        Served by the GiST index ``trunk_acl_network_idx``.
        """
        params = {"ip": q.source_address(address)}
        rows = await self._all(q.ACL_MATCHES, params, rows_of(TrunkAcl), PLATFORM, TrunkAcl)
        return q.acl_matches(rows)

    async def trunk_for_ip(self, address: str | IpAddress) -> SipTrunk | None:
        """The trunk a source address belongs to: the one with the most specific network containing it.

        ``None`` when no network contains it, or when the most specific networks belong to several trunks (the
        address alone cannot say which; authenticate by digest instead).
        """
        owner = q.owner(await self.acl_matches(address))
        if owner is None:
            return None
        return await self._first(q.BY_ID, {"trunk": owner}, rows_of(SipTrunk), PLATFORM, SipTrunk)
