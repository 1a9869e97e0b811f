"""Applying and undoing migrations against a database: migrate, rollback, status, repair, baseline.

Every function that changes the schema holds the migration lock for its whole run (see ``_lock``). A migration
runs statement by statement, each sent with the simple query protocol, inside one transaction together with its
``schema_migrations`` row, so it is applied entirely or not at all; the split into statements is what lets a
failure name the statement, its line and its SQLSTATE. A ``-- warp:no-transaction`` migration runs its
statements one by one in autocommit mode instead, for statements PostgreSQL refuses inside a transaction; before
each one it records the statement it has reached, so a run killed part-way shows in ``status`` as stopped there
instead of as pending.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import psycopg
from psycopg.rows import TupleRow

from warp_models.errors import ChecksumMismatch, MigrationError, MigrationFailed
from warp_repo.migrations._files import Migration, bundled_migrations_dir, load_migrations, require_version
from warp_repo.migrations._history import HISTORY_TABLE, History, HistoryRow
from warp_repo.migrations._lock import LeaseLock, MigrationLock, MigrationLockLost, default_lock
from warp_repo.migrations._sqltext import Statement

__all__ = [
    "BaselineReport",
    "MigrateReport",
    "MigrationState",
    "MigrationStatus",
    "RepairReport",
    "RollbackReport",
    "StepResult",
    "baseline",
    "migrate",
    "repair",
    "rollback",
    "status",
]

logger = logging.getLogger("warp_repo.migrations")

_Conn = psycopg.Connection[TupleRow]
_STATEMENT_EXCERPT = 2000


class MigrationState(StrEnum):
    """Where a migration stands against one database."""

    APPLIED = "applied"
    """Recorded as applied, and its file's UP section is unchanged since."""
    PENDING = "pending"
    """Has a file, is not recorded: the next migrate applies it."""
    FAILED = "failed"
    """The last attempt failed; its error and SQLSTATE are recorded. The next migrate tries again."""
    EDITED = "edited"
    """Applied, but its file's UP section changed afterwards: migrate refuses until it is reverted or repaired."""
    MISSING = "missing"
    """Recorded as applied, but no file has its version any more."""


@dataclass(frozen=True)
class MigrationStatus:
    """One migration's state against one database.

    Attributes:
        version: ``YYYYMMDD_NNN``.
        name: the file's snake_case name (from the record when the file is missing).
        state: see :class:`MigrationState`.
        path: the file, None when it is missing.
        applied_at: when it was applied (or last attempted, for a failed one); None when pending.
        applied_by: the database role that applied it.
        execution_ms: how long it took.
        kind: ``migrate`` when it ran, ``baseline`` when ``baseline`` marked it applied; None when pending.
        error: the server's message of the last failed attempt; for an interrupted run, the statement it reached.
        sqlstate: the SQLSTATE of the last failed attempt (None for an interrupted run).
        down_edited: the DOWN section changed since it was applied: ``rollback`` refuses to run it until
            ``repair`` records the new one (migrate is not affected).
        interrupted: a no-transaction run started and did not finish (killed, or still running under the lock):
            the statements before the one in ``error`` are applied, that one maybe, the rest not.
    """

    version: str
    name: str
    state: MigrationState
    path: Path | None
    applied_at: dt.datetime | None = None
    applied_by: str | None = None
    execution_ms: int | None = None
    kind: str | None = None
    error: str | None = None
    sqlstate: str | None = None
    down_edited: bool = False
    interrupted: bool = False


@dataclass(frozen=True)
class StepResult:
    """One migration applied or rolled back by a run.

    Attributes:
        version: ``YYYYMMDD_NNN``.
        name: the snake_case name.
        path: the file.
        execution_ms: wall-clock milliseconds, statements and bookkeeping included.
    """

    version: str
    name: str
    path: Path
    execution_ms: int


@dataclass(frozen=True)
class MigrateReport:
    """What a ``migrate`` run did.

    Attributes:
        applied: the migrations applied, in order.
        total_ms: the whole run, waiting for the lock included.
    """

    applied: tuple[StepResult, ...]
    total_ms: int

    @property
    def versions(self) -> list[str]:
        """The versions applied, in order."""
        return [step.version for step in self.applied]


@dataclass(frozen=True)
class RollbackReport:
    """What a ``rollback`` run did.

    Attributes:
        rolled_back: the migrations undone, newest first.
        total_ms: the whole run.
    """

    rolled_back: tuple[StepResult, ...]
    total_ms: int

    @property
    def versions(self) -> list[str]:
        """The versions undone, newest first."""
        return [step.version for step in self.rolled_back]


@dataclass(frozen=True)
class RepairReport:
    """What a ``repair`` run changed in ``schema_migrations``.

    Attributes:
        realigned: versions whose recorded checksums were set to their files' current ones.
        cleared_failed: versions whose failed-attempt rows were deleted.
        removed_missing: versions recorded as applied whose files are gone, and whose rows were deleted.
        partial: what to do about each cleared no-transaction migration that stopped part-way (failed or killed):
            its earlier statements stay applied, and the next migrate runs the file again from the top.
    """

    realigned: tuple[str, ...]
    cleared_failed: tuple[str, ...]
    removed_missing: tuple[str, ...]
    partial: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether repair changed anything."""
        return bool(self.realigned or self.cleared_failed or self.removed_missing)


@dataclass(frozen=True)
class BaselineReport:
    """What ``baseline`` recorded.

    Attributes:
        version: the baseline version.
        marked: the versions recorded as applied without running them, in order.
    """

    version: str
    marked: tuple[str, ...]


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _resolve_dir(migrations_dir: Path | None) -> Path:
    return bundled_migrations_dir() if migrations_dir is None else Path(migrations_dir)


@contextmanager
def _locked(conninfo: str, lock: MigrationLock | None) -> Iterator[MigrationLock]:
    held = default_lock(conninfo) if lock is None else lock
    held.acquire()
    try:
        yield held
    except BaseException:
        # The run's own error says what happened; a failure to release (e.g. a lost lease, already reported by
        # the run as MigrationLockLost) must not replace it.
        try:
            held.release()
        except MigrationError:
            logger.warning("releasing the migration lock after a failed run also failed", exc_info=True)
        raise
    held.release()


def _check_held(lock: MigrationLock, migration: Migration, doing: str) -> None:
    """Stop the run before ``migration`` when the lock is no longer held: another run may be migrating.

    A lock written before ``held`` was part of :class:`MigrationLock` has no way to tell, and counts as held.
    """
    if getattr(lock, "held", True):
        return
    why = lock.lost if isinstance(lock, LeaseLock) else None
    raise MigrationLockLost(
        f"the migration lock was lost before {doing} {migration.path} (version {migration.version})"
        + (f": {why}" if why else "")
        + ". This run stopped there (the migrations before it stay as they are); another run may be changing the "
        "schema at the same time. Check status once it is over, then run again (a lease lock may need a longer "
        "ttl).",
        path=migration.path,
        version=migration.version,
    )


def _connect(conninfo: str) -> _Conn:
    return psycopg.connect(conninfo, autocommit=True)


def _run_statement(conn: _Conn, statement: Statement) -> None:
    # Bytes, not str: the SQL comes from a file, and a bytes query without parameters is sent as written
    # (simple query protocol, no placeholder processing of '%').
    conn.execute(statement.text.encode(conn.info.encoding))


def _reset_session(conn: _Conn) -> None:
    """Undo session-level SETs of the migration just run, so that each migration starts alike."""
    if conn.closed:
        return
    try:
        conn.execute("RESET ALL")
    except psycopg.Error:
        logger.warning("could not reset the session after a migration", exc_info=True)


def _failure(
    migration: Migration,
    direction: str,
    statement: Statement | None,
    exc: psycopg.Error,
    *,
    consequence: str,
) -> MigrationFailed:
    primary = exc.diag.message_primary or str(exc).strip()
    sqlstate = exc.sqlstate
    code = f"SQLSTATE {sqlstate}" if sqlstate else "no SQLSTATE (a client or connection error)"
    where = f"{migration.path} (version {migration.version})"
    if statement is None:
        message = f"{where}: {direction} failed with {code}: {primary}. {consequence}"
        return MigrationFailed(message, path=migration.path, version=migration.version, sqlstate=sqlstate)
    text = statement.text
    if len(text) > _STATEMENT_EXCERPT:
        text = text[:_STATEMENT_EXCERPT] + " ..."
    message = (
        f"{where}: {direction} statement at line {statement.line} failed with {code}: {primary}\n"
        f"    {text.replace(chr(10), chr(10) + '    ')}\n"
        f"{consequence}"
    )
    return MigrationFailed(
        message, path=migration.path, version=migration.version, sqlstate=sqlstate, statement=statement.text
    )


def _record_failure_safely(
    conn: _Conn, history: History, migration: Migration, execution_ms: int, exc: psycopg.Error
) -> None:
    try:
        with conn.transaction():
            history.record_failure(
                conn,
                migration,
                execution_ms=execution_ms,
                error=exc.diag.message_primary or str(exc).strip(),
                sqlstate=exc.sqlstate,
            )
    except psycopg.Error:
        logger.warning("could not record the failure of %s in %s", migration.version, HISTORY_TABLE, exc_info=True)


def _apply(conn: _Conn, history: History, migration: Migration) -> StepResult:
    started = time.perf_counter()
    current: Statement | None = None
    logger.info("applying %s (%s)", migration.title, migration.path)
    try:
        if migration.no_transaction:
            for statement in migration.up_statements:
                current = statement
                with conn.transaction():
                    history.record_reached(
                        conn,
                        migration,
                        line=statement.line,
                        statement=statement.text,
                        execution_ms=_elapsed_ms(started),
                    )
                _run_statement(conn, statement)
            current = None
            with conn.transaction():
                history.record_success(conn, migration, execution_ms=_elapsed_ms(started))
        else:
            with conn.transaction():
                for statement in migration.up_statements:
                    current = statement
                    _run_statement(conn, statement)
                current = None
                history.record_success(conn, migration, execution_ms=_elapsed_ms(started))
    except psycopg.Error as exc:
        execution_ms = _elapsed_ms(started)
        _record_failure_safely(conn, history, migration, execution_ms, exc)
        if migration.no_transaction:
            consequence = (
                "This is a no-transaction migration: the statements before this one stay applied. Make the file "
                "safe to run again (IF NOT EXISTS, ...), then run repair and migrate again."
            )
        else:
            consequence = (
                "The migration's transaction was rolled back, so none of it is applied. "
                "Fix the statement and run migrate again."
            )
        raise _failure(migration, "UP", current, exc, consequence=consequence) from exc
    execution_ms = _elapsed_ms(started)
    logger.info("applied %s in %d ms", migration.title, execution_ms)
    return StepResult(migration.version, migration.name, migration.path, execution_ms)


def _undo(conn: _Conn, history: History, migration: Migration) -> StepResult:
    started = time.perf_counter()
    current: Statement | None = None
    logger.info("rolling back %s (%s)", migration.title, migration.path)
    try:
        if migration.no_transaction:
            for statement in migration.down_statements:
                current = statement
                _run_statement(conn, statement)
            current = None
            with conn.transaction():
                history.delete(conn, migration.version)
        else:
            with conn.transaction():
                for statement in migration.down_statements:
                    current = statement
                    _run_statement(conn, statement)
                current = None
                history.delete(conn, migration.version)
    except psycopg.Error as exc:
        if migration.no_transaction:
            consequence = (
                "This is a no-transaction migration: the DOWN statements before this one stay applied, and the "
                "migration is still recorded as applied. Repair the schema by hand before trying again."
            )
        else:
            consequence = "The rollback of this migration was undone; it is still applied."
        raise _failure(migration, "DOWN", current, exc, consequence=consequence) from exc
    execution_ms = _elapsed_ms(started)
    logger.info("rolled back %s in %d ms", migration.title, execution_ms)
    return StepResult(migration.version, migration.name, migration.path, execution_ms)


def _check_applied_unchanged(files: dict[str, Migration], history: dict[str, HistoryRow]) -> None:
    for version, row in history.items():
        migration = files.get(version)
        if row.success and migration is not None and migration.checksum_up != row.checksum_up:
            raise ChecksumMismatch(
                f"{migration.path} (version {version}) was applied with checksum {row.checksum_up[:12]}..., but "
                f"its UP section now has checksum {migration.checksum_up[:12]}...: an applied migration must "
                "not be edited. Revert the file and put the change in a new migration, or, if the edit changes "
                "nothing that matters (a comment, formatting), run repair to record the new checksum.",
                path=migration.path,
                version=version,
            )


def _check_down_unchanged(migration: Migration, row: HistoryRow) -> None:
    """Refuse to run a DOWN section other than the one recorded when the migration was applied.

    A DOWN that changed since (or that the engine reads differently now, e.g. an older file's all-comment DOWN,
    recorded as none, that the commented format now uncommented) has never been reviewed against what the UP did.
    """
    if row.checksum_down == migration.checksum_down:
        return
    recorded = "no DOWN section" if row.checksum_down is None else f"DOWN checksum {row.checksum_down[:12]}..."
    raise ChecksumMismatch(
        f"{migration.path} (version {migration.version}) was applied with {recorded}, but its DOWN section now "
        f"reads (uncommented) as:\n    {(migration.down_sql or '').replace(chr(10), chr(10) + '    ')}\n"
        "The DOWN changed since it was applied, so rollback does not run it. Review it (a DOWN section of an "
        "older file that was all comments meant 'cannot be rolled back'; if so, write "
        "'-- warp:irreversible: <why>' instead), then run repair to record it, and roll back again. "
        "Nothing was rolled back.",
        path=migration.path,
        version=migration.version,
    )


def migrate(
    conninfo: str,
    *,
    migrations_dir: Path | None = None,
    target: str | None = None,
    out_of_order: bool = False,
    lock: MigrationLock | None = None,
) -> MigrateReport:
    """Apply every pending migration, in version order.

    Each migration runs in its own transaction together with its ``schema_migrations`` row. Running migrate
    again applies nothing. A failed attempt is recorded (``status`` shows it) and retried by the next run.

    Args:
        conninfo: the database, as given to ``psycopg.connect``.
        migrations_dir: the migrations folder; the migrations bundled with warp-models when None.
        target: apply only migrations whose version is at most this one.
        out_of_order: also apply a pending migration older than the newest applied one (e.g. merged late from
            a branch); refused by default because it runs after migrations written after it.
        lock: how to keep other runs out; when None, the lock ``WARP_MIGRATION_LOCK`` names on ``conninfo``
            (a PostgreSQL advisory lock unless it says ``lease``).

    Returns:
        The migrations applied and their timings.

    Raises:
        MigrationFileError: a migration file is malformed.
        ChecksumMismatch: an applied migration's file was edited afterwards.
        MigrationFailed: a statement failed; that migration was rolled back (the earlier ones of this run stay
            applied). Carries the file, version, statement and SQLSTATE.
        MigrationError: the run cannot start (bad target, out-of-order migration, failed no-transaction one).
        MigrationLockLost: the lock was lost during the run; it stopped before the next migration.
    """
    started = time.perf_counter()
    if target is not None:
        require_version(target, "target")
    migrations = load_migrations(_resolve_dir(migrations_dir))
    files = {m.version: m for m in migrations}
    applied: list[StepResult] = []
    with _locked(conninfo, lock) as holding, _connect(conninfo) as conn:
        table = History.locate(conn)
        table.ensure(conn)
        history = table.read(conn)
        _check_applied_unchanged(files, history)
        done = {version for version, row in history.items() if row.success}
        newest = max(done, default=None)
        pending = [m for m in migrations if m.version not in done and (target is None or m.version <= target)]
        for migration in pending:
            row = history.get(migration.version)
            if row is not None and not row.success and row.no_transaction:
                what = (
                    f"{row.error} and never finished (killed or cut off)"
                    if row.interrupted
                    else f"failed part-way (SQLSTATE {row.sqlstate}: {row.error})"
                )
                raise MigrationError(
                    f"{migration.path} (version {migration.version}) is a no-transaction migration whose last "
                    f"attempt {what}; the statements before that one are applied. Check the schema, make the "
                    "file safe to run again (IF NOT EXISTS, ...), then run repair and migrate.",
                    path=migration.path,
                    version=migration.version,
                )
            if newest is not None and migration.version < newest and not out_of_order:
                raise MigrationError(
                    f"{migration.path} (version {migration.version}) is pending but older than the newest "
                    f"applied migration {newest}. Give it a newer version (rename the file), or pass "
                    "out_of_order=True to apply it anyway.",
                    path=migration.path,
                    version=migration.version,
                )
        for migration in pending:
            _check_held(holding, migration, "applying")
            try:
                applied.append(_apply(conn, table, migration))
            finally:
                _reset_session(conn)
    return MigrateReport(applied=tuple(applied), total_ms=_elapsed_ms(started))


def status(conninfo: str, *, migrations_dir: Path | None = None) -> list[MigrationStatus]:
    """Tell, for every migration file and every recorded version, where it stands. Changes nothing.

    Args:
        conninfo: the database, as given to ``psycopg.connect``.
        migrations_dir: the migrations folder; the bundled migrations when None.

    Returns:
        One entry per version, in version order.

    Raises:
        MigrationFileError: a migration file is malformed.
    """
    migrations = load_migrations(_resolve_dir(migrations_dir))
    with _connect(conninfo) as conn:
        history = History.locate(conn).read(conn)
    result: list[MigrationStatus] = []
    files = {m.version: m for m in migrations}
    for version in sorted(set(files) | set(history)):
        migration = files.get(version)
        row = history.get(version)
        if migration is None:
            assert row is not None
            if not row.success:
                continue  # a failed attempt of a file that is gone: nothing is applied
            state = MigrationState.MISSING
        elif row is None:
            result.append(MigrationStatus(version, migration.name, MigrationState.PENDING, migration.path))
            continue
        elif not row.success:
            state = MigrationState.FAILED
        elif row.checksum_up != migration.checksum_up:
            state = MigrationState.EDITED
        else:
            state = MigrationState.APPLIED
        result.append(
            MigrationStatus(
                version=version,
                name=migration.name if migration else row.name,
                state=state,
                path=migration.path if migration else None,
                applied_at=row.applied_at,
                applied_by=row.applied_by,
                execution_ms=row.execution_ms,
                kind=row.kind,
                error=row.error,
                sqlstate=row.sqlstate,
                down_edited=bool(migration and row.success and row.checksum_down != migration.checksum_down),
                interrupted=row.interrupted,
            )
        )
    return result


def _rollback_plan(done: Sequence[str], steps: int | None, target: str | None) -> list[str]:
    newest_first = sorted(done, reverse=True)
    if target is not None:
        return [v for v in newest_first if v > target]
    assert steps is not None
    return newest_first[:steps]


def rollback(
    conninfo: str,
    *,
    steps: int | None = None,
    target: str | None = None,
    migrations_dir: Path | None = None,
    lock: MigrationLock | None = None,
) -> RollbackReport:
    """Undo applied migrations, newest first, each by running its DOWN section in its own transaction.

    Every migration to undo is checked before anything runs: its file must exist, be unchanged since it was
    applied (its UP and its DOWN section: a DOWN edited since, or one the migration did not have when applied, is
    run only after ``repair`` has recorded it), and have a runnable DOWN section.

    Args:
        conninfo: the database, as given to ``psycopg.connect``.
        steps: how many of the newest applied migrations to undo (1 when neither this nor target is given).
        target: undo every applied migration newer than this version (the target itself stays applied).
        migrations_dir: the migrations folder; the bundled migrations when None.
        lock: how to keep other runs out; when None, the lock ``WARP_MIGRATION_LOCK`` names on ``conninfo``
            (a PostgreSQL advisory lock unless it says ``lease``).

    Returns:
        The migrations undone, newest first.

    Raises:
        MigrationError: steps and target both given, a migration to undo has no file or no runnable DOWN
            section (absent, irreversible, or not SQL once uncommented).
        ChecksumMismatch: a migration to undo was edited after it was applied (its UP or its DOWN section).
        MigrationFailed: a DOWN statement failed; that migration stays applied.
        MigrationLockLost: the lock was lost during the run; it stopped before the next migration to undo.
    """
    started = time.perf_counter()
    if steps is not None and target is not None:
        raise MigrationError("rollback takes steps or target, not both.")
    if target is not None:
        require_version(target, "target")
    elif steps is None:
        steps = 1
    elif steps < 1:
        raise MigrationError(f"rollback steps must be at least 1, not {steps}.")
    migrations = load_migrations(_resolve_dir(migrations_dir))
    files = {m.version: m for m in migrations}
    undone: list[StepResult] = []
    with _locked(conninfo, lock) as holding, _connect(conninfo) as conn:
        table = History.locate(conn)
        history = table.read(conn)
        done = [version for version, row in history.items() if row.success]
        plan = _rollback_plan(done, steps, target)
        chosen: list[Migration] = []
        for version in plan:
            migration = files.get(version)
            if migration is None:
                raise MigrationError(
                    f"version {version} ({history[version].name}) is applied but its file is gone, so it cannot "
                    "be rolled back. Restore the file.",
                    version=version,
                )
            if migration.down_sql is None:
                if migration.irreversible:
                    why = f"its DOWN section says it is irreversible ({migration.irreversible})"
                elif migration.down_problem:
                    why = (
                        f"its commented DOWN section is not a rollback ({migration.down_problem}); if it cannot be "
                        "undone, say so with '-- warp:irreversible: <why>', otherwise write the statements that "
                        "undo it, commented out, with every comment as '-- -- ...'"
                    )
                else:
                    why = (
                        "its DOWN section is absent or has no statements; write the statements that undo it "
                        "under '-- DOWN MIGRATION (Rollback)', commented out"
                    )
                raise MigrationError(
                    f"{migration.path} (version {version}) cannot be rolled back: {why}. Nothing was rolled back.",
                    path=migration.path,
                    version=version,
                )
            _check_applied_unchanged({version: migration}, {version: history[version]})
            _check_down_unchanged(migration, history[version])
            chosen.append(migration)
        for migration in chosen:
            _check_held(holding, migration, "rolling back")
            try:
                undone.append(_undo(conn, table, migration))
            finally:
                _reset_session(conn)
    return RollbackReport(rolled_back=tuple(undone), total_ms=_elapsed_ms(started))


def repair(
    conninfo: str,
    *,
    migrations_dir: Path | None = None,
    remove_missing: bool = False,
    lock: MigrationLock | None = None,
) -> RepairReport:
    """Make ``schema_migrations`` agree with the files again, without touching the schema itself.

    Recorded checksums of applied migrations are set to their files' current ones (use it after an edit that
    changes nothing that matters, e.g. a comment), and failed attempts are forgotten. Each change is logged
    on the ``warp_repo.migrations`` logger. A no-transaction migration that stopped part-way (failed, or killed
    during a statement) is forgotten too, and the report's ``partial`` says which of its statements were applied:
    the next migrate runs the whole file again, so make it safe to run again first.

    Args:
        conninfo: the database, as given to ``psycopg.connect``.
        migrations_dir: the migrations folder; the bundled migrations when None.
        remove_missing: also delete the rows of applied versions whose files are gone.
        lock: how to keep other runs out; when None, the lock ``WARP_MIGRATION_LOCK`` names on ``conninfo``
            (a PostgreSQL advisory lock unless it says ``lease``).

    Returns:
        What was changed.
    """
    migrations = load_migrations(_resolve_dir(migrations_dir))
    files = {m.version: m for m in migrations}
    realigned: list[str] = []
    cleared: list[str] = []
    removed: list[str] = []
    partial: list[str] = []
    with _locked(conninfo, lock), _connect(conninfo) as conn:
        table = History.locate(conn)
        history = table.read(conn)
        with conn.transaction():
            for version, row in history.items():
                migration = files.get(version)
                if not row.success:
                    table.delete(conn, version)
                    cleared.append(version)
                    logger.info("repair: forgot the failed attempt at %s (SQLSTATE %s)", version, row.sqlstate)
                    if row.no_transaction:
                        advice = _partial_advice(version, row, migration)
                        partial.append(advice)
                        logger.warning("repair: %s", advice)
                elif migration is None:
                    if remove_missing:
                        table.delete(conn, version)
                        removed.append(version)
                        logger.info("repair: removed %s, whose file is gone", version)
                elif (row.checksum_up, row.checksum_down) != (migration.checksum_up, migration.checksum_down):
                    table.update_checksums(conn, migration)
                    realigned.append(version)
                    logger.info("repair: recorded the current checksums of %s", migration.path)
    return RepairReport(tuple(realigned), tuple(cleared), tuple(removed), tuple(partial))


def _partial_advice(version: str, row: HistoryRow, migration: Migration | None) -> str:
    where = str(migration.path) if migration is not None else f"{version} ({row.name})"
    what = (
        f"whose run {row.error} and never finished (killed or cut off)"
        if row.interrupted
        else f"that failed with SQLSTATE {row.sqlstate}: {row.error}"
    )
    return (
        f"{where} is a no-transaction migration {what}. The statements above that one are applied, that one "
        "may be; migrate will run the whole file again. Check the schema, and make every statement safe to run "
        "again (IF NOT EXISTS, CREATE INDEX CONCURRENTLY IF NOT EXISTS after dropping an INVALID index) before "
        "running migrate."
    )


def baseline(
    conninfo: str,
    version: str,
    *,
    migrations_dir: Path | None = None,
    lock: MigrationLock | None = None,
) -> BaselineReport:
    """Record every migration up to ``version`` as applied without running it.

    For a database whose schema already exists (created before migrations were tracked): migrate then
    applies only what comes after ``version``.

    Args:
        conninfo: the database, as given to ``psycopg.connect``.
        version: the newest migration the existing schema already contains; it must be a file's version.
        migrations_dir: the migrations folder; the bundled migrations when None.
        lock: how to keep other runs out; when None, the lock ``WARP_MIGRATION_LOCK`` names on ``conninfo``
            (a PostgreSQL advisory lock unless it says ``lease``).

    Returns:
        The versions recorded.

    Raises:
        MigrationError: ``version`` is not a file's version, or the database already has migration history.
    """
    require_version(version, "baseline version")
    migrations = load_migrations(_resolve_dir(migrations_dir))
    if version not in {m.version for m in migrations}:
        raise MigrationError(f"baseline version {version} is not the version of any migration file.", version=version)
    with _locked(conninfo, lock), _connect(conninfo) as conn:
        table = History.locate(conn)
        table.ensure(conn)
        if table.read(conn):
            raise MigrationError(
                f"{HISTORY_TABLE} already has rows: baseline is for a database whose migrations were never "
                "tracked. Use status to see what is recorded.",
                version=version,
            )
        marked = [m for m in migrations if m.version <= version]
        with conn.transaction():
            for migration in marked:
                table.record_success(conn, migration, execution_ms=0, kind="baseline")
                logger.info("baseline: recorded %s as applied without running it", migration.title)
    return BaselineReport(version=version, marked=tuple(m.version for m in marked))
