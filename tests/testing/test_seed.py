"""``run_seed``: a realistic platform, the same rows for the same seed, loaded once, with readable progress."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
from rich.console import Console

from warp_models import TABLES
from warp_repo._seed import CDRS_PER_TENANT, MESSAGES_PER_TENANT, fingerprint, run_seed, table_digest

NOW = datetime(2026, 10, 15, tzinfo=UTC)


def drop_ingest_entries(url: str) -> None:
    """Remove the audit entries the repositories wrote for the seed's own ``copy_in`` calls (random ids, the
    current time): the seeded rows are what must match."""
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM audit_logs WHERE action = 'copy' AND metadata ? 'rows' AND resource_type IS NOT NULL")


def console(terminal: bool = False) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=100, force_terminal=terminal), out


def test_the_same_seed_gives_two_databases_the_same_contents(create_migrated_database: Callable[[], str]) -> None:
    first, second, other = (create_migrated_database() for _ in range(3))
    plain, printed = console()
    report = run_seed(first, plain, scale=2, seed=42, now=NOW)
    again = run_seed(second, console()[0], scale=2, seed=42, now=NOW)
    bars, drawn = console(terminal=True)
    different = run_seed(other, bars, scale=2, seed=43, now=NOW)
    for url in (first, second, other):
        drop_ingest_entries(url)

    digests = table_digest(first)
    assert digests == table_digest(second)
    assert report.rows == again.rows
    other_digests = table_digest(other)
    assert fingerprint(digests) != fingerprint(other_digests)
    assert all(digests[t] != other_digests[t] for t in TABLES), "every table differs under another seed"

    assert list(report.rows) == list(TABLES), "every table is filled, parents first"
    assert report.rows["cdrs"] == 2 * CDRS_PER_TENANT and report.rows["messages"] == 2 * MESSAGES_PER_TENANT
    assert report.rows["organizations"] == 3, "two tenants and one carrier"
    with psycopg.connect(first) as conn:
        for table, count in report.rows.items():
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (count,), table
        span = conn.execute("SELECT min(start_time), max(start_time) FROM cdrs").fetchone()
        assert (
            span is not None and (NOW.replace(tzinfo=None) - span[0]).days <= 90 and span[1] < NOW.replace(tzinfo=None)
        )

    text = printed.getvalue()
    assert f"cdrs: {2 * CDRS_PER_TENANT}/{2 * CDRS_PER_TENANT} (100 %)" in text, "plain lines off a terminal"
    assert "\x1b[" not in text
    assert "(100 %)" not in drawn.getvalue() and "cdrs" in drawn.getvalue(), "bars on a terminal"
    assert different.rate("cdrs") > 0


def test_a_seed_already_loaded_is_not_loaded_twice(create_migrated_database: Callable[[], str]) -> None:
    url = create_migrated_database()
    run_seed(url, console()[0], scale=1, seed=7, now=NOW)
    before = table_digest(url)
    out, printed = console()
    report = run_seed(url, out, scale=1, seed=7, now=NOW)
    assert report.already_loaded and report.rows == {}
    assert "already loaded" in printed.getvalue()
    assert table_digest(url) == before
