-- Migration: 20261122_004_routing_rules_lcr_rates
-- Author: warp-models
-- Date: 2026-11-22
-- Description: Per-organization routing rules and least-cost-routing carrier rates

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- Dynamic routing rules
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE routing_rules (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    trunk_id UUID,

    name VARCHAR(255) NOT NULL,
    priority INT DEFAULT 100,
    enabled BOOLEAN DEFAULT TRUE,

    -- Match conditions
    match_type VARCHAR(50) DEFAULT 'prefix',
    match_pattern VARCHAR(255) NOT NULL,
    time_condition JSONB DEFAULT '{}',

    -- Actions
    action VARCHAR(50) NOT NULL,
    destination VARCHAR(255),
    transform_rules JSONB DEFAULT '{}',

    -- Advanced
    weight INT DEFAULT 100,
    max_calls INT,

    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT routing_rules_pkey PRIMARY KEY (id),
    CONSTRAINT routing_rules_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT routing_rules_trunk_id_fkey FOREIGN KEY (trunk_id) REFERENCES sip_trunks (id)
);

CREATE INDEX idx_routing_org_enabled ON routing_rules (org_id, enabled);

-- LCR (Least Cost Routing) rates
CREATE TABLE lcr_rates (
    id UUID DEFAULT gen_random_uuid(),
    carrier_id UUID,
    prefix VARCHAR(20) NOT NULL,
    description VARCHAR(255),
    rate DECIMAL(10, 6) NOT NULL,
    effective_date DATE NOT NULL,
    expiry_date DATE,
    priority INT DEFAULT 100,

    CONSTRAINT lcr_rates_pkey PRIMARY KEY (id),
    CONSTRAINT lcr_rates_carrier_id_prefix_effective_date_key UNIQUE (carrier_id, prefix, effective_date),
    CONSTRAINT lcr_rates_carrier_id_fkey FOREIGN KEY (carrier_id) REFERENCES organizations (id)
);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- DROP TABLE lcr_rates;
-- DROP TABLE routing_rules;
-- COMMIT;
