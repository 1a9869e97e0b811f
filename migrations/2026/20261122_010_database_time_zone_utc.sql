-- Migration: 20261122_010_database_time_zone_utc
-- Author: warp-models
-- Date: 2026-11-22
-- Description: Sessions of this database default to TimeZone UTC, so DEFAULT NOW() stores UTC in TIMESTAMP columns

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- The TIMESTAMP columns hold UTC (docs/schema-notes.md). Their seed default NOW() is a timestamptz, which
-- PostgreSQL converts to TIMESTAMP in the session's TimeZone: a session left at a server default such as
-- 'America/New_York' would store local time. Making UTC the database's default keeps the seed's defaults exact
-- and their values in UTC for every session that does not choose another zone itself (the SDK's own
-- connections also set TimeZone=UTC). Takes effect for new sessions; needs the database owner or a superuser.
-- PostgreSQL-only: ALTER DATABASE ... SET (CockroachDB sessions default to UTC already).
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET TimeZone = %L', current_database(), 'UTC');
END
$$;

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;

-- DO $$
-- BEGIN
--     EXECUTE format('ALTER DATABASE %I RESET TimeZone', current_database());
-- END
-- $$;

-- COMMIT;
