"""warp-db: migrate, inspect and check a WARP database.

The database is, in order: --database-url, WARP_DATABASE_URL, DATABASE_URL, the DB_* variables
(DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD DB_SSL_MODE), else the embedded PostgreSQL server.
--env NAME first loads .env.NAME from the current folder when it exists (variables already set win);
--env production asks for confirmation before any change unless --yes is given.

Results go to standard output, errors to standard error. Exit codes: 0 success; 1 the check found
differences (drift, failed or edited migrations); 2 an error (the message says what to fix).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from rich.console import Console
from rich.table import Table

from warp_models import __version__
from warp_models.errors import ConfigurationError, WarpError
from warp_repo import migrations
from warp_repo import secrets as warp_secrets
from warp_repo._settings import (
    ResolvedUrl,
    load_env_file,
    redact_url,
    resolve_database_url,
    resolve_redis_url,
    resolve_timeouts,
)
from warp_repo.security import check_security

ENVIRONMENTS = ("development", "staging", "production")
PIPED_WIDTH = 160
"""Columns of output written to a pipe or a file when ``COLUMNS`` does not say: wide enough for the tables."""
COMMON_DEFAULTS: dict[str, object] = {
    "database_url": None,
    "migrations_dir": None,
    "env": None,
    "yes": False,
    "connect_timeout": None,
}


class _OutputClosed(Exception):
    """Standard output was closed before the command finished writing (e.g. ``warp-db status | head -1``)."""


class _Console(Console):
    """A Rich console whose closed output is the command's error (exit 2): Rich itself exits 1, a finding here."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        closed = sys.stderr if self.stderr else sys.stdout
        with contextlib.suppress(OSError, ValueError):  # the interpreter's last flush goes nowhere, not to a trace
            os.dup2(os.open(os.devnull, os.O_WRONLY), closed.fileno())
        raise _OutputClosed


class Context:
    """What every command needs: the parsed options, the consoles and the database, resolved once.

    ``console`` is standard output (results); ``errors`` is standard error (warnings and questions), so that
    piped results stay clean.
    """

    def __init__(self, args: argparse.Namespace, console: Console, errors: Console) -> None:
        self.args = args
        self.console = console
        self.errors = errors
        self._database: ResolvedUrl | None = None
        self._migrations_dir_checked = False

    @property
    def migrations_dir(self) -> Path | None:
        """The ``--migrations-dir`` folder, or None for the bundled migrations.

        Raises:
            ConfigurationError: the path is a file, or a folder in it cannot be listed (a folder that cannot be
                read would otherwise look empty: no migrations, nothing to apply).
        """
        value: Path | None = self.args.migrations_dir
        if value is not None and not self._migrations_dir_checked:
            _check_readable_folder(value)
            self._migrations_dir_checked = True
        return value

    @property
    def database(self) -> ResolvedUrl:
        """The database to work on (starting the embedded server if nothing is configured)."""
        if self._database is None:
            found = resolve_database_url(self.args.database_url)
            self._database = ResolvedUrl(with_connect_timeout(found.url, self.args.connect_timeout), found.source)
            self.console.print(f"database: {redact_url(found.url)} (from {found.source})")
        return self._database

    @property
    def url(self) -> str:
        """The database's connection string, with a connect timeout."""
        return self.database.url


def _check_readable_folder(folder: Path) -> None:
    """Refuse a ``--migrations-dir`` that is a file or holds a folder that cannot be listed.

    A missing folder passes: ``new`` creates it, and the other commands say that it does not exist.
    """
    if not folder.exists():
        return
    if not folder.is_dir():
        raise ConfigurationError(f"--migrations-dir {folder} is a file, not a folder: pass the migrations folder")

    def refuse(exc: OSError) -> None:
        raise ConfigurationError(
            f"--migrations-dir {folder}: cannot list {exc.filename} ({exc.strerror}): give this user read access"
        ) from exc

    for _ in os.walk(folder, onerror=refuse):
        pass


def _describe_os_error(exc: OSError) -> str:
    """One line for a file the command could not use: what the system said, and about which path."""
    paths = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
    reason = exc.strerror or str(exc)
    return f"{paths}: {reason}" if paths else reason


def with_connect_timeout(url: str, seconds: int | None) -> str:
    """``url`` with a ``connect_timeout``, so that a host that never answers fails instead of hanging.

    In order: ``seconds`` (``--connect-timeout``); the URL's own ``connect_timeout``; ``WARP_DB_CONNECT_TIMEOUT``
    (as for the library's pools); libpq's ``PGCONNECT_TIMEOUT``; the library's default (5 s). libpq counts
    whole seconds, 2 at least.
    """
    if seconds is None:
        if "connect_timeout" in conninfo_to_dict(url):
            return url
        if os.environ.get("WARP_DB_CONNECT_TIMEOUT") is None and os.environ.get("PGCONNECT_TIMEOUT"):
            return url
        seconds = math.ceil(resolve_timeouts().connect)
    return make_conninfo(url, connect_timeout=max(2, seconds))


def _confirm(ctx: Context, action: str) -> None:
    """Ask before changing a production database; ``--yes`` answers for scripts."""
    if ctx.args.env != "production" or ctx.args.yes:
        return
    if not sys.stdin.isatty():
        raise ConfigurationError(f"refusing to {action} on production without confirmation: add --yes")
    question = f"{action} on PRODUCTION ({redact_url(ctx.url)})? type 'yes' to continue: "
    answer = ctx.errors.input(question, markup=False, emoji=False, stream=sys.stdin)  # the question: stderr
    if answer.strip().lower() != "yes":
        raise ConfigurationError(f"{action} cancelled")


def _cmd_migrate(ctx: Context) -> int:
    if ctx.args.dry_run:
        return _print_plan(ctx)
    _confirm(ctx, "migrate")
    with ctx.console.status("applying migrations…"):
        report = migrations.migrate(ctx.url, migrations_dir=ctx.migrations_dir, target=ctx.args.target)
    if not report.applied:
        ctx.console.print("nothing to apply: the database is up to date")
    for step in report.applied:
        ctx.console.print(f"applied {step.version} {step.name} ({step.execution_ms} ms)")
    return 0


def _print_plan(ctx: Context) -> int:
    pending = [s for s in migrations.status(ctx.url, migrations_dir=ctx.migrations_dir) if s.state != "applied"]
    files = {
        m.version: m for m in migrations.load_migrations(ctx.migrations_dir or migrations.bundled_migrations_dir())
    }
    plan = [s for s in pending if s.version in files and (ctx.args.target is None or s.version <= ctx.args.target)]
    if not plan:
        ctx.console.print("dry run: nothing to apply")
        return 0
    ctx.console.print(f"dry run: {len(plan)} migration(s) would be applied, in this order; nothing was changed")
    for entry in plan:
        migration = files[entry.version]
        ctx.console.rule(f"{migration.version} {migration.name} ({migration.path})")
        ctx.console.print(migration.up_sql, markup=False, highlight=False)
    return 0


def _cmd_status(ctx: Context) -> int:
    entries = migrations.status(ctx.url, migrations_dir=ctx.migrations_dir)
    table = Table(title="migrations")
    for heading in ("version", "name", "state", "applied at", "by", "ms", "problem"):
        table.add_column(heading)
    troubled = 0
    for entry in entries:
        problem = ""
        if entry.state == "failed" and entry.interrupted:
            problem = f"stopped part-way (no-transaction): {entry.error}; see `warp-db repair` ({entry.path})"
        elif entry.state == "failed":
            problem = f"SQLSTATE {entry.sqlstate}: {entry.error} ({entry.path})"
        elif entry.state == "edited":
            problem = f"file changed after it was applied: {entry.path}"
        elif entry.state == "missing":
            problem = "recorded as applied, but no file has this version"
        troubled += bool(problem)
        applied_at = entry.applied_at.strftime("%Y-%m-%d %H:%M:%S") if entry.applied_at else ""
        table.add_row(
            entry.version,
            entry.name,
            str(entry.state),
            applied_at,
            entry.applied_by or "",
            "" if entry.execution_ms is None else str(entry.execution_ms),
            problem,
        )
    ctx.console.print(table)
    _default_partition_rows(ctx)
    return 1 if troubled else 0


def _cmd_check(ctx: Context) -> int:
    with psycopg.connect(ctx.url) as conn:
        drifts = migrations.check_drift(conn)
        issues = check_security(conn)
    ctx.console.print(migrations.format_drift(drifts), markup=False, highlight=False)
    for issue in issues:
        ctx.console.print(f"security: {issue}", markup=False, highlight=False)
    if not issues:
        ctx.console.print("security: the database enforces tenant isolation for the application role")
    if not drifts:
        _default_partition_rows(ctx)
    return 1 if drifts or issues else 0


def _default_partition_rows(ctx: Context) -> int:
    """Say how many rows wait in DEFAULT partitions; ``partitions ensure`` moves them into their months."""
    waiting = 0
    with psycopg.connect(ctx.url) as conn:
        for table in migrations.partitioned_tables(ctx.url):
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(f"{table}_default"))
            found = conn.execute(query).fetchone()
            count = int(found[0]) if found else 0
            if count:
                waiting += count
                ctx.console.print(
                    f"note: {count} row(s) of {table} are in {table}_default (no monthly partition covers them); "
                    "`warp-db partitions ensure` moves them into their months once those partitions exist"
                )
    return waiting


def _cmd_rollback(ctx: Context) -> int:
    _confirm(ctx, "roll back")
    steps = ctx.args.steps if ctx.args.steps is not None or ctx.args.target is not None else 1
    report = migrations.rollback(ctx.url, steps=steps, target=ctx.args.target, migrations_dir=ctx.migrations_dir)
    if not report.rolled_back:
        ctx.console.print("nothing to roll back")
    for step in report.rolled_back:
        ctx.console.print(f"rolled back {step.version} {step.name} ({step.execution_ms} ms)")
    return 0


def _cmd_validate(ctx: Context) -> int:
    conninfo = ctx.url if ctx.args.with_database else None
    report = migrations.validate(ctx.migrations_dir, conninfo)
    for issue in report.issues:
        ctx.console.print(str(issue), markup=False, highlight=False)
    ctx.console.print(
        f"{len(report.migrations)} migration(s): {len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    return 0 if report.ok else 1


def _cmd_new(ctx: Context) -> int:
    folder = ctx.migrations_dir or Path.cwd() / NEW_MIGRATIONS_DIR
    try:
        path = migrations.new_migration(ctx.args.name, folder, no_transaction=ctx.args.no_transaction)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write a migration into {folder}: {_describe_os_error(exc)}; "
            "pass a folder this user can write with --migrations-dir"
        ) from exc
    ctx.console.print(f"created {path}")
    return 0


def _cmd_repair(ctx: Context) -> int:
    _confirm(ctx, "repair the migration history")
    report = migrations.repair(ctx.url, migrations_dir=ctx.migrations_dir, remove_missing=ctx.args.remove_missing)
    for version in report.realigned:
        ctx.console.print(f"realigned the recorded checksums of {version} with its file")
    for version in report.cleared_failed:
        ctx.console.print(f"cleared the failed attempt of {version}")
    for advice in report.partial:
        ctx.errors.print(f"warning: {advice}", markup=False, highlight=False)
    for version in report.removed_missing:
        ctx.console.print(f"removed the record of {version}, whose file is gone")
    if not report.changed:
        ctx.console.print("nothing to repair")
    return 0


def _cmd_baseline(ctx: Context) -> int:
    _confirm(ctx, "baseline")
    report = migrations.baseline(ctx.url, ctx.args.version, migrations_dir=ctx.migrations_dir)
    ctx.console.print(
        f"recorded {len(report.marked)} migration(s) up to {report.version} as applied, without running them"
    )
    return 0


def _cmd_partitions_ensure(ctx: Context) -> int:
    _confirm(ctx, "create partitions")
    with ctx.console.status("creating partitions…"):
        created = migrations.ensure_partitions(ctx.url, ctx.args.months_ahead)
    for name in created:
        ctx.console.print(f"created {name}")
    ctx.console.print(f"{len(created)} partition(s) created")
    return 0


def _cmd_partitions_prune(ctx: Context) -> int:
    confirm = bool(ctx.args.yes)
    if confirm:
        _confirm(ctx, "drop partitions")
    names = migrations.prune_partitions(ctx.url, ctx.args.older_than, confirm)
    verb = "dropped" if confirm else "would drop (add --yes to drop)"
    for name in names:
        ctx.console.print(f"{verb} {name}")
    if not names:
        ctx.console.print("no partition is that old")
    return 0


def _cmd_rotate_keys(ctx: Context) -> int:
    keys = warp_secrets.load_encryption_keys()
    _confirm(ctx, f"re-encrypt every encrypted column under key {keys.current_id}")
    with psycopg.connect(ctx.url, autocommit=True) as conn:
        report = warp_secrets.rotate_encryption_keys(conn, keys, batch_size=ctx.args.batch_size)
    for column, count in report.rotated.items():
        ctx.console.print(f"{column}: {count} value(s) re-encrypted under key {report.key_id}")
    ctx.console.print(
        f"{report.total} value(s) in {report.batches} batch(es); no value is left under an older key, "
        "which may now be removed from WARP_ENCRYPTION_KEYS"
    )
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _needs_testing_extra(command: str) -> None:
    """Refuse a command that makes test data when Faker (the ``testing`` extra) is not installed."""
    try:
        import faker  # noqa: F401 - only these commands need it
    except ImportError:
        raise ConfigurationError(
            f"warp-db {command} makes test data with Faker, which the base install leaves out: "
            "pip install 'warp-models[testing]'"
        ) from None


def _cmd_seed(ctx: Context) -> int:
    _needs_testing_extra("seed")
    from warp_repo._seed import run_seed
    from warp_repo.errors import Conflict

    _confirm(ctx, "seed")
    with ctx.console.status("applying migrations…"):
        migrations.migrate(ctx.url, migrations_dir=ctx.migrations_dir)
    try:
        run_seed(ctx.url, ctx.console, scale=ctx.args.scale, seed=ctx.args.seed)
    except Conflict as exc:
        raise ConfigurationError(
            f"seed {ctx.args.seed} collides with rows already in the database ({exc}); nothing was written. "
            "Seed an empty database, or one holding only other seeds' rows"
        ) from exc
    return 0


def _cmd_demo(ctx: Context) -> int:
    _needs_testing_extra("demo")
    from warp_repo._demo import run_demo

    url = ctx.url  # the database first: its line heads the output
    redis_url: str | None = None
    try:
        redis = resolve_redis_url()
        redis_url = redis.url
        ctx.console.print(f"redis: {redact_url(redis.url)} (from {redis.source})")
    except WarpError as exc:  # Redis is optional here: the demo skips its rate-limit step and says why
        ctx.console.print(f"redis: none ({exc})", markup=False)
    return run_demo(url, ctx.console, migrations_dir=ctx.migrations_dir, redis_url=redis_url)


NEW_MIGRATIONS_DIR = "migrations"
"""Where ``new`` writes when no ``--migrations-dir`` is given: ``./migrations`` (the bundled set is read-only)."""

EXAMPLES: dict[str, str] = {
    "migrate": """
        warp-db --database-url "$URL" migrate
        warp-db --database-url "$URL" migrate --target 20261122_003 --dry-run
    """,
    "status": """
        warp-db --database-url "$URL" status
    """,
    "check": """
        warp-db --database-url "$URL" check || echo "the schema drifted or isolation is off"
    """,
    "rollback": """
        warp-db --database-url "$URL" rollback --steps 2
        warp-db --database-url "$URL" rollback --target 20261122_003
    """,
    "validate": """
        warp-db validate
        warp-db --migrations-dir migrations validate --with-database
    """,
    "new": """
        warp-db new add_customer_preferences_table
        warp-db --migrations-dir db/migrations new add_index_on_cdrs --no-transaction
    """,
    "repair": """
        warp-db --database-url "$URL" repair
        warp-db --database-url "$URL" repair --remove-missing
    """,
    "baseline": """
        warp-db --database-url "$URL" baseline 20261122_007
    """,
    "partitions": """
        warp-db --database-url "$URL" partitions ensure --months-ahead 3
        warp-db --database-url "$URL" partitions prune --older-than 24 --yes
    """,
    "rotate-keys": """
        WARP_ENCRYPTION_KEYS=... warp-db --database-url "$URL" rotate-keys --batch-size 1000
    """,
    "seed": """
        warp-db --database-url "$URL" seed --scale 50 --seed 1
    """,
    "demo": """
        warp-db demo
    """,
}
"""One example (or two) per command, shown at the end of its ``--help`` and in the CLI reference."""


def _epilog(command: str) -> str:
    return "example:\n" + textwrap.indent(textwrap.dedent(EXAMPLES[command]).strip(), "  ")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``warp-db``."""
    # Suppressed defaults, so an option given before the command is not reset by the command's own copy of it.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--database-url", help="libpq URL of the database (overrides the environment)")
    common.add_argument(
        "--migrations-dir",
        type=Path,
        help="migrations folder (default: the migrations bundled with warp-models; for `new`: ./migrations)",
    )
    common.add_argument("--env", choices=ENVIRONMENTS, help="load settings from .env.NAME in the current folder")
    common.add_argument("--yes", action="store_true", help="do not ask for confirmation (production)")
    common.add_argument(
        "--connect-timeout",
        type=_positive,
        metavar="SECONDS",
        help="give up on a server that does not answer within SECONDS (default, first set: the URL's "
        "connect_timeout, WARP_DB_CONNECT_TIMEOUT, PGCONNECT_TIMEOUT; else 5)",
    )

    parser = argparse.ArgumentParser(
        prog="warp-db",
        description=__doc__,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='example:\n  warp-db --database-url "$URL" migrate && warp-db --database-url "$URL" check\n\n'
        "warp-db COMMAND --help shows a command's options and an example.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[Context], int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            parents=[common],
            epilog=_epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(handler=handler)
        return sub

    migrate = add("migrate", _cmd_migrate, "apply pending migrations, each in its own transaction")
    migrate.add_argument("--target", default=None, help="stop after this version (YYYYMMDD_NNN)")
    migrate.add_argument("--dry-run", action="store_true", default=False, help="print the plan and SQL only")
    add("status", _cmd_status, "list applied, pending, failed, edited and missing migrations")
    add("check", _cmd_check, "compare the live schema with the models and check tenant isolation (exit 1 on issues)")
    rollback = add("rollback", _cmd_rollback, "run DOWN sections, newest first, each in its own transaction")
    how_far = rollback.add_mutually_exclusive_group()
    how_far.add_argument("--steps", type=int, default=None, help="how many migrations to undo (default 1)")
    how_far.add_argument("--target", default=None, help="undo every migration newer than this version")
    validate = add("validate", _cmd_validate, "check migration files (names, headers, markers, lint)")
    validate.add_argument(
        "--with-database", action="store_true", default=False, help="also compare checksums with the database"
    )
    new = add(
        "new",
        _cmd_new,
        f"write the next migration file of today from the template, into --migrations-dir "
        f"(default: ./{NEW_MIGRATIONS_DIR})",
    )
    new.add_argument("name", help="snake_case description, e.g. add_customer_preferences_table")
    new.add_argument("--no-transaction", action="store_true", default=False, help="for CREATE INDEX CONCURRENTLY")
    repair = add("repair", _cmd_repair, "realign recorded checksums after a reviewed edit; clear failed entries")
    repair.add_argument("--remove-missing", action="store_true", default=False, help="forget versions with no file")
    baseline = add("baseline", _cmd_baseline, "adopt an existing database: record versions up to VERSION as applied")
    baseline.add_argument("version", help="YYYYMMDD_NNN")
    partitions = add("partitions", _cmd_partitions_ensure, "create or prune monthly partitions")
    partition_commands = partitions.add_subparsers(dest="partition_command", required=True, metavar="ACTION")
    ensure = partition_commands.add_parser(
        "ensure",
        help="create missing monthly partitions",
        description="create missing monthly partitions; rows waiting in DEFAULT partitions move to their months",
        parents=[common],
        epilog='example:\n  warp-db --database-url "$URL" partitions ensure --months-ahead 3',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ensure.add_argument("--months-ahead", type=int, default=3, help="months after this one to cover (default 3)")
    ensure.set_defaults(handler=_cmd_partitions_ensure)
    prune = partition_commands.add_parser(
        "prune",
        help="detach and drop old partitions (--yes)",
        description="detach and drop partitions older than --older-than months; without --yes, only list them",
        parents=[common],
        epilog='example:\n  warp-db --database-url "$URL" partitions prune --older-than 24 --yes',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    prune.add_argument("--older-than", type=int, required=True, help="months; partitions that ended before")
    prune.set_defaults(handler=_cmd_partitions_prune)
    rotate = add("rotate-keys", _cmd_rotate_keys, "re-encrypt encrypted columns under the current key")
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")
    seed = add(
        "seed",
        _cmd_seed,
        "fill the database with a realistic platform; the same seed gives the same rows, and other seeds add "
        "their own beside them",
    )
    seed.add_argument(
        "--scale", type=_positive, default=10, help="tenant organizations, ~1,000 calls and ~300 messages each"
    )
    seed.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same rows (default 0)")
    add(
        "demo",
        _cmd_demo,
        "migrate, check and describe the database (the embedded one if none is configured); the rate-limit step "
        "uses the configured Redis, else the embedded one",
    )
    return parser


def _console_width(stream: object) -> int | None:
    """``COLUMNS`` when set; the terminal's width on a terminal; ``PIPED_WIDTH`` in a pipe or a file."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    isatty = getattr(stream, "isatty", None)
    return None if callable(isatty) and isatty() else PIPED_WIDTH


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``warp-db`` and return its exit code."""
    args = build_parser().parse_args(argv)
    for name, default in COMMON_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    console = _Console(highlight=False, soft_wrap=True, width=_console_width(sys.stdout))
    errors = _Console(stderr=True, highlight=False, soft_wrap=True, width=_console_width(sys.stderr))

    def fail(message: str) -> int:
        errors.print(f"error: {message}", markup=False, highlight=False, style="red")
        return 2

    try:
        _load_env(args.env)
        handler: Callable[[Context], int] = args.handler
        return handler(Context(args, console, errors))
    except WarpError as exc:
        return fail(str(exc))
    except psycopg.OperationalError as exc:
        said = " ".join(str(exc).split())
        return fail(
            f"cannot reach the database: {said}{'' if said.endswith(('.', '?', '!')) else '.'} "
            "Check --database-url, WARP_DATABASE_URL / DATABASE_URL or the DB_* variables "
            "(and --connect-timeout for a slow network)."
        )
    except psycopg.Error as exc:
        return fail(f"SQLSTATE {exc.sqlstate}: {' '.join(str(exc).split())}")
    except _OutputClosed:
        return fail("standard output was closed before the command finished writing its results")
    except OSError as exc:
        return fail(f"{_describe_os_error(exc)}; check the path and this user's access to it")
    except UnicodeDecodeError as exc:
        return fail(f"a file is not UTF-8 ({exc.reason} at byte {exc.start}): save it as UTF-8")
    except KeyboardInterrupt:
        return 130


def _load_env(name: str | None) -> None:
    """``--env NAME``: the variables of ``.env.NAME`` in the current folder, under those already set."""
    if not name or not (Path.cwd() / f".env.{name}").exists():
        return
    for key, value in load_env_file(name, Path.cwd()).items():
        os.environ.setdefault(key, value)


if __name__ == "__main__":
    sys.exit(main())
