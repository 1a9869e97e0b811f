"""SIP trunks: channel counting, failover chains, IP access lists."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
from typing import Any, LiteralString
from uuid import UUID

from psycopg.rows import BaseRowFactory, RowMaker

from warp_models import SipTrunk, TrunkAcl
from warp_models.types import IpAddress, IpNetwork
from warp_repo._core.queries import columns
from warp_repo._core.statements import rows_of

MAX_FAILOVER_DEPTH = 16
"""How many failover hops a chain follows at most."""


@dataclass(frozen=True)
class ChannelState:
    """A trunk's channel count after ``acquire_channel`` or ``release_channel``.

    Attributes:
        trunk_id: the trunk.
        changed: whether this call took (or gave back) a channel; ``False`` when the trunk was full or inactive
            (acquire) or had no channel in use (release).
        in_use: channels in use now (as of the change, or as last committed when nothing changed).
        max_channels: the trunk's capacity; ``None`` means unlimited.
        status: the trunk's status.
    """

    trunk_id: UUID
    changed: bool
    in_use: int
    max_channels: int | None
    status: str | None

    @property
    def full(self) -> bool:
        """Whether no further channel can be taken."""
        return self.max_channels is not None and self.in_use >= self.max_channels


@dataclass(frozen=True)
class FailoverChain:
    """The trunks a call tries in turn: the trunk asked for, then its ``failover_trunk_id``, and so on.

    Attributes:
        trunks: the chain, the trunk asked for first, each trunk once.
        loops_to: when the last trunk's failover points back into the chain, the trunk it points to.
        truncated: the chain was cut at ``MAX_FAILOVER_DEPTH`` hops.
    """

    trunks: tuple[SipTrunk, ...]
    loops_to: UUID | None = None
    truncated: bool = False

    def first_available(self) -> SipTrunk | None:
        """The first active trunk of the chain with a free channel (as read; ``acquire_channel`` decides)."""
        for trunk in self.trunks:
            free = trunk.max_channels is None or (trunk.channels_in_use or 0) < trunk.max_channels
            if (trunk.status or "active") == "active" and free:
                return trunk
        return None


@dataclass(frozen=True)
class AclMatch:
    """An access-list entry containing an address.

    Attributes:
        acl: the ``trunk_acl`` row.
        network: the network it allows: ``ip_address`` with its prefix length ``subnet_mask``.
    """

    acl: TrunkAcl
    network: IpNetwork

    @property
    def trunk_id(self) -> UUID:
        """The trunk the entry belongs to."""
        return self.acl.trunk_id


def network_of(address: IpAddress, prefix_length: int) -> IpNetwork:
    """The network of ``address`` with ``prefix_length`` bits, host bits cleared (``10.1.2.3``/24 is 10.1.2.0/24)."""
    return ip_network(f"{address}/{prefix_length}", strict=False)


def source_address(value: str | IpAddress) -> IpAddress:
    """An address given as text or as an ``ipaddress`` object; a ``ValueError`` when it is neither."""
    return value if isinstance(value, IPv4Address | IPv6Address) else ip_address(value)


_CHANNEL_RESULT: LiteralString = """
SELECT true, channels_in_use, max_channels, status FROM changed
UNION ALL
SELECT false, COALESCE(channels_in_use, 0), max_channels, status FROM sip_trunks
WHERE id = %(trunk)s AND NOT EXISTS (SELECT 1 FROM changed)
"""

ACQUIRE: LiteralString = (
    """
WITH changed AS (
    UPDATE sip_trunks SET channels_in_use = COALESCE(channels_in_use, 0) + 1
    WHERE id = %(trunk)s
      AND COALESCE(status, 'active') = 'active'
      AND (max_channels IS NULL OR COALESCE(channels_in_use, 0) < max_channels)
    RETURNING channels_in_use, max_channels, status
)"""
    + _CHANNEL_RESULT
)
"""Take a channel if the trunk is active and below ``max_channels``; one statement, so never past the limit.

Under ``READ COMMITTED`` a concurrent increment makes this one wait, then test the condition again on the new
count. The second half reports the state when no channel was taken (full, inactive), in the same round trip; no
row at all means there is no such trunk."""

RELEASE: LiteralString = (
    """
WITH changed AS (
    UPDATE sip_trunks SET channels_in_use = channels_in_use - 1
    WHERE id = %(trunk)s AND channels_in_use > 0
    RETURNING channels_in_use, max_channels, status
)"""
    + _CHANNEL_RESULT
)
"""Give a channel back, never going below zero."""

_TRUNK_COLUMNS = columns(SipTrunk, "t")

FAILOVER_CHAIN: LiteralString = f"""
WITH RECURSIVE chain (id, org_id, next_id, depth, path, looped) AS (
    SELECT t.id, t.org_id, t.failover_trunk_id, 0, ARRAY[t.id], false
    FROM sip_trunks t WHERE t.id = %(trunk)s
  UNION ALL
    SELECT t.id, t.org_id, t.failover_trunk_id, c.depth + 1, c.path || t.id, t.id = ANY (c.path)
    FROM chain c JOIN sip_trunks t ON t.id = c.next_id AND t.org_id = c.org_id
    WHERE NOT c.looped AND c.depth < %(max_depth)s
)
SELECT c.looped, c.next_id IS NOT NULL AND c.depth = %(max_depth)s, {_TRUNK_COLUMNS}
FROM chain c JOIN sip_trunks t ON t.id = c.id
ORDER BY c.depth
"""
"""The failover chain from ``trunk``: each step is the previous trunk's ``failover_trunk_id`` within the same
organization (a failover to another organization's trunk is not followed). ``path`` holds the trunks seen; a trunk
seen before comes back once, marked ``looped``, and ends the walk."""

BY_USERNAME: LiteralString = f"SELECT {columns(SipTrunk)} FROM sip_trunks WHERE username = %(username)s"
BY_ID: LiteralString = f"SELECT {columns(SipTrunk)} FROM sip_trunks WHERE id = %(trunk)s"

_NETWORK: LiteralString = "set_masklen(ip_address, subnet_mask)"
"""The network an ACL entry allows. The GiST index ``trunk_acl_network_idx`` is built on this very expression."""

IP_ALLOWED: LiteralString = f"""
SELECT EXISTS (
    SELECT 1 FROM trunk_acl WHERE trunk_id = %(trunk)s AND {_NETWORK} >>= %(ip)s::inet
)
"""
"""Whether an entry of the trunk's access list contains the address. A ``NULL`` subnet_mask allows nothing."""

ACL_MATCHES: LiteralString = f"""
SELECT {columns(TrunkAcl)} FROM trunk_acl
WHERE {_NETWORK} >>= %(ip)s::inet
ORDER BY subnet_mask DESC, trunk_id, id
"""
"""Every entry containing the address, the most specific (longest prefix) first."""


def channel_states(trunk_id: UUID) -> BaseRowFactory[ChannelState]:
    """Row factory of ``ACQUIRE`` / ``RELEASE``."""

    def factory(cursor: Any) -> RowMaker[ChannelState]:
        return lambda v: ChannelState(trunk_id, v[0], v[1], v[2], v[3])

    return factory


@dataclass(frozen=True)
class ChainStep:
    """One row of ``FAILOVER_CHAIN``."""

    looped: bool
    cut: bool
    trunk: SipTrunk


def chain_steps(cursor: Any) -> RowMaker[ChainStep]:
    """Row factory of ``FAILOVER_CHAIN``."""
    make = rows_of(SipTrunk)(cursor)
    return lambda v: ChainStep(v[0], v[1], make(v[2:]))


def chain_of(steps: list[ChainStep]) -> FailoverChain:
    """The chain the steps describe (the trunk that closes a loop is not repeated)."""
    trunks = tuple(s.trunk for s in steps if not s.looped)
    loops_to = next((s.trunk.id for s in steps if s.looped), None)
    return FailoverChain(trunks, loops_to, truncated=any(s.cut for s in steps))


def acl_matches(rows: list[TrunkAcl]) -> list[AclMatch]:
    """The matches, with each entry's network."""
    return [AclMatch(acl, network_of(acl.ip_address, acl.subnet_mask)) for acl in rows if acl.subnet_mask is not None]


def owner(matches: list[AclMatch]) -> UUID | None:
    """The trunk of the most specific match, or ``None`` when there is none or several trunks share it."""
    if not matches:
        return None
    best = matches[0].network.prefixlen
    trunks = {m.trunk_id for m in matches if m.network.prefixlen == best}
    return trunks.pop() if len(trunks) == 1 else None
