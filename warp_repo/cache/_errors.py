"""Errors of the Redis cache layer (their place in the tree: ``warp_models.errors``).

Only stores of record raise them to callers: the session store and the registration cache, whose data exists
nowhere else, and every invalidation, whose failure the caller must know about. The read-through caches (API
keys, routes) fall through to the database instead, and the rate limiters answer by their fail mode.
"""

from __future__ import annotations

from warp_models.errors import WarpError

__all__ = ["CacheDataError", "CacheError", "CacheUnavailable"]


class CacheError(WarpError):
    """A cache operation failed.

    Attributes:
        operation: what was being done, e.g. ``"read session"``.
    """

    def __init__(self, message: str, *, operation: str) -> None:
        super().__init__(message)
        self.operation = operation


class CacheUnavailable(CacheError):
    """Redis could not be reached or did not answer in time; nothing is known about the outcome of a write."""


class CacheDataError(CacheError):
    """A value read from Redis does not match its key pattern's model.

    Attributes:
        key: the Redis key holding the value.
    """

    def __init__(self, message: str, *, operation: str, key: str) -> None:
        super().__init__(message, operation=operation)
        self.key = key
