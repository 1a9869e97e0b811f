"""Errors of the database layer, chosen by SQLSTATE and never by the text of a server message.

The whole tree of the SDK's errors is drawn once, in ``warp_models.errors``. This module holds the classes a
statement can end in: a class per SQLSTATE the caller can act on, then a class per SQLSTATE *class* (its first two
characters, the way ``psycopg.errors.lookup`` falls back), then ``DatabaseError``. So every failure of the database
is a ``WarpError``, and ``except WarpError`` catches all of them; ``.sqlstate`` and the chained driver error
(``__cause__``) keep the details.

Every error raised while handling a driver error is chained to it (``raise ... from exc``). Values of the failing
row are never copied into messages: they may be secrets (``key_hash``) or personal data; on a table with a secret
column, the driver error's own text loses its ``DETAIL`` line too (``exc.diag`` keeps it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

import psycopg

from warp_models._base import TABLES
from warp_models._references import foreign_keys
from warp_models.errors import WarpError

if TYPE_CHECKING:
    from warp_models import Row

__all__ = [
    "Conflict",
    "ConnectionLost",
    "ConnectionUnavailable",
    "ConstraintViolation",
    "DatabaseError",
    "InsufficientResources",
    "InvalidCursor",
    "InvalidData",
    "InvalidReference",
    "InvalidTransition",
    "LimitExceeded",
    "NotFound",
    "OperatorIntervention",
    "PermissionDenied",
    "QueryError",
    "RepositoryError",
    "RowNotWritten",
    "RowSecurityViolation",
    "SchemaMismatch",
    "SerializationFailure",
    "StatementTimeout",
    "TenantScopeError",
    "TransactionStateError",
    "translate",
    "translating",
]

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
NOT_NULL_VIOLATION = "23502"
CHECK_VIOLATION = "23514"
SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
INSUFFICIENT_PRIVILEGE = "42501"
QUERY_CANCELED = "57014"
SESSION_ENDED = frozenset({"57P01", "57P02", "57P03", "57P05"})
"""Class 57 codes sent as the server closes the session (shutdown, crash, start-up, idle timeout)."""
IDLE_IN_TRANSACTION_TIMEOUT = "25P03"
RETRYABLE = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED})
"""SQLSTATEs after which running the whole transaction again can succeed."""


class RepositoryError(WarpError):
    """A statement failed for a reason the caller can act on.

    Attributes:
        sqlstate: the server's five-character code, when a statement failed on the server.
        table: the table concerned, when known.
    """

    def __init__(self, message: str, *, sqlstate: str | None = None, table: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.table = table


class NotFound(RepositoryError):
    """No row has the key asked for, or the row is outside the repository's organization."""


class Conflict(RepositoryError):
    """A unique key is already taken (SQLSTATE 23505).

    Attributes:
        constraint: the constraint (or, on a partitioned table, the partition's index) that refused the row.
        columns: the key's columns when the constraint is one the models declare, else ``()``.
    """

    def __init__(
        self,
        message: str,
        *,
        constraint: str | None,
        columns: tuple[str, ...] = (),
        sqlstate: str | None = UNIQUE_VIOLATION,
        table: str | None = None,
    ) -> None:
        super().__init__(message, sqlstate=sqlstate, table=table)
        self.constraint = constraint
        self.columns = columns


class InvalidReference(RepositoryError):
    """A foreign key points at no row, or a delete would leave rows pointing at nothing (SQLSTATE 23503).

    Attributes:
        constraint: the foreign key constraint.
    """

    def __init__(
        self, message: str, *, constraint: str | None, sqlstate: str | None = None, table: str | None = None
    ) -> None:
        super().__init__(message, sqlstate=sqlstate, table=table)
        self.constraint = constraint


class ConstraintViolation(RepositoryError):
    """A ``NOT NULL`` (23502), ``CHECK`` (23514) or other integrity rule (class 23) refused the row.

    Attributes:
        constraint: the constraint, when the server names one.
        column: the column, when the server names one (``NOT NULL``).
    """

    def __init__(
        self,
        message: str,
        *,
        constraint: str | None = None,
        column: str | None = None,
        sqlstate: str | None = None,
        table: str | None = None,
    ) -> None:
        super().__init__(message, sqlstate=sqlstate, table=table)
        self.constraint = constraint
        self.column = column


class SerializationFailure(RepositoryError):
    """The transaction lost a race with another one (40001) or a deadlock (40P01); it was rolled back.

    Nothing is wrong with the data: run the whole unit of work again, as ``transaction()`` does.

    Attributes:
        attempts: how many times the unit of work ran before giving up (set by ``transaction()``).
    """

    attempts: int = 1


class LimitExceeded(RepositoryError):
    """The change would take an organization past one of its limits; nothing was changed.

    Raised by the domain services, never by the server: ``max_trunks`` and ``max_numbers`` of
    ``organization_settings``, the ``credit_limit`` of a billing account, a campaign's ``total_recipients``.
    Raise the limit, or free something first.

    Attributes:
        limit_name: the column holding the limit.
        limit: its value.
        current: what it was checked against (rows held, or the balance the change would reach).
    """

    def __init__(
        self, message: str, *, limit_name: str, limit: object, current: object, table: str | None = None
    ) -> None:
        super().__init__(message, table=table)
        self.limit_name = limit_name
        self.limit = limit
        self.current = current


class InvalidTransition(RepositoryError):
    """The row is not in a state from which the change is allowed; nothing was changed.

    A phone number that is no longer available, a message status that would go backwards. Read the row again:
    another request may have changed it first.

    Attributes:
        current: the state found.
        requested: the state asked for.
    """

    def __init__(self, message: str, *, current: str | None, requested: str, table: str | None = None) -> None:
        super().__init__(message, table=table)
        self.current = current
        self.requested = requested


class RowNotWritten(RepositoryError):
    """A write's returned row does not fit the table's model, so the write cannot stay.

    A trigger, a column default changed on the server, or data of another system can make the database store a
    value the model refuses. On an autocommit connection the call's own transaction is rolled back: nothing was
    stored. Inside a caller's transaction no savepoint is opened per write (each would take a transaction id);
    that transaction is aborted instead, as by any failed statement (the server's log names the table), so
    nothing it did can be committed: roll it back, or wrap the call in ``conn.transaction()`` to roll back to
    that savepoint and carry on. The ``pydantic.ValidationError`` naming the columns is chained as ``__cause__``.
    """


class DatabaseError(RepositoryError):
    """The database refused a statement for a reason no closer class names; ``.sqlstate`` says which.

    Raised for SQLSTATEs the SDK has no class for, after falling back to their class; a ``RAISE EXCEPTION`` of a
    trigger or function of your own (``P0001``) ends here, its message kept.
    """


class InvalidData(DatabaseError):
    """Class 22: a value the database cannot store or compare as given.

    A NUL byte, an invalid encoding, a number out of range, a malformed literal. Fix the value; the model should
    have refused it, so report it too.
    """


class SchemaMismatch(DatabaseError):
    """Class 42 (other than 42501) and 3F: a table, column, function or schema is missing or different.

    The database is not at the schema this version of the SDK expects: run ``warp-db migrate``, then
    ``warp-db check``.
    """


class TransactionStateError(DatabaseError):
    """Class 25: the statement cannot run in the transaction's state.

    Most often ``25P02``: an earlier statement of the transaction failed, and PostgreSQL ignores everything until
    ``ROLLBACK``. Roll back, or wrap the statement that may fail in a savepoint (``with conn.transaction():``) to
    carry on after it. ``25006``: a write on a read-only connection.
    """


class InsufficientResources(DatabaseError):
    """Class 53: the server is out of connections, memory or disk; retry later or raise its limits."""


class OperatorIntervention(DatabaseError):
    """Class 57: the statement was cancelled, or the server is shutting down; the transaction was rolled back.

    ``57014`` is :class:`StatementTimeout`; the codes sent as the server closes the session (57P01 shutdown,
    57P02 crash, 57P03 starting up, 57P05 idle session timeout) are :class:`ConnectionLost`.
    """


class StatementTimeout(OperatorIntervention):
    """SQLSTATE 57014: the statement ran past ``statement_timeout`` (or was cancelled); the transaction is aborted.

    The connection is still usable once rolled back, and nothing of the transaction was committed. The bound is
    ``Database(statement_timeout=...)`` (30 s by default); make the statement cheaper, or raise the bound for
    the sessions that need more (``SET statement_timeout``).
    """


class ConnectionLost(DatabaseError):
    """Class 08, the session closed by the server, or the driver lost the connection (or gave up waiting for it).

    Attributes:
        committed: ``False`` when the transaction is known not to have committed: the connection broke before
            ``COMMIT`` was sent, and the server rolls back what a lost session did not commit, so the whole
            unit of work may be run again (``transaction()`` does, on a new connection). ``None`` when the outcome
            is unknown: the connection broke during ``COMMIT`` (or during a statement of an autocommit
            connection), so it may have committed; read back before doing it again.
    """

    def __init__(
        self, message: str, *, committed: bool | None = None, sqlstate: str | None = None, table: str | None = None
    ) -> None:
        super().__init__(message, sqlstate=sqlstate, table=table)
        self.committed = committed

    @property
    def outcome_unknown(self) -> bool:
        """Whether the transaction may have committed (``committed is None``)."""
        return self.committed is None


class TenantScopeError(WarpError):
    """A call would read or write rows of another organization than the repository's, or of none."""


class PermissionDenied(RepositoryError):
    """The server refused the statement to the connected role (SQLSTATE 42501); nothing was changed.

    A grant is missing (the role is not a member of the application role, or writes a table only the platform
    role may write, such as ``lcr_rates``), or a guarded column was set (``organizations.parent_org_id``, which
    only the platform role sets). Connect as the role the change belongs to; ``docs/security.md`` lists them.
    """


class RowSecurityViolation(TenantScopeError, PermissionDenied):
    """A row-level security policy refused a row (SQLSTATE 42501): it is not a row of the transaction's tenant.

    Raised when a statement runs without a tenant context (an unscoped repository, as the application role),
    writes a row of another organization, or meets another organization's row (an ``upsert`` whose key is taken
    there). Scope the repository with ``for_org(org_id)``; work across organizations belongs to the platform role.
    """


class InvalidCursor(WarpError):
    """A page cursor is malformed, was altered, or was made for another table, scope or ordering."""


class QueryError(WarpError):
    """The repository was asked for something it cannot express: an unknown column, a key that is not unique."""


class ConnectionUnavailable(WarpError):
    """No pooled connection became free within the pool's timeout; nothing of the unit of work ran.

    The pool is exhausted (raise ``max_size``, keep transactions shorter) or the database does not answer: each
    new connection is given ``connect_timeout`` seconds, so a server that is down or stalled ends here.
    """


class _ServerNotAnswering(psycopg.OperationalError):
    """Raised by the driver layer (``Database``'s connections) when the server sends nothing back in time.

    A driver-level error, as a broken socket is: ``translate`` makes it a :class:`ConnectionLost`. The connection
    is closed when it is raised: a stalled server never leaves a thread blocked on it.
    """


def _unique_columns(row: type[Row] | None, constraint: str | None) -> tuple[str, ...]:
    """The declared key behind a constraint name, partitions included (``cdrs_2026_03_call_id_start_time_key``)."""
    if row is None or constraint is None:
        return ()
    table = row.__table_spec__.name
    keys = {f"{table}_pkey": row.primary_key()}
    for key in row.unique_keys():
        keys[f"{table}_{'_'.join(key)}_key"] = key
    if constraint in keys:
        return keys[constraint]
    # A partition's index is named after the partition: the table name, a suffix, then the declared key.
    for name, key in keys.items():
        suffix = name.removeprefix(table)
        if constraint.startswith(f"{table}_") and constraint.endswith(suffix):
            return key
    return ()


_BY_CLASS: dict[str, tuple[type[DatabaseError], str]] = {
    "08": (ConnectionLost, "the connection broke; whether the transaction committed is unknown: read back first"),
    "22": (InvalidData, "a value cannot be stored as given; fix the value (the model should have refused it)"),
    "25": (TransactionStateError, "roll back, or run the statement that may fail inside conn.transaction()"),
    "3F": (SchemaMismatch, "the schema is not the one this SDK expects: run warp-db migrate, then warp-db check"),
    "42": (SchemaMismatch, "the schema is not the one this SDK expects: run warp-db migrate, then warp-db check"),
    "53": (InsufficientResources, "the server is out of resources; retry later or raise its limits"),
    "57": (OperatorIntervention, "the statement was cancelled (statement_timeout?) or the server is stopping"),
}
"""SQLSTATE classes the SDK names, with what to do; any other class is a plain ``DatabaseError``."""


def translate(exc: psycopg.Error, row: type[Row] | None = None) -> RepositoryError:
    """The SDK error for a driver error, chosen by SQLSTATE, else by its class, else ``DatabaseError``.

    Args:
        exc: the psycopg error.
        row: the model of the table the statement was about, used to name the key of a conflict.

    Returns:
        The error to raise ``from exc``.
    """
    sqlstate = exc.sqlstate
    diag = exc.diag
    if sqlstate is None:
        # Raised by the driver itself, not the server: a broken connection, or a value it cannot send.
        where = row.__table_spec__.name if row is not None else None
        if isinstance(exc, psycopg.DataError):
            return InvalidData(
                f"{where or 'a statement'}: the driver cannot send a value ({exc}); fix the value (the model should "
                "have refused it)",
                table=where,
            )
        if isinstance(exc, _ServerNotAnswering):
            return ConnectionLost(
                f"{exc}: the connection was closed; whether the transaction committed is unknown, read back "
                "before writing again",
                table=where,
            )
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return ConnectionLost(
                f"the database connection failed ({type(exc).__name__}): whether the transaction committed is "
                "unknown; read back before writing again",
                table=where,
            )
        return DatabaseError(
            f"{where or 'a statement'}: the driver refused it ({type(exc).__name__}: {exc})", table=where
        )
    specific = _specific(exc, sqlstate, row)
    if specific is not None:
        return specific
    table = diag.table_name or (row.__table_spec__.name if row is not None else None)
    kind, advice = _BY_CLASS.get(sqlstate[:2], (DatabaseError, "see the chained driver error"))
    primary = diag.message_primary or type(exc).__name__
    if sqlstate.startswith("22") and _has_secrets(table, row):
        primary = "a value was refused"  # class 22 messages may quote the value itself
    where = f"{table}: " if table else ""
    return kind(f"{where}{primary} (SQLSTATE {sqlstate}): {advice}", sqlstate=sqlstate, table=table)


def _specific(exc: psycopg.Error, sqlstate: str, row: type[Row] | None) -> RepositoryError | None:
    """The error for a SQLSTATE the SDK has a class of its own for, or ``None``."""
    diag = exc.diag
    table = diag.table_name or (row.__table_spec__.name if row is not None else None)
    constraint = diag.constraint_name
    if sqlstate == UNIQUE_VIOLATION:
        columns = _unique_columns(row, constraint)
        key = f" on ({', '.join(columns)})" if columns else ""
        return Conflict(
            f"{table}: a row with the same key{key} already exists (constraint {constraint}); "
            "read that row and update it, or use upsert(..., on=...)",
            constraint=constraint,
            columns=columns,
            table=table,
        )
    if sqlstate == FOREIGN_KEY_VIOLATION:
        if constraint not in _declared_foreign_keys() and diag.message_primary:
            # A reference rule of a trigger (devices.lines naming extensions): its own message says which line.
            return InvalidReference(
                f"{table}: {diag.message_primary}", constraint=constraint, sqlstate=sqlstate, table=table
            )
        same_org = row is not None and any(fk.same_org and fk.name == constraint for fk in foreign_keys(row))
        missing = (
            "does not exist in this row's organization (a row only references rows of its own organization: check "
            "the id and the organization)"
            if same_org
            else "does not exist (create it first, or check the id)"
        )
        return InvalidReference(
            f"{table}: foreign key {constraint} refused the change: either the row referenced {missing}, "
            "or rows still reference the one being deleted (delete those first)",
            constraint=constraint,
            sqlstate=sqlstate,
            table=table,
        )
    if sqlstate == NOT_NULL_VIOLATION:
        column = diag.column_name
        return ConstraintViolation(
            f"{table}.{column} cannot be NULL: give it a value",
            column=column,
            constraint=constraint,
            sqlstate=sqlstate,
            table=table,
        )
    if sqlstate.startswith("23"):
        return ConstraintViolation(
            f"{table}: constraint {constraint} refused the row (SQLSTATE {sqlstate}); "
            "fix the values it checks, the constraint is in the migrations",
            constraint=constraint,
            sqlstate=sqlstate,
            table=table,
        )
    if sqlstate == INSUFFICIENT_PRIVILEGE:
        # PostgreSQL gives a policy's refusal and a missing grant the same SQLSTATE; the primary message (never a
        # value of the row) is what tells them apart, and it is quoted so the caller sees which it was.
        primary = diag.message_primary or "permission denied"
        if "row-level security" in primary:
            return RowSecurityViolation(
                f"{table}: {primary}: the row is not a row of the transaction's tenant. Scope the repository with "
                "for_org(org_id) (a row of another organization, or of none, is the platform role's to write)",
                sqlstate=sqlstate,
                table=table,
            )
        return PermissionDenied(
            f"{table}: {primary} (SQLSTATE 42501): the connected role may not do this; connect as a member of the "
            "role it belongs to (docs/security.md lists what the application and platform roles may do)",
            sqlstate=sqlstate,
            table=table,
        )
    if sqlstate == QUERY_CANCELED:
        return StatementTimeout(
            f"{diag.message_primary or 'canceling statement'} (SQLSTATE 57014): the statement ran past "
            "statement_timeout or was cancelled, and the transaction is aborted; make it cheaper or raise the bound",
            sqlstate=sqlstate,
            table=table,
        )
    if sqlstate in SESSION_ENDED or sqlstate == IDLE_IN_TRANSACTION_TIMEOUT:
        # The server ends the session: an open transaction is rolled back with it; a statement running in
        # autocommit may have committed first, so the outcome stays unknown unless the caller knows better.
        return ConnectionLost(
            f"{diag.message_primary or 'the server closed the session'} (SQLSTATE {sqlstate}): the connection is "
            "gone; whether the transaction committed is unknown, read back before writing again",
            committed=False if sqlstate == IDLE_IN_TRANSACTION_TIMEOUT else None,
            sqlstate=sqlstate,
            table=table,
        )
    if sqlstate in RETRYABLE:
        what = "a deadlock" if sqlstate == DEADLOCK_DETECTED else "a concurrent transaction"
        return SerializationFailure(
            f"the transaction was rolled back because of {what} (SQLSTATE {sqlstate}); "
            "run the whole unit of work again, for example with warp_repo transaction(...)",
            sqlstate=sqlstate,
            table=table,
        )
    return None


@cache
def _declared_foreign_keys() -> frozenset[str]:
    """The names of the foreign keys the models declare (a trigger's reference rule is not one of them)."""
    return frozenset(fk.name for row in TABLES.values() for fk in foreign_keys(row))


@contextmanager
def translating(row: type[Row] | None = None) -> Iterator[None]:
    """Raise the SDK error for a driver error raised inside the block, chained ``from`` it."""
    try:
        yield
    except psycopg.Error as exc:
        _redact_detail(exc, row)
        raise translate(exc, row) from exc


def _has_secrets(table: str | None, row: type[Row] | None) -> bool:
    model = TABLES.get(table or "") or row
    return model is not None and any(column.col.secret for column in model.__columns__)


def _redact_detail(exc: psycopg.Error, row: type[Row] | None) -> None:
    """Drop the server's DETAIL from the driver error's text when it may hold a secret column's value.

    ``Key (key_hash)=(...)`` and ``Failing row contains (...)`` copy stored values into the message, and the driver
    error stays reachable as ``__cause__`` (printed by tracebacks and ``logging``). ``exc.diag`` keeps every field
    for code that needs it.
    """
    detail = exc.diag.message_detail
    if not detail or not exc.args or not isinstance(exc.args[0], str):
        return
    if not _has_secrets(exc.diag.table_name, row):
        return
    text = exc.args[0].replace(detail, "(redacted: it may show a secret column's value; see exc.diag)")
    exc.args = (text, *exc.args[1:])
