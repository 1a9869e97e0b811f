"""Transactions that are run again when they lose a race: the retry policy.

PostgreSQL (SERIALIZABLE isolation) and CockroachDB (always) abort a transaction with SQLSTATE 40001 when it
conflicts with a concurrent one, and with 40P01 on a deadlock. Nothing is wrong with the data: running the whole
unit of work again, from ``BEGIN``, succeeds. ``transaction(conn_or_pool, fn)`` (sync, in ``database_sync``) and
``async_transaction`` (in ``database_async``) do that; this module holds what they share and does no I/O: which
errors are worth a retry and how long to wait before each one.

A lost connection is worth a retry only when the unit of work is known not to have committed
(``ConnectionLost.committed is False``: it broke before ``COMMIT``) and a new connection can be had (a pool);
when it broke during ``COMMIT`` the outcome is unknown, and running the work again could do it twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import psycopg

from warp_repo.errors import RETRYABLE, ConnectionLost, QueryError, SerializationFailure, translate

__all__ = ["RetryPolicy", "connection_lost", "gave_up", "is_retryable", "lost_before_commit", "not_idle_error"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to run a unit of work again after a serialization failure or deadlock.

    Waits grow exponentially (``base_delay * 2**n``, capped at ``max_delay``) with full jitter, so that the
    transactions that collided do not collide again in lockstep.

    Attributes:
        retries: how many times to run again after the first attempt (so at most ``retries + 1`` runs).
        base_delay: the wait ceiling before the first retry, in seconds.
        max_delay: the largest wait, in seconds.
    """

    retries: int = 5
    base_delay: float = 0.02
    max_delay: float = 1.0
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.retries < 0 or self.base_delay < 0 or self.max_delay < self.base_delay:
            raise ValueError("RetryPolicy needs retries >= 0 and 0 <= base_delay <= max_delay")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return self._random.uniform(0, ceiling)


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` (or the driver error it was raised from) says "run the transaction again"."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SerializationFailure):
            return True
        if isinstance(seen, psycopg.Error) and seen.sqlstate in RETRYABLE:
            return True
        seen = seen.__cause__
    return False


def connection_lost(exc: BaseException, committed: bool | None) -> ConnectionLost | None:
    """``exc`` as a :class:`ConnectionLost` that says what is known of the outcome, or ``None`` if it is no loss.

    Args:
        exc: what a unit of work or its ``COMMIT`` raised: a ``ConnectionLost`` already (its ``committed`` is
            set from the caller's knowledge, which is better than the statement's), or a driver error.
        committed: ``False`` when it was raised before ``COMMIT`` was sent, ``None`` during ``COMMIT``.
    """
    if isinstance(exc, ConnectionLost):
        exc.committed = committed
        return exc
    if isinstance(exc, psycopg.Error):
        error = translate(exc)
        if isinstance(error, ConnectionLost):
            error.committed = committed
            return error
    return None


def lost_before_commit(exc: BaseException) -> bool:
    """Whether ``exc`` is a lost connection after which the unit of work is known not to have committed."""
    return isinstance(exc, ConnectionLost) and exc.committed is False


def gave_up(exc: BaseException, attempts: int) -> SerializationFailure:
    """The error raised when the last allowed attempt failed too."""
    error = SerializationFailure(
        f"the unit of work lost a race {attempts} times in a row (SQLSTATE 40001/40P01); "
        "the contention is lasting: shorten the transaction, or retry later",
        sqlstate=getattr(exc, "sqlstate", None),
    )
    error.attempts = attempts
    return error


def not_idle_error() -> QueryError:
    """The error for a connection already inside a transaction: a retry must restart from ``BEGIN``."""
    return QueryError(
        "transaction() needs a connection outside any transaction: a retry has to start the whole unit of work "
        "again, which a savepoint cannot do; commit or roll back first, or pass a pool"
    )
