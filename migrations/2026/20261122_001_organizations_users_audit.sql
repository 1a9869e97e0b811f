-- Migration: 20261122_001_organizations_users_audit
-- Author: warp-models
-- Date: 2026-11-22
-- Description: Monthly partition helper, organizations and their settings, users, API keys and the audit log

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- PostgreSQL-only (PL/pgSQL, PARTITION OF, LOCK TABLE): CockroachDB has no declarative partitioning of this kind
-- and no PL/pgSQL here, so a CockroachDB port replaces this function with its own partitioning (or none).
--
-- warp_ensure_monthly_partitions creates the missing monthly partitions <parent>_YYYY_MM of a table partitioned
-- BY RANGE on one date/timestamp column, for every month from from_month to to_month, both included. Each one holds
-- [first of the month, first of the next month). Existing partitions are skipped, so calling it again is harmless.
-- Concurrent callers are serialised by an ACCESS EXCLUSIVE lock on the parent, taken only when a partition is
-- missing (CREATE TABLE ... PARTITION OF takes that lock anyway). When the parent has a DEFAULT partition holding
-- rows of a month being created, those rows are moved into the new partition in the same transaction: PostgreSQL
-- refuses to create a partition while the DEFAULT partition holds rows that belong to it.
-- Returns the names of the partitions it created.
CREATE FUNCTION warp_ensure_monthly_partitions(parent regclass, from_month date, to_month date)
RETURNS SETOF text
LANGUAGE plpgsql
AS $$
DECLARE
    parent_schema name;
    parent_name   name;
    key_column    name;
    default_part  name;
    column_list   text;
    month_start   date;
    month_end     date;
    part_name     text;
BEGIN
    IF from_month IS NULL OR to_month IS NULL THEN
        RAISE EXCEPTION 'warp_ensure_monthly_partitions: from_month and to_month are required'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;

    SELECT n.nspname, c.relname
      INTO parent_schema, parent_name
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = parent AND c.relkind = 'p';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'warp_ensure_monthly_partitions: % is not a partitioned table', parent
            USING ERRCODE = 'wrong_object_type';
    END IF;

    SELECT a.attname
      INTO key_column
      FROM pg_partitioned_table pt
      JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE pt.partrelid = parent AND pt.partstrat = 'r' AND pt.partnatts = 1;
    IF key_column IS NULL THEN
        RAISE EXCEPTION 'warp_ensure_monthly_partitions: % is not partitioned BY RANGE on a single column', parent
            USING ERRCODE = 'wrong_object_type';
    END IF;

    month_start := date_trunc('month', from_month)::date;
    WHILE month_start <= date_trunc('month', to_month)::date LOOP
        month_end := (month_start + interval '1 month')::date;
        part_name := parent_name || '_' || to_char(month_start, 'YYYY_MM');

        IF to_regclass(format('%I.%I', parent_schema, part_name)) IS NULL THEN
            EXECUTE format('LOCK TABLE %I.%I IN ACCESS EXCLUSIVE MODE', parent_schema, parent_name);

            -- Another caller may have created it while this one waited for the lock.
            IF to_regclass(format('%I.%I', parent_schema, part_name)) IS NULL THEN
                SELECT c.relname
                  INTO default_part
                  FROM pg_inherits i
                  JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = parent AND c.relispartition
                   AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';

                IF default_part IS NOT NULL THEN
                    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                      INTO column_list
                      FROM pg_attribute a
                     WHERE a.attrelid = parent AND a.attnum > 0 AND NOT a.attisdropped;

                    EXECUTE format(
                        'CREATE TEMPORARY TABLE warp_partition_rows (LIKE %I.%I) ON COMMIT DROP',
                        parent_schema, parent_name);
                    EXECUTE format(
                        'WITH moved AS (DELETE FROM %I.%I WHERE %I >= %L AND %I < %L RETURNING %s) '
                        'INSERT INTO warp_partition_rows (%s) SELECT %s FROM moved',
                        parent_schema, default_part, key_column, month_start, key_column, month_end,
                        column_list, column_list, column_list);
                END IF;

                EXECUTE format(
                    'CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
                    parent_schema, part_name, parent_schema, parent_name, month_start, month_end);

                IF default_part IS NOT NULL THEN
                    EXECUTE format(
                        'INSERT INTO %I.%I (%s) SELECT %s FROM warp_partition_rows',
                        parent_schema, parent_name, column_list, column_list);
                    DROP TABLE warp_partition_rows;
                END IF;

                RETURN NEXT part_name;
            END IF;
        END IF;

        month_start := month_end;
    END LOOP;
END;
$$;

-- Organizations represent carrier accounts
CREATE TABLE organizations (
    id UUID DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    fcc_filer_id VARCHAR(50),
    parent_org_id UUID,
    status VARCHAR(50) DEFAULT 'active',
    tier VARCHAR(50) DEFAULT 'standard',
    billing_account_id UUID,
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT organizations_pkey PRIMARY KEY (id),
    CONSTRAINT organizations_fcc_filer_id_key UNIQUE (fcc_filer_id),
    CONSTRAINT organizations_parent_org_id_fkey FOREIGN KEY (parent_org_id) REFERENCES organizations (id)
);

-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE organization_settings (
    org_id UUID,
    max_trunks INT DEFAULT 10,
    max_numbers INT DEFAULT 1000,
    max_concurrent_calls INT DEFAULT 10000,
    allowed_regions JSONB DEFAULT '["US"]',
    features JSONB DEFAULT '{}',
    rate_limits JSONB DEFAULT '{}',
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT organization_settings_pkey PRIMARY KEY (org_id),
    CONSTRAINT organization_settings_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id)
);

-- Users within organizations
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE users (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    email VARCHAR(255) NOT NULL,
    username VARCHAR(100) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(50) DEFAULT 'user',
    status VARCHAR(50) DEFAULT 'active',
    mfa_enabled BOOLEAN DEFAULT FALSE,
    mfa_secret VARCHAR(255),
    last_login TIMESTAMP,
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id)
);

-- API keys for programmatic access
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE api_keys (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    user_id UUID,
    key_hash VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    permissions JSONB DEFAULT '[]',
    rate_limit INT DEFAULT 1000,
    last_used TIMESTAMP,
    expires_at TIMESTAMP,
    status VARCHAR(50) DEFAULT 'active',
    created_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);

-- Audit log for security
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE audit_logs (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID,
    user_id UUID,
    api_key_id UUID,
    action VARCHAR(100) NOT NULL,
    resource_type VARCHAR(50),
    resource_id VARCHAR(255),
    ip_address INET,
    user_agent TEXT,
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT audit_logs_pkey PRIMARY KEY (id),
    CONSTRAINT audit_logs_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT audit_logs_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT audit_logs_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES api_keys (id)
);

CREATE INDEX idx_audit_org_time ON audit_logs (org_id, created_at DESC);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- DROP TABLE audit_logs;
-- DROP TABLE api_keys;
-- DROP TABLE users;
-- DROP TABLE organization_settings;
-- DROP TABLE organizations;
-- DROP FUNCTION warp_ensure_monthly_partitions(regclass, date, date);
-- COMMIT;
