-- Migration: 20261206_013_tenant_safe_references
-- Author: warp-models
-- Date: 2026-12-06
-- Description: References between two tenant tables stay inside one organization (composite foreign keys on
-- (org_id, column) -> (org_id, id)); only the platform role may set or change organizations.parent_org_id

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- PostgreSQL checks a foreign key without row-level security: with a single-column key, a row of organization A
-- could name a trunk, a user or an API key of organization B (B's row is invisible to A, but the key check
-- still finds it). Every reference from one tenant table to another now carries the organization too, so the
-- referenced row must belong to the same organization as the referencing one. The constraints keep their names
-- (<table>_<column>_fkey), so errors name the same constraint as before. docs/schema-notes.md lists each one.
--
-- A key of two columns is checked only when both are set (MATCH SIMPLE): a row without an organization
-- (platform inventory in phone_numbers, platform events in audit_logs) is not tied to one, and only the platform
-- role can write such rows (the tenant policies refuse org_id NULL to everyone else).

-- Rows that already link two organizations would make the new constraints fail with a bare 23503; name them.
DO $$
DECLARE
    found bigint;
    total bigint := 0;
    report text := '';
    link record;
BEGIN
    FOR link IN
        SELECT * FROM (VALUES
            ('api_keys', 'user_id', 'users'),
            ('audit_logs', 'user_id', 'users'),
            ('audit_logs', 'api_key_id', 'api_keys'),
            ('sip_trunks', 'failover_trunk_id', 'sip_trunks'),
            ('phone_numbers', 'trunk_id', 'sip_trunks'),
            ('routing_rules', 'trunk_id', 'sip_trunks'),
            ('cdrs', 'trunk_id', 'sip_trunks')
        ) AS v(child, col, parent)
    LOOP
        EXECUTE format(
            'SELECT count(*) FROM %I c JOIN %I p ON p.id = c.%I WHERE c.org_id IS NOT NULL AND p.org_id <> c.org_id',
            link.child, link.parent, link.col)
            INTO found;
        IF found > 0 THEN
            total := total + found;
            report := report || format(' %s.%s: %s row(s);', link.child, link.col, found);
        END IF;
    END LOOP;
    IF total > 0 THEN
        RAISE EXCEPTION 'rows reference a row of another organization:%', report
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Each such row names a trunk, user or API key its organization does not own. Set those '
                         || 'columns to NULL or to a row of the same organization, then migrate again.';
    END IF;
END
$$;

-- The referenced tables get a key on (org_id, id) for the foreign keys to point at. id alone is already unique,
-- so this adds an index and never refuses a row.
ALTER TABLE users ADD CONSTRAINT users_org_id_id_key UNIQUE (org_id, id);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_org_id_id_key UNIQUE (org_id, id);
ALTER TABLE sip_trunks ADD CONSTRAINT sip_trunks_org_id_id_key UNIQUE (org_id, id);

ALTER TABLE api_keys
    DROP CONSTRAINT api_keys_user_id_fkey,
    ADD CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id);
ALTER TABLE audit_logs
    DROP CONSTRAINT audit_logs_user_id_fkey,
    ADD CONSTRAINT audit_logs_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    DROP CONSTRAINT audit_logs_api_key_id_fkey,
    ADD CONSTRAINT audit_logs_api_key_id_fkey FOREIGN KEY (org_id, api_key_id) REFERENCES api_keys (org_id, id);
ALTER TABLE sip_trunks
    DROP CONSTRAINT sip_trunks_failover_trunk_id_fkey,
    ADD CONSTRAINT sip_trunks_failover_trunk_id_fkey
        FOREIGN KEY (org_id, failover_trunk_id) REFERENCES sip_trunks (org_id, id);
ALTER TABLE phone_numbers
    DROP CONSTRAINT phone_numbers_trunk_id_fkey,
    ADD CONSTRAINT phone_numbers_trunk_id_fkey FOREIGN KEY (org_id, trunk_id) REFERENCES sip_trunks (org_id, id);
ALTER TABLE routing_rules
    DROP CONSTRAINT routing_rules_trunk_id_fkey,
    ADD CONSTRAINT routing_rules_trunk_id_fkey FOREIGN KEY (org_id, trunk_id) REFERENCES sip_trunks (org_id, id);
-- On the partitioned cdrs the constraint is added to the parent and PostgreSQL adds it to every partition.
ALTER TABLE cdrs
    DROP CONSTRAINT cdrs_trunk_id_fkey,
    ADD CONSTRAINT cdrs_trunk_id_fkey FOREIGN KEY (org_id, trunk_id) REFERENCES sip_trunks (org_id, id);

-- organizations.parent_org_id and lcr_rates.carrier_id name organizations, which are not rows of a tenant: a
-- tenant sees only its own organization, so no policy can tell whether it may name another one. The rule:
--   * lcr_rates is written by the platform role only (migration 20261122_008 grants the application SELECT);
--   * parent_org_id is set (on INSERT) or changed (on UPDATE) by members of the platform or owner role only,
--     enforced by the trigger below whoever connects; other columns of an organization are unaffected.
-- PostgreSQL-only (PL/pgSQL trigger; CockroachDB 24.3+ has triggers of its own, a port rewrites this).
CREATE FUNCTION warp_guard_parent_org()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF (TG_OP = 'INSERT' AND NEW.parent_org_id IS NOT NULL)
       OR (TG_OP = 'UPDATE' AND NEW.parent_org_id IS DISTINCT FROM OLD.parent_org_id) THEN
        IF NOT (pg_has_role(current_user, warp_configured_role('platform'), 'MEMBER')
                OR pg_has_role(current_user, warp_configured_role('owner'), 'MEMBER')) THEN
            RAISE EXCEPTION 'organizations.parent_org_id may be set or changed only by the platform role (%)',
                            warp_configured_role('platform')
                USING ERRCODE = 'insufficient_privilege',
                      TABLE = 'organizations',
                      COLUMN = 'parent_org_id',
                      HINT = 'Create the organization without a parent, then attach it from a platform job '
                             || '(a login that is a member of the platform role).';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER warp_guard_parent_org
    BEFORE INSERT OR UPDATE OF parent_org_id ON organizations
    FOR EACH ROW EXECUTE FUNCTION warp_guard_parent_org();

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;

-- DROP TRIGGER warp_guard_parent_org ON organizations;
-- DROP FUNCTION warp_guard_parent_org();

-- ALTER TABLE cdrs
--     DROP CONSTRAINT cdrs_trunk_id_fkey,
--     ADD CONSTRAINT cdrs_trunk_id_fkey FOREIGN KEY (trunk_id) REFERENCES sip_trunks (id);
-- ALTER TABLE routing_rules
--     DROP CONSTRAINT routing_rules_trunk_id_fkey,
--     ADD CONSTRAINT routing_rules_trunk_id_fkey FOREIGN KEY (trunk_id) REFERENCES sip_trunks (id);
-- ALTER TABLE phone_numbers
--     DROP CONSTRAINT phone_numbers_trunk_id_fkey,
--     ADD CONSTRAINT phone_numbers_trunk_id_fkey FOREIGN KEY (trunk_id) REFERENCES sip_trunks (id);
-- ALTER TABLE sip_trunks
--     DROP CONSTRAINT sip_trunks_failover_trunk_id_fkey,
--     ADD CONSTRAINT sip_trunks_failover_trunk_id_fkey FOREIGN KEY (failover_trunk_id) REFERENCES sip_trunks (id);
-- ALTER TABLE audit_logs
--     DROP CONSTRAINT audit_logs_api_key_id_fkey,
--     ADD CONSTRAINT audit_logs_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES api_keys (id),
--     DROP CONSTRAINT audit_logs_user_id_fkey,
--     ADD CONSTRAINT audit_logs_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
-- ALTER TABLE api_keys
--     DROP CONSTRAINT api_keys_user_id_fkey,
--     ADD CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);

-- ALTER TABLE sip_trunks DROP CONSTRAINT sip_trunks_org_id_id_key;
-- ALTER TABLE api_keys DROP CONSTRAINT api_keys_org_id_id_key;
-- ALTER TABLE users DROP CONSTRAINT users_org_id_id_key;

-- COMMIT;
