"""Routing: custom routing rules and the least-cost-routing rate deck.

The domain's face, sync and async. ``_async.py`` is its source, ``_sync.py`` is generated from it, and
``_queries.py`` holds its statements and result types, which do no I/O.
"""

from warp_repo.routing._async import (
    AsyncLcrRateRepo,
    AsyncRouting,
    AsyncRoutingRuleRepo,
    DeckLoad,
    RandomSource,
    RouteChoice,
    rule_matches,
    time_condition_applies,
    transform,
    weighted_order,
    weighted_pick,
)
from warp_repo.routing._sync import LcrRateRepo, Routing, RoutingRuleRepo

__all__ = [
    "AsyncLcrRateRepo",
    "AsyncRouting",
    "AsyncRoutingRuleRepo",
    "DeckLoad",
    "LcrRateRepo",
    "RandomSource",
    "RouteChoice",
    "Routing",
    "RoutingRuleRepo",
    "rule_matches",
    "time_condition_applies",
    "transform",
    "weighted_order",
    "weighted_pick",
]
