"""New sessions of a migrated database run in UTC, so the seed's DEFAULT NOW() stores UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from warp_repo.migrations import migrate, rollback


def test_new_sessions_default_to_utc_and_defaults_store_utc(empty_admin_url: str) -> None:
    migrate(empty_admin_url)
    with psycopg.connect(empty_admin_url) as conn:
        conn.execute("SET TimeZone = 'America/New_York'")  # what an unconfigured server might hand out
        conn.execute("RESET TimeZone")  # back to the database's default
        shown = conn.execute("SHOW TimeZone").fetchone()
        assert shown == ("UTC",)
        org = conn.execute("INSERT INTO organizations (name) VALUES ('Acme') RETURNING created_at").fetchone()
    assert org is not None
    stored: datetime = org[0]
    assert abs(stored.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)


def test_rollback_resets_the_setting(empty_admin_url: str) -> None:
    migrate(empty_admin_url)
    rollback(empty_admin_url, target="20261122_009")  # undoes 010 and whatever came after it
    with psycopg.connect(empty_admin_url) as conn:
        settings = conn.execute(
            "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
            "WHERE d.datname = current_database() AND s.setrole = 0"
        ).fetchone()
    assert settings == (0,)
