"""Messaging: SMS/MMS messages, forward-only delivery states, campaign counters.

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.messaging._async import (
    ALLOWED_FROM,
    AsyncMessageRepo,
    AsyncMessaging,
    AsyncMessagingCampaignRepo,
    CampaignCounts,
    StatusChange,
)
from warp_repo.messaging._sync import MessageRepo, Messaging, MessagingCampaignRepo

__all__ = [
    "ALLOWED_FROM",
    "AsyncMessageRepo",
    "AsyncMessaging",
    "AsyncMessagingCampaignRepo",
    "CampaignCounts",
    "MessageRepo",
    "Messaging",
    "MessagingCampaignRepo",
    "StatusChange",
]
