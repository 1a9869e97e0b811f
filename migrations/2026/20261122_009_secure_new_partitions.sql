-- Migration: 20261122_009_secure_new_partitions
-- Author: warp-models
-- Date: 2026-11-22
-- Description: warp_ensure_monthly_partitions gives every partition it creates its parent's owner, row-level
-- security, policies and grants; only the owner role may run it

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- PostgreSQL-only (PL/pgSQL, PARTITION OF): the function of 20261122_001 with three additions, so that a partition
-- created next month is as closed as the ones 20261122_008 secured:
--   * the new partition is handed to the parent's owner (the creator may be a login that is a member of it);
--   * warp_secure_partition (from 20261122_008) enables and forces row-level security on it and copies the
--     parent's policies and grants, in the same transaction, before rows are moved in;
--   * rows waiting in the DEFAULT partition are moved under the platform reach (set_config('warp.platform',
--     'on', true), restored afterwards), which the owner role has: with FORCE ROW LEVEL SECURITY an owner that
--     is not a superuser would otherwise see none of them, and PostgreSQL would refuse the new partition.
-- Everything else is unchanged; 20261122_001 keeps its text (applied migrations are never edited).

CREATE OR REPLACE FUNCTION warp_ensure_monthly_partitions(parent regclass, from_month date, to_month date)
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
    part          regclass;
    parent_owner  name;
    earlier_reach text;
BEGIN
    IF from_month IS NULL OR to_month IS NULL THEN
        RAISE EXCEPTION 'warp_ensure_monthly_partitions: from_month and to_month are required'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;

    SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner)
      INTO parent_schema, parent_name, parent_owner
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

                    -- Row-level security is forced on the DEFAULT partition too: a caller that is not a
                    -- superuser (a member of the owner role) sees its rows only through the platform reach.
                    earlier_reach := current_setting('warp.platform', true);
                    PERFORM set_config('warp.platform', 'on', true);
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

                -- A new table belongs to whoever ran CREATE; a partition belongs to its parent's owner instead,
                -- and has its parent's row-level security, policies and grants before any row reaches it.
                part := format('%I.%I', parent_schema, part_name)::regclass;
                IF (SELECT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.oid = part) <> parent_owner THEN
                    EXECUTE format('ALTER TABLE %s OWNER TO %I', part, parent_owner);
                END IF;
                PERFORM warp_secure_partition(part);

                IF default_part IS NOT NULL THEN
                    EXECUTE format(
                        'INSERT INTO %I.%I (%s) SELECT %s FROM warp_partition_rows',
                        parent_schema, parent_name, column_list, column_list);
                    DROP TABLE warp_partition_rows;
                    PERFORM set_config('warp.platform', coalesce(earlier_reach, ''), true);
                END IF;

                RETURN NEXT part_name;
            END IF;
        END IF;

        month_start := month_end;
    END LOOP;
END;
$$;

-- PostgreSQL-only (DO, dynamic GRANT): creating partitions is maintenance; the application roles have no use for
-- the function (and could not create a partition anyway), so only the owner role may call it.
REVOKE EXECUTE ON FUNCTION warp_ensure_monthly_partitions(regclass, date, date) FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION warp_ensure_monthly_partitions(regclass, date, date) TO %I',
                   warp_configured_role('owner'));
    EXECUTE format('GRANT EXECUTE ON FUNCTION warp_secure_partition(regclass) TO %I',
                   warp_configured_role('owner'));
END
$$;

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;

-- -- PostgreSQL-only (DO, dynamic REVOKE): the grants of the UP section, undone.
-- DO $$
-- BEGIN
--     EXECUTE format('REVOKE EXECUTE ON FUNCTION warp_secure_partition(regclass) FROM %I',
--                    warp_configured_role('owner'));
--     EXECUTE format('REVOKE EXECUTE ON FUNCTION warp_ensure_monthly_partitions(regclass, date, date) FROM %I',
--                    warp_configured_role('owner'));
-- END
-- $$;
-- GRANT EXECUTE ON FUNCTION warp_ensure_monthly_partitions(regclass, date, date) TO PUBLIC;

-- -- PostgreSQL-only (PL/pgSQL): the function exactly as 20261122_001 created it.
-- CREATE OR REPLACE FUNCTION warp_ensure_monthly_partitions(parent regclass, from_month date, to_month date)
-- RETURNS SETOF text
-- LANGUAGE plpgsql
-- AS $$
-- DECLARE
--     parent_schema name;
--     parent_name   name;
--     key_column    name;
--     default_part  name;
--     column_list   text;
--     month_start   date;
--     month_end     date;
--     part_name     text;
-- BEGIN
--     IF from_month IS NULL OR to_month IS NULL THEN
--         RAISE EXCEPTION 'warp_ensure_monthly_partitions: from_month and to_month are required'
--             USING ERRCODE = 'null_value_not_allowed';
--     END IF;

--     SELECT n.nspname, c.relname
--       INTO parent_schema, parent_name
--       FROM pg_class c
--       JOIN pg_namespace n ON n.oid = c.relnamespace
--      WHERE c.oid = parent AND c.relkind = 'p';
--     IF NOT FOUND THEN
--         RAISE EXCEPTION 'warp_ensure_monthly_partitions: % is not a partitioned table', parent
--             USING ERRCODE = 'wrong_object_type';
--     END IF;

--     SELECT a.attname
--       INTO key_column
--       FROM pg_partitioned_table pt
--       JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
--      WHERE pt.partrelid = parent AND pt.partstrat = 'r' AND pt.partnatts = 1;
--     IF key_column IS NULL THEN
--         RAISE EXCEPTION 'warp_ensure_monthly_partitions: % is not partitioned BY RANGE on a single column', parent
--             USING ERRCODE = 'wrong_object_type';
--     END IF;

--     month_start := date_trunc('month', from_month)::date;
--     WHILE month_start <= date_trunc('month', to_month)::date LOOP
--         month_end := (month_start + interval '1 month')::date;
--         part_name := parent_name || '_' || to_char(month_start, 'YYYY_MM');

--         IF to_regclass(format('%I.%I', parent_schema, part_name)) IS NULL THEN
--             EXECUTE format('LOCK TABLE %I.%I IN ACCESS EXCLUSIVE MODE', parent_schema, parent_name);

--             -- Another caller may have created it while this one waited for the lock.
--             IF to_regclass(format('%I.%I', parent_schema, part_name)) IS NULL THEN
--                 SELECT c.relname
--                   INTO default_part
--                   FROM pg_inherits i
--                   JOIN pg_class c ON c.oid = i.inhrelid
--                  WHERE i.inhparent = parent AND c.relispartition
--                    AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT';

--                 IF default_part IS NOT NULL THEN
--                     SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
--                       INTO column_list
--                       FROM pg_attribute a
--                      WHERE a.attrelid = parent AND a.attnum > 0 AND NOT a.attisdropped;

--                     EXECUTE format(
--                         'CREATE TEMPORARY TABLE warp_partition_rows (LIKE %I.%I) ON COMMIT DROP',
--                         parent_schema, parent_name);
--                     EXECUTE format(
--                         'WITH moved AS (DELETE FROM %I.%I WHERE %I >= %L AND %I < %L RETURNING %s) '
--                         'INSERT INTO warp_partition_rows (%s) SELECT %s FROM moved',
--                         parent_schema, default_part, key_column, month_start, key_column, month_end,
--                         column_list, column_list, column_list);
--                 END IF;

--                 EXECUTE format(
--                     'CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
--                     parent_schema, part_name, parent_schema, parent_name, month_start, month_end);

--                 IF default_part IS NOT NULL THEN
--                     EXECUTE format(
--                         'INSERT INTO %I.%I (%s) SELECT %s FROM warp_partition_rows',
--                         parent_schema, parent_name, column_list, column_list);
--                     DROP TABLE warp_partition_rows;
--                 END IF;

--                 RETURN NEXT part_name;
--             END IF;
--         END IF;

--         month_start := month_end;
--     END LOOP;
-- END;
-- $$;

-- COMMIT;
