"""Errors raised by warp-models and warp-repo.

The tree::

    WarpError                      every error the SDK raises on purpose
    ├── ConfigurationError         settings missing or contradictory (what to set is in the message)
    ├── MigrationError             a migration file or run is wrong (names the file and version)
    │   ├── MigrationFileError     the file cannot be read as a migration (name, header, markers)
    │   ├── ChecksumMismatch       an applied migration was edited afterwards
    │   └── MigrationFailed        a statement failed; carries the SQLSTATE and the statement
    └── DriftError                 the live database differs from the models

Bad *data* is reported by pydantic's ``ValidationError``; these errors are about everything else. Every error
raised while handling a driver error is chained to it (``raise ... from exc``).
"""

from __future__ import annotations

from pathlib import Path


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
    """The live database schema differs from the models (see ``warp_models.migrations.check_drift``)."""
