"""Extensions and dial plans: their repositories, resolving a dialed string and call forwarding.

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.extensions._async import (
    AsyncDialPlanRepo,
    AsyncDialPlans,
    AsyncExtensionRepo,
    DialResolution,
    ForwardCondition,
)
from warp_repo.extensions._sync import DialPlanRepo, DialPlans, ExtensionRepo

__all__ = [
    "AsyncDialPlanRepo",
    "AsyncDialPlans",
    "AsyncExtensionRepo",
    "DialPlanRepo",
    "DialPlans",
    "DialResolution",
    "ExtensionRepo",
    "ForwardCondition",
]
