"""Errors raised by warp-models and warp-repo: the whole tree, drawn once.

Every error the SDK raises on purpose is a ``WarpError``; every failure of the database is one too (chosen by
SQLSTATE, then by SQLSTATE class, in ``warp_repo.errors``). Bad *data* is reported by pydantic's
``ValidationError``, which is not in this tree: a model refused the value before any I/O. Misuse of the library
(``QueryError``, ``ModelDefinitionError``) is kept apart from failures of the data or the database. Every error
raised while handling a driver error is chained to it (``raise ... from exc``)::

    WarpError
    ├── ConfigurationError           settings missing or contradictory (what to set is in the message)
    │   └── KeyringError             encryption keys or API-key peppers missing or malformed (also a SecretsError)
    ├── ModelDefinitionError         a model declaration is inconsistent (misuse)
    ├── MigrationError               a migration file or run is wrong (names the file and version)
    │   ├── MigrationFileError       the file cannot be read as a migration (name, header, markers)
    │   │   └── DuplicateVersion     two files claim one version
    │   ├── ChecksumMismatch         an applied migration was edited afterwards
    │   ├── MigrationFailed          a statement failed; carries the SQLSTATE and the statement
    │   └── MigrationLockLost        warp_repo.migrations: the lock was lost mid-run; the run stopped
    ├── DriftError                   the live database differs from the models
    ├── RepositoryError              warp_repo.errors: a statement failed (.sqlstate, .table)
    │   ├── NotFound                 no row has that key (within the repository's scope)
    │   ├── Conflict                 23505: a unique key is taken (.constraint, .columns)
    │   ├── InvalidReference         23503: a foreign key points at no row (of this organization), or is still used
    │   ├── ConstraintViolation      23502 NOT NULL, 23514 CHECK and the rest of class 23
    │   ├── SerializationFailure     40001 / 40P01: the transaction lost a race; run it again (``transaction()``)
    │   ├── PermissionDenied         42501: a missing grant, a column only the platform role sets
    │   │   └── RowSecurityViolation 42501 from a row-level security policy (also a TenantScopeError)
    │   ├── LimitExceeded            an organization's limit or an account's credit would be exceeded
    │   ├── InvalidTransition        the row's state forbids the change asked for
    │   ├── RowNotWritten            a write's returned row does not fit its model: the write was undone
    │   └── DatabaseError            any other SQLSTATE; by class:
    │       ├── ConnectionLost       08, 57P01..., or no answer in time (.committed: False, or None if unknown)
    │       ├── InvalidData          22: a value the database cannot store as given
    │       ├── TransactionStateError 25: e.g. 25P02, an earlier statement of the transaction failed
    │       ├── SchemaMismatch       42 (not 42501), 3F: the schema is not the expected one (migrate)
    │       ├── InsufficientResources 53: out of connections, memory or disk
    │       └── OperatorIntervention 57: cancelled or shutting down
    │           └── StatementTimeout 57014: statement_timeout fired (or a cancel); the transaction is aborted
    ├── TenantScopeError             a call would read or write another organization's rows, or no organization's
    ├── InvalidCursor                a page cursor is malformed, altered, or belongs to another query
    ├── QueryError                   the repository was asked for something it cannot express (misuse)
    ├── ConnectionUnavailable        no pooled connection became free in time
    ├── InsecureDatabase             warp_repo.security: the connection could bypass row-level security
    ├── SecretsError                 warp_repo.secrets: a secret cannot be stored, checked or read back
    │   ├── DecryptionError          a ciphertext does not decrypt for this row, column and organization
    │   │   └── UnknownKeyId         the key id is not in the keyring any more
    │   └── CiphertextTooLong        the ciphertext does not fit its column
    └── CacheError                   warp_repo.cache: a cache operation failed (the redis-py error is chained)
        ├── CacheUnavailable         Redis refused, dropped or did not answer in time
        └── CacheDataError           a stored value is not what its key pattern promises

Test helpers raise their own errors (``warp_repo.testing``), never these.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ChecksumMismatch",
    "ConfigurationError",
    "DriftError",
    "MigrationError",
    "MigrationFailed",
    "MigrationFileError",
    "WarpError",
]


class WarpError(Exception):
    """Base of every error raised on purpose by warp-models and warp-repo."""


class ConfigurationError(WarpError):
    """Settings are missing, malformed or contradictory."""


class MigrationError(WarpError):
    """A migration cannot be read, applied or rolled back.

    Attributes:
        path: the migration file concerned, when there is one.
        version: its version (``YYYYMMDD_NNN``), when known.
    """

    def __init__(self, message: str, *, path: Path | None = None, version: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.version = version


class MigrationFileError(MigrationError):
    """A migration file breaks the file convention (name, header block, UP/DOWN markers)."""


class ChecksumMismatch(MigrationError):
    """An applied migration's file no longer matches the checksum recorded when it was applied."""


class MigrationFailed(MigrationError):
    """A statement of a migration failed; the migration's transaction was rolled back.

    Attributes:
        sqlstate: the five-character SQLSTATE reported by the server, when there was one.
        statement: the statement that failed, as written in the file.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        version: str | None = None,
        sqlstate: str | None = None,
        statement: str | None = None,
    ) -> None:
        super().__init__(message, path=path, version=version)
        self.sqlstate = sqlstate
        self.statement = statement


class DriftError(WarpError):
    """The live database schema differs from the models (see ``warp_repo.migrations.check_drift``)."""
