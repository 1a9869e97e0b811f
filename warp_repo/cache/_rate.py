"""Rate-limit decisions and window arithmetic, I/O-free."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal, TypeAlias

__all__ = ["COUNTER_GRACE", "FailMode", "RateDecision", "Window"]

FailMode: TypeAlias = Literal["open", "closed"]
"""What a limiter answers when Redis is unavailable: ``"open"`` admits, ``"closed"`` refuses."""

COUNTER_GRACE: Final = timedelta(seconds=1)
"""How long a counter outlives its window, so a client whose clock lags by less still finds it."""


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The answer to one hit.

    Attributes:
        allowed: whether to let the request (or call) through.
        limit: hits allowed in the window (from the ``:quota``/``:max`` key, else the caller's fallback).
        count: hits admitted in the window so far, this one included when allowed.
        reset_after: time until the window ends and the count starts again.
        degraded: Redis was unavailable, so ``allowed`` is the limiter's fail mode, not a count.
    """

    allowed: bool
    limit: int
    count: int
    reset_after: timedelta
    degraded: bool = False

    @property
    def remaining(self) -> int:
        """Hits still allowed in the window."""
        return max(0, self.limit - self.count)


@dataclass(frozen=True, slots=True)
class Window:
    """The fixed window a moment falls in.

    Attributes:
        start: the window's start in Unix seconds (it names the counter key).
        reset_after: time from the moment to the window's end.
        counter_ttl: the counter's TTL when created at that moment: to the window's end plus
            :data:`COUNTER_GRACE`.
    """

    start: int
    reset_after: timedelta
    counter_ttl: timedelta

    @classmethod
    def at(cls, now: float, length: timedelta) -> Window:
        """The window of length ``length`` (whole seconds) that contains ``now`` (Unix seconds)."""
        seconds = int(length.total_seconds())
        start = math.floor(now / seconds) * seconds
        reset_after = timedelta(seconds=start + seconds - now)
        return cls(start, reset_after, reset_after + COUNTER_GRACE)


def check_window(length: timedelta) -> timedelta:
    """Refuse a window that is not a whole number of seconds (counter keys are named by their start second)."""
    if length < timedelta(seconds=1) or length % timedelta(seconds=1):
        raise ValueError(f"a rate window must be a whole number of seconds, at least one: {length}")
    return length
