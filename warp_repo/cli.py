"""``warp-db``: migrate, inspect and check a WARP database.

The database is, in order: ``--database-url``, ``WARP_DATABASE_URL``, ``DATABASE_URL``, the ``DB_*`` variables
(``DB_HOST DB_PORT DB_NAME DB_USER DB_PASSWORD DB_SSL_MODE``), else the embedded PostgreSQL server.
``--env NAME`` first loads ``.env.NAME`` from the current folder (variables already set win).

Exit codes: 0 success; 1 the check found differences (drift, failed or edited migrations); 2 an error (the
message says what to fix).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table

from warp_models import migrations
from warp_models.errors import WarpError
from warp_models.migrations._drift import check_drift, format_drift
from warp_repo._settings import ResolvedUrl, load_env_file, redact_url, resolve_database_url

ENVIRONMENTS = ("development", "staging", "production")
COMMON_DEFAULTS: dict[str, object] = {"database_url": None, "migrations_dir": None, "env": None, "yes": False}


class Context:
    """What every command needs: the parsed options, the console and the database, resolved once."""

    def __init__(self, args: argparse.Namespace, console: Console) -> None:
        self.args = args
        self.console = console
        self._database: ResolvedUrl | None = None

    @property
    def migrations_dir(self) -> Path | None:
        """The ``--migrations-dir`` folder, or None for the bundled migrations."""
        value: Path | None = self.args.migrations_dir
        return value

    @property
    def database(self) -> ResolvedUrl:
        """The database to work on (starting the embedded server if nothing is configured)."""
        if self._database is None:
            self._database = resolve_database_url(self.args.database_url)
            self.console.print(f"database: {redact_url(self._database.url)} (from {self._database.source})")
        return self._database

    @property
    def url(self) -> str:
        """The database's connection string."""
        return self.database.url


def _cmd_migrate(ctx: Context) -> int:
    if ctx.args.dry_run:
        return _print_plan(ctx)
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
        if entry.state == "failed":
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
    return 1 if troubled else 0


def _cmd_check(ctx: Context) -> int:
    with psycopg.connect(ctx.url) as conn:
        drifts = check_drift(conn)
    ctx.console.print(format_drift(drifts), markup=False, highlight=False)
    return 1 if drifts else 0


def _cmd_demo(ctx: Context) -> int:
    from warp_repo._demo import run_demo

    return run_demo(ctx.url, ctx.console, migrations_dir=ctx.migrations_dir)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``warp-db``."""
    # Suppressed defaults, so an option given before the command is not reset by the command's own copy of it.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--database-url", help="libpq URL of the database (overrides the environment)")
    common.add_argument("--migrations-dir", type=Path, help="migrations folder (default: the bundled migrations)")
    common.add_argument("--env", choices=ENVIRONMENTS, help="load settings from .env.NAME in the current folder")
    common.add_argument("--yes", action="store_true", help="do not ask for confirmation (production)")

    parser = argparse.ArgumentParser(
        prog="warp-db", description=__doc__, parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[Context], int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text, parents=[common])
        sub.set_defaults(handler=handler)
        return sub

    migrate = add("migrate", _cmd_migrate, "apply pending migrations, each in its own transaction")
    migrate.add_argument("--target", default=None, help="stop after this version (YYYYMMDD_NNN)")
    migrate.add_argument("--dry-run", action="store_true", default=False, help="print the plan and SQL only")
    add("status", _cmd_status, "list applied, pending, failed, edited and missing migrations")
    add("check", _cmd_check, "compare the live schema with the models (exit 1 on any difference)")
    add("demo", _cmd_demo, "migrate, check and describe the database (the embedded one if none is configured)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``warp-db`` and return its exit code."""
    args = build_parser().parse_args(argv)
    for name, default in COMMON_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
    try:
        if args.env:
            for key, value in load_env_file(args.env, Path.cwd()).items():
                os.environ.setdefault(key, value)
        handler: Callable[[Context], int] = args.handler
        return handler(Context(args, console))
    except WarpError as exc:
        console.print(f"error: {exc}", markup=False, highlight=False, style="red")
        return 2
    except psycopg.OperationalError as exc:
        console.print(
            f"error: cannot reach the database: {str(exc).strip()}\n"
            "Check --database-url, WARP_DATABASE_URL / DATABASE_URL or the DB_* variables.",
            markup=False,
            highlight=False,
            style="red",
        )
        return 2
    except psycopg.Error as exc:
        console.print(f"error: SQLSTATE {exc.sqlstate}: {str(exc).strip()}", markup=False, highlight=False, style="red")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
