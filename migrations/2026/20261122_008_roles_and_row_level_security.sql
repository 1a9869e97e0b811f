-- Migration: 20261122_008_roles_and_row_level_security
-- Author: warp-models
-- Date: 2026-11-22
-- Description: Group roles (owner, application, platform, read-only), their grants, and row-level security that
-- confines every tenant table and partition to the organization named by the warp.org_id setting

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- PostgreSQL-only: everything in this file. CockroachDB has its own row-level security and role model; a port
-- rewrites this file rather than translating it line by line. docs/security.md explains every decision below.
--
-- Role names. The defaults are warp_owner, warp_app, warp_platform and warp_readonly. A deployment that needs
-- other names sets them on the database BEFORE migrating, so that rollbacks and later migrations see them too:
--     ALTER DATABASE <db> SET warp.role_app = 'acme_app';   -- likewise warp.role_owner, _platform, _readonly
-- warp_configured_role(kind) reads those settings; kind is 'owner', 'app', 'platform' or 'readonly'.
CREATE FUNCTION warp_configured_role(kind text)
RETURNS name
LANGUAGE sql
STABLE
AS $$
    SELECT coalesce(nullif(current_setting('warp.role_' || kind, true), ''), 'warp_' || kind)::name
$$;

-- PostgreSQL-only (DO, PL/pgSQL): the four NOLOGIN group roles. Roles belong to the whole server, not to this
-- database, so another database may have created them already (possibly a moment ago, in a transaction that
-- has not committed yet: the unique_violation case). A role created here carries a comment naming this
-- migration; the DOWN section only ever drops such a role. Deployments never log in as these roles: they
-- GRANT them to their own login roles (GRANT warp_app TO billing_service).
DO $$
DECLARE
    kind text;
    wanted name;
    insecure record;
BEGIN
    IF (SELECT count(DISTINCT warp_configured_role(k))
          FROM unnest(ARRAY['owner', 'app', 'platform', 'readonly']) AS k) < 4 THEN
        RAISE EXCEPTION 'warp.role_owner, warp.role_app, warp.role_platform and warp.role_readonly must name four '
                        'different roles'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH kind IN ARRAY ARRAY['owner', 'app', 'platform', 'readonly'] LOOP
        wanted := warp_configured_role(kind);
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted) THEN
            BEGIN
                EXECUTE format(
                    'CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', wanted);
                EXECUTE format('COMMENT ON ROLE %I IS %L', wanted,
                               'warp-models group role (' || kind || '), created by migration 20261122_008');
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN
                    NULL;
                WHEN insufficient_privilege THEN
                    RAISE EXCEPTION 'cannot create the role %: %', wanted, SQLERRM
                        USING ERRCODE = 'insufficient_privilege',
                              HINT = 'Migrate as a role with CREATEROLE, or have an administrator run '
                                     || format('CREATE ROLE %I NOLOGIN', wanted) || ' first.';
            END;
        END IF;
    END LOOP;
    -- Row-level security never applies to a superuser or to a role with BYPASSRLS: refuse to pretend otherwise.
    FOR insecure IN
        SELECT rolname FROM pg_roles
         WHERE rolname IN (warp_configured_role('app'), warp_configured_role('readonly'))
           AND (rolsuper OR rolbypassrls)
    LOOP
        RAISE EXCEPTION 'the role % is a superuser or has BYPASSRLS, so row-level security would not apply to it',
                        insecure.rolname
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('ALTER ROLE %I NOSUPERUSER NOBYPASSRLS; then migrate again.', insecure.rolname);
    END LOOP;
END
$$;

-- PostgreSQL-only (DO, dynamic GRANT): privileges. The application and platform roles may change tenant rows
-- (which rows is the policies' business) but the audit log is append-only for both; lcr_rates is shared
-- reference data that the application reads and only the platform writes; the read-only role reads everything
-- the policies let it see. Nobody but the owner gets TRUNCATE, REFERENCES or TRIGGER: TRUNCATE ignores
-- row-level security altogether.
DO $$
DECLARE
    app_role name := warp_configured_role('app');
    platform_role name := warp_configured_role('platform');
    readonly_role name := warp_configured_role('readonly');
    grantee name;
BEGIN
    FOREACH grantee IN ARRAY ARRAY[app_role, platform_role, readonly_role] LOOP
        IF NOT has_schema_privilege(grantee, current_schema(), 'USAGE') THEN
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), grantee);
        END IF;
    END LOOP;
    EXECUTE format(
        'GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, organization_settings, users, api_keys, '
        'sip_trunks, trunk_registrations, trunk_acl, phone_numbers, e911_addresses, routing_rules, cdrs, '
        'billing_accounts, usage_records, invoices, messages, messaging_campaigns TO %I, %I',
        app_role, platform_role);
    EXECUTE format('GRANT SELECT, INSERT ON audit_logs TO %I, %I', app_role, platform_role);
    EXECUTE format('GRANT SELECT ON lcr_rates TO %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON lcr_rates TO %I', platform_role);
    EXECUTE format(
        'GRANT SELECT ON organizations, organization_settings, users, api_keys, audit_logs, sip_trunks, '
        'trunk_registrations, trunk_acl, phone_numbers, e911_addresses, routing_rules, lcr_rates, cdrs, '
        'billing_accounts, usage_records, invoices, messages, messaging_campaigns TO %I',
        readonly_role);
END
$$;

-- PostgreSQL-only: row-level security, enabled AND forced. Without FORCE the table's owner (and any login that is
-- a member of the owner role) would skip every policy. Superusers and BYPASSRLS roles skip them regardless,
-- which is why no service may connect as one.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE organization_settings ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE sip_trunks ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE trunk_registrations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE trunk_acl ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE phone_numbers ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE e911_addresses ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE routing_rules ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE lcr_rates ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE cdrs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE billing_accounts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE usage_records ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE invoices ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE messages ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE messaging_campaigns ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- PostgreSQL-only: the tenant policies, for every role (TO PUBLIC), for reads and writes alike. The tenant is
-- nullif(current_setting('warp.org_id', true), '')::uuid: NULL when the setting was never set in the session,
-- and also when it was set transaction-locally by an earlier transaction (current_setting then returns ''), so
-- a connection without a tenant context sees no row and can write none. A value that is not a UUID is an error.
-- The repositories set it per transaction with set_config('warp.org_id', <uuid>, true).
CREATE POLICY warp_tenant_isolation ON organizations
    USING (id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON organization_settings
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON users
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON api_keys
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
-- Audit rows without org_id (platform events) are visible to the platform only.
CREATE POLICY warp_tenant_isolation ON audit_logs
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON sip_trunks
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
-- Child tables belong to the tenant of their parent row. The subquery is itself filtered by the parent's
-- policies, so a child row is reachable exactly when its parent is.
CREATE POLICY warp_tenant_isolation ON trunk_registrations
    USING (EXISTS (SELECT 1 FROM sip_trunks t
                    WHERE t.id = trunk_registrations.trunk_id
                      AND t.org_id = nullif(current_setting('warp.org_id', true), '')::uuid))
    WITH CHECK (EXISTS (SELECT 1 FROM sip_trunks t
                         WHERE t.id = trunk_registrations.trunk_id
                           AND t.org_id = nullif(current_setting('warp.org_id', true), '')::uuid));
CREATE POLICY warp_tenant_isolation ON trunk_acl
    USING (EXISTS (SELECT 1 FROM sip_trunks t
                    WHERE t.id = trunk_acl.trunk_id
                      AND t.org_id = nullif(current_setting('warp.org_id', true), '')::uuid))
    WITH CHECK (EXISTS (SELECT 1 FROM sip_trunks t
                         WHERE t.id = trunk_acl.trunk_id
                           AND t.org_id = nullif(current_setting('warp.org_id', true), '')::uuid));
-- Unassigned numbers (org_id NULL) are platform inventory: no tenant sees them; assigning one is a platform job.
CREATE POLICY warp_tenant_isolation ON phone_numbers
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON e911_addresses
    USING (EXISTS (SELECT 1 FROM phone_numbers n
                    WHERE n.id = e911_addresses.phone_number_id
                      AND n.org_id = nullif(current_setting('warp.org_id', true), '')::uuid))
    WITH CHECK (EXISTS (SELECT 1 FROM phone_numbers n
                         WHERE n.id = e911_addresses.phone_number_id
                           AND n.org_id = nullif(current_setting('warp.org_id', true), '')::uuid));
CREATE POLICY warp_tenant_isolation ON routing_rules
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON cdrs
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON billing_accounts
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON usage_records
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON invoices
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON messages
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);
CREATE POLICY warp_tenant_isolation ON messaging_campaigns
    USING (org_id = nullif(current_setting('warp.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('warp.org_id', true), '')::uuid);

-- PostgreSQL-only: lcr_rates is shared reference data. Every role granted SELECT reads every rate (the grants
-- above give SELECT to the application and read-only roles); writing takes the platform reach below.
CREATE POLICY warp_reference_read ON lcr_rates FOR SELECT USING (true);

-- PostgreSQL-only (DO, dynamic CREATE POLICY): cross-tenant reach, for the platform and owner roles only, and
-- only in a transaction that asks for it with set_config('warp.platform', 'on', true). Any role can set any
-- warp.* setting, so the setting alone proves nothing: the policy applies to members of these two roles and to
-- no one else, and the application role setting warp.platform gains nothing. The owner is included so that
-- maintenance run as the owner (moving rows out of a DEFAULT partition) can see every row it must move.
DO $$
DECLARE
    target text;
BEGIN
    FOREACH target IN ARRAY ARRAY[
        'organizations', 'organization_settings', 'users', 'api_keys', 'audit_logs', 'sip_trunks',
        'trunk_registrations', 'trunk_acl', 'phone_numbers', 'e911_addresses', 'routing_rules', 'lcr_rates',
        'cdrs', 'billing_accounts', 'usage_records', 'invoices', 'messages', 'messaging_campaigns'
    ] LOOP
        EXECUTE format(
            'CREATE POLICY warp_platform_reach ON %I TO %I, %I '
            'USING (current_setting(''warp.platform'', true) = ''on'') '
            'WITH CHECK (current_setting(''warp.platform'', true) = ''on'')',
            target, warp_configured_role('platform'), warp_configured_role('owner'));
    END LOOP;
END
$$;

-- PostgreSQL-only (PL/pgSQL): a partition queried directly ignores its parent's policies and privileges, so each
-- partition gets its own: row-level security enabled and forced (nothing is visible until the policies exist),
-- then exactly the parent's policies and the parent's grants. Migration 20261122_009 makes
-- warp_ensure_monthly_partitions call this for every partition it creates.
CREATE FUNCTION warp_secure_partition(part regclass)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    parent regclass;
    part_owner oid;
    policy record;
    privilege record;
BEGIN
    SELECT i.inhparent, c.relowner
      INTO parent, part_owner
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhrelid = part;
    IF parent IS NULL THEN
        RAISE EXCEPTION 'warp_secure_partition: % is not a partition', part
            USING ERRCODE = 'wrong_object_type';
    END IF;

    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', part);

    FOR policy IN SELECT polname FROM pg_policy WHERE polrelid = part LOOP
        EXECUTE format('DROP POLICY %I ON %s', policy.polname, part);
    END LOOP;
    FOR policy IN
        SELECT p.polname,
               CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END AS kind,
               CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                             WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS command,
               (SELECT string_agg(CASE WHEN r.oid = 0 THEN 'PUBLIC' ELSE quote_ident(a.rolname) END, ', ')
                  FROM unnest(p.polroles) AS r(oid)
                  LEFT JOIN pg_roles a ON a.oid = r.oid) AS roles,
               pg_get_expr(p.polqual, p.polrelid) AS using_expr,
               pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
          FROM pg_policy p
         WHERE p.polrelid = parent
    LOOP
        EXECUTE format('CREATE POLICY %I ON %s AS %s FOR %s TO %s', policy.polname, part, policy.kind,
                       policy.command, policy.roles)
             || coalesce(format(' USING (%s)', policy.using_expr), '')
             || coalesce(format(' WITH CHECK (%s)', policy.check_expr), '');
    END LOOP;

    FOR privilege IN
        SELECT DISTINCT acl.grantee
          FROM pg_class c, aclexplode(c.relacl) AS acl
         WHERE c.oid = part AND acl.grantee <> part_owner
    LOOP
        EXECUTE format('REVOKE ALL ON %s FROM %s', part,
                       CASE WHEN privilege.grantee = 0 THEN 'PUBLIC'
                            ELSE quote_ident(pg_get_userbyid(privilege.grantee)) END);
    END LOOP;
    FOR privilege IN
        SELECT acl.grantee, acl.privilege_type
          FROM pg_class c, aclexplode(c.relacl) AS acl
         WHERE c.oid = parent AND acl.grantee <> part_owner
    LOOP
        EXECUTE format('GRANT %s ON %s TO %s', privilege.privilege_type, part,
                       CASE WHEN privilege.grantee = 0 THEN 'PUBLIC'
                            ELSE quote_ident(pg_get_userbyid(privilege.grantee)) END);
    END LOOP;
END;
$$;

REVOKE EXECUTE ON FUNCTION warp_secure_partition(regclass) FROM PUBLIC;

-- PostgreSQL-only (DO, pg_partition_tree): the partitions that exist now, DEFAULT partitions included.
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN
        SELECT tree.relid
          FROM unnest(ARRAY['cdrs', 'usage_records', 'messages']::regclass[]) AS parents(parent),
               LATERAL pg_partition_tree(parents.parent) AS tree
         WHERE tree.level > 0
         ORDER BY tree.level, tree.relid::text
    LOOP
        PERFORM warp_secure_partition(part);
    END LOOP;
END
$$;

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;

-- -- PostgreSQL-only (DO): partitions lose their policies, row-level security and grants.
-- DO $$
-- DECLARE
--     part regclass;
--     policy record;
--     grantee name;
-- BEGIN
--     FOR part IN
--         SELECT tree.relid
--           FROM unnest(ARRAY['cdrs', 'usage_records', 'messages']::regclass[]) AS parents(parent),
--                LATERAL pg_partition_tree(parents.parent) AS tree
--          WHERE tree.level > 0
--     LOOP
--         FOR policy IN
--             SELECT polname FROM pg_policy
--              WHERE polrelid = part AND polname IN ('warp_tenant_isolation', 'warp_platform_reach')
--         LOOP
--             EXECUTE format('DROP POLICY %I ON %s', policy.polname, part);
--         END LOOP;
--         EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY', part);
--         FOR grantee IN
--             SELECT rolname FROM pg_roles
--              WHERE rolname IN (warp_configured_role('app'), warp_configured_role('platform'),
--                                warp_configured_role('readonly'))
--         LOOP
--             EXECUTE format('REVOKE ALL ON %s FROM %I', part, grantee);
--         END LOOP;
--     END LOOP;
-- END
-- $$;

-- DROP FUNCTION warp_secure_partition(regclass);

-- DROP POLICY warp_reference_read ON lcr_rates;
-- DROP POLICY warp_platform_reach ON organizations;
-- DROP POLICY warp_platform_reach ON organization_settings;
-- DROP POLICY warp_platform_reach ON users;
-- DROP POLICY warp_platform_reach ON api_keys;
-- DROP POLICY warp_platform_reach ON audit_logs;
-- DROP POLICY warp_platform_reach ON sip_trunks;
-- DROP POLICY warp_platform_reach ON trunk_registrations;
-- DROP POLICY warp_platform_reach ON trunk_acl;
-- DROP POLICY warp_platform_reach ON phone_numbers;
-- DROP POLICY warp_platform_reach ON e911_addresses;
-- DROP POLICY warp_platform_reach ON routing_rules;
-- DROP POLICY warp_platform_reach ON lcr_rates;
-- DROP POLICY warp_platform_reach ON cdrs;
-- DROP POLICY warp_platform_reach ON billing_accounts;
-- DROP POLICY warp_platform_reach ON usage_records;
-- DROP POLICY warp_platform_reach ON invoices;
-- DROP POLICY warp_platform_reach ON messages;
-- DROP POLICY warp_platform_reach ON messaging_campaigns;
-- DROP POLICY warp_tenant_isolation ON organizations;
-- DROP POLICY warp_tenant_isolation ON organization_settings;
-- DROP POLICY warp_tenant_isolation ON users;
-- DROP POLICY warp_tenant_isolation ON api_keys;
-- DROP POLICY warp_tenant_isolation ON audit_logs;
-- DROP POLICY warp_tenant_isolation ON sip_trunks;
-- DROP POLICY warp_tenant_isolation ON trunk_registrations;
-- DROP POLICY warp_tenant_isolation ON trunk_acl;
-- DROP POLICY warp_tenant_isolation ON phone_numbers;
-- DROP POLICY warp_tenant_isolation ON e911_addresses;
-- DROP POLICY warp_tenant_isolation ON routing_rules;
-- DROP POLICY warp_tenant_isolation ON cdrs;
-- DROP POLICY warp_tenant_isolation ON billing_accounts;
-- DROP POLICY warp_tenant_isolation ON usage_records;
-- DROP POLICY warp_tenant_isolation ON invoices;
-- DROP POLICY warp_tenant_isolation ON messages;
-- DROP POLICY warp_tenant_isolation ON messaging_campaigns;

-- ALTER TABLE organizations NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE organization_settings NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE users NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE api_keys NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE audit_logs NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE sip_trunks NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE trunk_registrations NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE trunk_acl NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE phone_numbers NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE e911_addresses NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE routing_rules NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE lcr_rates NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE cdrs NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE billing_accounts NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE usage_records NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE invoices NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE messages NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
-- ALTER TABLE messaging_campaigns NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;

-- -- PostgreSQL-only (DO, dynamic REVOKE): this database's grants to the three roles that received some. The owner
-- -- role received none, and may own the tables: revoking from it would strip an owner of its own privileges.
-- DO $$
-- DECLARE
--     grantee name;
-- BEGIN
--     FOR grantee IN
--         SELECT rolname FROM pg_roles
--          WHERE rolname IN (warp_configured_role('app'), warp_configured_role('platform'),
--                            warp_configured_role('readonly'))
--     LOOP
--         EXECUTE format(
--             'REVOKE ALL ON organizations, organization_settings, users, api_keys, audit_logs, sip_trunks, '
--             'trunk_registrations, trunk_acl, phone_numbers, e911_addresses, routing_rules, lcr_rates, cdrs, '
--             'billing_accounts, usage_records, invoices, messages, messaging_campaigns FROM %I',
--             grantee);
--         EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM %I', current_schema(), grantee);
--     END LOOP;
-- END
-- $$;

-- -- PostgreSQL-only (DO): the roles themselves belong to the whole server and other databases on it may use them.
-- -- A role is dropped only when this migration created it (its comment says so), no role is a member of it or
-- -- has it as a member (no deployment login relies on it), and nothing in any database depends on it any more;
-- -- DROP ROLE itself refuses while another database still holds a grant, a policy or an object of it, and that
-- -- refusal only keeps the role. The roles are dropped last, after this database stopped using them.
-- DO $$
-- DECLARE
--     kind text;
--     candidate record;
-- BEGIN
--     FOREACH kind IN ARRAY ARRAY['readonly', 'platform', 'app', 'owner'] LOOP
--         SELECT oid, rolname INTO candidate FROM pg_roles WHERE rolname = warp_configured_role(kind);
--         CONTINUE WHEN NOT FOUND;
--         CONTINUE WHEN shobj_description(candidate.oid, 'pg_authid') IS DISTINCT FROM
--                       'warp-models group role (' || kind || '), created by migration 20261122_008';
--         CONTINUE WHEN EXISTS (SELECT 1 FROM pg_auth_members m
--                                WHERE m.roleid = candidate.oid OR m.member = candidate.oid);
--         BEGIN
--             EXECUTE format('DROP ROLE %I', candidate.rolname);
--         EXCEPTION
--             WHEN dependent_objects_still_exist OR insufficient_privilege THEN
--                 RAISE NOTICE 'kept the role % (still used elsewhere, or not ours to drop): %',
--                              candidate.rolname, SQLERRM;
--         END;
--     END LOOP;
-- END
-- $$;

-- DROP FUNCTION warp_configured_role(text);

-- COMMIT;
