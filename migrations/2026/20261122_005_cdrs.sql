-- Migration: 20261122_005_cdrs
-- Author: warp-models
-- Date: 2026-11-22
-- Description: Call detail records, partitioned by month of start_time, with their query indexes

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- Why the keys differ from the schema document: PostgreSQL requires every PRIMARY KEY and UNIQUE constraint of a
-- partitioned table to include the partition key, and the document's "id PRIMARY KEY" and "call_id UNIQUE" do
-- not. So the primary key is (id, start_time) and call_id is unique per start_time: UNIQUE (call_id, start_time).
-- start_time is NOT NULL already, so no column changes; nothing else differs from the document.
-- PostgreSQL-only: PARTITION BY / PARTITION OF (CockroachDB keeps one table and the document's plain keys).

-- Call detail records
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE cdrs (
    id UUID DEFAULT gen_random_uuid(),
    call_id VARCHAR(255) NOT NULL,

    -- Parties
    org_id UUID NOT NULL,
    trunk_id UUID,
    from_number VARCHAR(50),
    to_number VARCHAR(50),

    -- Timing
    start_time TIMESTAMP NOT NULL,
    answer_time TIMESTAMP,
    end_time TIMESTAMP,
    duration INT DEFAULT 0,
    billable_duration INT DEFAULT 0,

    -- Routing
    inbound BOOLEAN DEFAULT FALSE,
    source_ip INET,
    destination_ip INET,

    -- Result
    sip_response_code INT,
    termination_cause VARCHAR(100),

    -- Quality metrics
    mos_score DECIMAL(3, 2),
    packet_loss DECIMAL(5, 2),
    jitter_avg INT,
    rtt_avg INT,

    -- Billing
    rate DECIMAL(10, 6),
    cost DECIMAL(10, 4),
    billed BOOLEAN DEFAULT FALSE,

    -- Media
    codecs_used JSONB DEFAULT '[]',
    recording_url VARCHAR(500),

    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT cdrs_pkey PRIMARY KEY (id, start_time),
    CONSTRAINT cdrs_call_id_start_time_key UNIQUE (call_id, start_time),
    CONSTRAINT cdrs_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT cdrs_trunk_id_fkey FOREIGN KEY (trunk_id) REFERENCES sip_trunks (id)
) PARTITION BY RANGE (start_time);

-- Indexes for CDR queries (declared on the parent, so every partition gets them)
CREATE INDEX idx_cdrs_org_id ON cdrs (org_id);
CREATE INDEX idx_cdrs_trunk_id ON cdrs (trunk_id);
CREATE INDEX idx_cdrs_start_time ON cdrs (start_time);
CREATE INDEX idx_cdrs_from_to ON cdrs (from_number, to_number);
CREATE INDEX idx_cdrs_org_time ON cdrs (org_id, start_time DESC);

-- PostgreSQL-only: the DEFAULT partition takes every row no monthly partition covers, so no insert is refused;
-- warp_ensure_monthly_partitions moves such rows out when it creates their month.
CREATE TABLE cdrs_default PARTITION OF cdrs DEFAULT;

-- PostgreSQL-only: monthly partitions from 12 months before to 3 months after the month of applying.
SELECT warp_ensure_monthly_partitions(
    'cdrs',
    (date_trunc('month', CURRENT_DATE) - interval '12 months')::date,
    (date_trunc('month', CURRENT_DATE) + interval '3 months')::date
);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- -- Dropping a partitioned table drops its partitions and their indexes.
-- DROP TABLE cdrs;
-- COMMIT;
