"""SIP trunks: their repositories, channel capacity, failover chains and IP access lists.

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.trunks._async import (
    AclMatch,
    AsyncTrunkAclRepo,
    AsyncTrunkRegistrationRepo,
    AsyncTrunkRepo,
    AsyncTrunks,
    ChannelState,
    FailoverChain,
)
from warp_repo.trunks._sync import TrunkAclRepo, TrunkRegistrationRepo, TrunkRepo, Trunks

__all__ = [
    "AclMatch",
    "AsyncTrunkAclRepo",
    "AsyncTrunkRegistrationRepo",
    "AsyncTrunkRepo",
    "AsyncTrunks",
    "ChannelState",
    "FailoverChain",
    "TrunkAclRepo",
    "TrunkRegistrationRepo",
    "TrunkRepo",
    "Trunks",
]
