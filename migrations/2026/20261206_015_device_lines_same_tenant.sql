-- Migration: 20261206_015_device_lines_same_tenant
-- Author: warp-models
-- Date: 2026-12-06
-- Description: A device's further line appearances (devices.lines) name extensions of the device's own
-- organization only, and an extension named by a device's lines cannot be deleted or moved away, like the
-- composite foreign keys of 20261206_013 for references held in a column

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- devices.lines is a JSON array of line appearances, each naming an extension by id. No foreign key can reach
-- inside a JSON document, so nothing stopped a row of organization A from naming an extension of organization B;
-- a provisioning server reading the device with the platform reach would then put B's line on A's phone. The two
-- triggers below keep the rule of the composite keys: the device side refuses an id that is not an extension of
-- the device's organization, the extension side refuses to delete (or move) an extension still named, both with
-- SQLSTATE 23503 as a foreign key would.
--
-- SECURITY INVOKER (the default, written out): the checks read extensions and devices with the caller's rights
-- and row-level security. A tenant sees only its own extensions, so another organization's id is not found and
-- refused; the platform role sees every organization, so the check also compares org_id. A SECURITY DEFINER
-- function would read as the owner: more reach than the check needs (the rows that matter are the caller's own
-- organization's), with every read in it kept to one tenant by its own comparisons instead of by the policies.
-- The extension side reads the devices that the caller can see: the device side lets only devices of the
-- extension's own organization name it, and those are the caller's (or, for the platform, all of them).
--
-- Concurrency: the device side locks each extension it names FOR KEY SHARE, as a foreign key check does, so a
-- concurrent DELETE (or a change of id or org_id, both key columns) waits for the device's transaction and its
-- own check then sees the new line; a device written after the DELETE finds the extension gone.

-- Rows that already name an extension of another organization (or none at all) would stay unchecked by a
-- BEFORE trigger; name them and stop. The platform reach lets an owner that is not a superuser read every row.
DO $$
DECLARE
    platform text := current_setting('warp.platform', true);
    not_arrays bigint;
    foreign_lines bigint;
BEGIN
    PERFORM set_config('warp.platform', 'on', true);
    SELECT count(*) INTO not_arrays FROM devices WHERE jsonb_typeof(lines) <> 'array';
    SELECT count(*) INTO foreign_lines
      FROM devices d
     CROSS JOIN LATERAL jsonb_array_elements(
           CASE WHEN jsonb_typeof(d.lines) = 'array' THEN d.lines ELSE '[]'::jsonb END) AS item(value)
     WHERE NOT EXISTS (
           SELECT 1 FROM extensions e
            WHERE e.org_id = d.org_id AND e.id::text = item.value ->> 'extension_id');
    PERFORM set_config('warp.platform', coalesce(platform, ''), true);
    IF not_arrays + foreign_lines > 0 THEN
        RAISE EXCEPTION 'devices.lines: % line(s) name no extension of their device''s organization, % row(s) '
                        'hold no JSON array', foreign_lines, not_arrays
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Remove those lines (or point them at an extension of the device''s own organization, '
                         || 'id in lowercase hyphenated form) and store an array, then migrate again.';
    END IF;
END
$$;

-- PostgreSQL-only (PL/pgSQL trigger; CockroachDB 24.3+ has triggers of its own, a port rewrites this).
CREATE FUNCTION warp_device_lines_same_org()
RETURNS trigger
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
DECLARE
    item jsonb;
    place bigint;
    named text;
    known boolean;
BEGIN
    IF jsonb_typeof(NEW.lines) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'devices.lines must be a JSON array of line appearances, not %',
                        coalesce(jsonb_typeof(NEW.lines), 'NULL')
            USING ERRCODE = 'check_violation',
                  TABLE = 'devices',
                  COLUMN = 'lines';
    END IF;
    FOR item, place IN SELECT value, ordinality FROM jsonb_array_elements(NEW.lines) WITH ORDINALITY LOOP
        named := item ->> 'extension_id';
        known := false;
        -- Only the canonical text of a UUID: the extension side finds a named id by that text.
        IF named ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            PERFORM 1 FROM extensions e WHERE e.id = named::uuid AND e.org_id = NEW.org_id FOR KEY SHARE;
            known := FOUND;
        END IF;
        IF NOT known THEN
            RAISE EXCEPTION 'devices.lines: line % (item % of the list) names extension %, which is not an '
                            'extension of the device''s organization',
                            coalesce(item ->> 'line', '?'), place, coalesce(left(named, 40), 'NULL')
                USING ERRCODE = 'foreign_key_violation',
                      TABLE = 'devices',
                      COLUMN = 'lines',
                      CONSTRAINT = 'warp_device_lines_same_org',
                      HINT = 'A line''s extension_id must be the id (lowercase, hyphenated) of an extension that '
                             || 'belongs to the device''s organization.';
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;

CREATE TRIGGER warp_device_lines_same_org
    BEFORE INSERT OR UPDATE OF lines, org_id ON devices
    FOR EACH ROW EXECUTE FUNCTION warp_device_lines_same_org();

-- PostgreSQL-only (PL/pgSQL trigger, as above).
CREATE FUNCTION warp_guard_extension_device_lines()
RETURNS trigger
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
DECLARE
    holder record;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.id, NEW.org_id) IS NOT DISTINCT FROM (OLD.id, OLD.org_id) THEN
        RETURN NEW;
    END IF;
    SELECT d.id, item.value ->> 'line' AS line INTO holder
      FROM devices d
     CROSS JOIN LATERAL jsonb_array_elements(d.lines) AS item(value)
     WHERE d.lines @> jsonb_build_array(jsonb_build_object('extension_id', OLD.id::text))
       AND item.value ->> 'extension_id' = OLD.id::text
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'extensions: extension % is still named by line % of device %', OLD.id, holder.line, holder.id
            USING ERRCODE = 'foreign_key_violation',
                  TABLE = 'extensions',
                  CONSTRAINT = 'warp_device_lines_same_org',
                  HINT = 'Remove that line from the device (devices.lines) first; an extension stays in its '
                         || 'organization while a device''s lines name it.';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER warp_guard_extension_device_lines
    BEFORE DELETE OR UPDATE OF id, org_id ON extensions
    FOR EACH ROW EXECUTE FUNCTION warp_guard_extension_device_lines();

-- Keeps the extension side's lookup (lines @> '[{"extension_id": "..."}]') an index scan.
-- warp:allow index-without-concurrently: devices holds one row per phone; the build is short, and the index must exist when the guard above starts answering deletes
CREATE INDEX idx_devices_lines ON devices USING gin (lines jsonb_path_ops);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- DROP INDEX idx_devices_lines;
-- DROP TRIGGER warp_guard_extension_device_lines ON extensions;
-- DROP FUNCTION warp_guard_extension_device_lines();
-- DROP TRIGGER warp_device_lines_same_org ON devices;
-- DROP FUNCTION warp_device_lines_same_org();
-- COMMIT;
