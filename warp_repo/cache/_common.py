"""I/O-free helpers shared by the async stores and their generated sync twins."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from warp_repo.cache._errors import CacheError, CacheUnavailable


def translate(exc: RedisError | OSError, store: str, operation: str) -> CacheError:
    """The SDK error for a failed Redis command (the caller chains it ``from exc``)."""
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError):
        return CacheUnavailable(
            f"The {store} could not {operation}: Redis did not answer in time or refused the connection ({exc}). "
            "Check that Redis is up and reachable; the client's timeout bounds how long this takes.",
            operation=operation,
        )
    return CacheError(f"The {store} could not {operation}: Redis answered with an error ({exc}).", operation=operation)


def ms(duration: timedelta) -> int:
    """A duration in whole milliseconds, at least one (``PEXPIRE`` refuses zero)."""
    return max(1, int(duration / timedelta(milliseconds=1)))


def flat(fields: Mapping[str, str]) -> list[str]:
    """``{"a": "1", "b": "2"}`` as ``["a", "1", "b", "2"]``, the argument list ``HSET`` takes."""
    return [item for pair in fields.items() for item in pair]


def text(value: bytes | str) -> str:
    """A reply as text, whether or not the client decodes replies."""
    return value.decode() if isinstance(value, bytes) else value


def new_session_id() -> str:
    """A fresh session id: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)
