-- Migration: 20261122_011_domain_indexes
-- Author: warp-models
-- Date: 2026-11-22
-- Description: Indexes behind the domain queries: LCR prefix lookup, trunk ACL networks, inventory search, org trees

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- These indexes serve the SDK's domain queries (warp_repo.routing, .trunks, .numbers, .organizations); they are
-- not in the schema document, so they take PostgreSQL's own naming style (<table>_<columns>_idx) instead of the
-- document's idx_ prefix. The models declare them too (TableSpec.indexes), so the drift check expects them.
--
-- Built inside the migration's transaction, not CONCURRENTLY: CREATE INDEX CONCURRENTLY waits for every
-- transaction whose snapshot is older than its own, and a second migrate run waiting for the migration lock is
-- such a transaction, so concurrent runs would wait for each other forever. Writes to these tables wait for the
-- build instead (a few seconds for a deck of a million rates).

-- LCR: the rates whose prefix is one of the dialed number's leading substrings (prefix = ANY(...)), in effect
-- on a date.
-- warp:allow index-without-concurrently: built in the migration's transaction on purpose (see the note above)
CREATE INDEX lcr_rates_prefix_effective_date_idx ON lcr_rates (prefix, effective_date);

-- Trunk ACLs: which network contains a source address (network >>= address), IPv4 and IPv6 alike. The network
-- is the address with its prefix length applied; the query spells the same expression.
-- warp:allow index-without-concurrently: built in the migration's transaction on purpose (see the note above)
CREATE INDEX trunk_acl_network_idx ON trunk_acl USING gist (set_masklen(ip_address, subnet_mask) inet_ops);

-- Number inventory: available numbers of a state, in number order (keyset pages).
-- warp:allow index-without-concurrently: built in the migration's transaction on purpose (see the note above)
CREATE INDEX phone_numbers_status_state_number_idx ON phone_numbers (status, state, number);

-- Organization trees: the children of an organization.
-- warp:allow index-without-concurrently: built in the migration's transaction on purpose (see the note above)
CREATE INDEX organizations_parent_org_id_idx ON organizations (parent_org_id);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- DROP INDEX organizations_parent_org_id_idx;
-- DROP INDEX phone_numbers_status_state_number_idx;
-- DROP INDEX trunk_acl_network_idx;
-- DROP INDEX lcr_rates_prefix_effective_date_idx;
-- COMMIT;
