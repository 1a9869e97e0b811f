-- Migration: 20261122_007_messaging
-- Author: warp-models
-- Date: 2026-11-22
-- Description: SMS/MMS message records partitioned by month of created_at, and messaging campaigns

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- Why the keys differ from the schema document: PostgreSQL requires every PRIMARY KEY and UNIQUE constraint of a
-- partitioned table to include the partition key, and the document's "id PRIMARY KEY" and "message_id UNIQUE" do
-- not. So the primary key is (id, created_at) and message_id is unique per created_at:
-- UNIQUE (message_id, created_at).
-- One column changes as a consequence: created_at is nullable in the document (DEFAULT NOW()), but a column of a
-- PRIMARY KEY is always NOT NULL, so created_at becomes NOT NULL. Its default stays NOW(), so an insert that
-- leaves it out still works; only an explicit NULL is refused. Nothing else differs from the document.
-- PostgreSQL-only: PARTITION BY / PARTITION OF (CockroachDB keeps one table and the document's plain keys).

-- Message records
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE messages (
    id UUID DEFAULT gen_random_uuid(),
    message_id VARCHAR(255) NOT NULL,

    -- Parties
    org_id UUID NOT NULL,
    from_number VARCHAR(50) NOT NULL,
    to_number VARCHAR(50) NOT NULL,

    -- Content
    message_type VARCHAR(20) DEFAULT 'sms',
    body TEXT,
    media_urls JSONB DEFAULT '[]',
    num_segments INT DEFAULT 1,

    -- Status
    direction VARCHAR(20) NOT NULL,
    status VARCHAR(50) DEFAULT 'queued',
    error_code VARCHAR(20),
    error_message TEXT,

    -- Delivery
    sent_at TIMESTAMP,
    delivered_at TIMESTAMP,

    -- Billing
    rate DECIMAL(10, 6),
    cost DECIMAL(10, 4),

    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT messages_pkey PRIMARY KEY (id, created_at),
    CONSTRAINT messages_message_id_created_at_key UNIQUE (message_id, created_at),
    CONSTRAINT messages_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id)
) PARTITION BY RANGE (created_at);

-- Declared on the parent, so every partition gets it.
CREATE INDEX idx_messages_org_time ON messages (org_id, created_at DESC);

-- PostgreSQL-only: the DEFAULT partition takes every row no monthly partition covers, so no insert is refused.
CREATE TABLE messages_default PARTITION OF messages DEFAULT;

-- PostgreSQL-only: monthly partitions from 12 months before to 3 months after the month of applying.
SELECT warp_ensure_monthly_partitions(
    'messages',
    (date_trunc('month', CURRENT_DATE) - interval '12 months')::date,
    (date_trunc('month', CURRENT_DATE) + interval '3 months')::date
);

-- Messaging campaigns
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE messaging_campaigns (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    name VARCHAR(255) NOT NULL,

    from_number VARCHAR(50) NOT NULL,
    recipient_list JSONB NOT NULL,

    message_template TEXT NOT NULL,
    media_urls JSONB DEFAULT '[]',

    scheduled_at TIMESTAMP,
    started_at TIMESTAMP,
    completed_at TIMESTAMP,

    total_recipients INT DEFAULT 0,
    sent_count INT DEFAULT 0,
    delivered_count INT DEFAULT 0,
    failed_count INT DEFAULT 0,

    status VARCHAR(50) DEFAULT 'draft',

    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT messaging_campaigns_pkey PRIMARY KEY (id),
    CONSTRAINT messaging_campaigns_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id)
);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- DROP TABLE messaging_campaigns;
-- -- Dropping a partitioned table drops its partitions and their indexes.
-- DROP TABLE messages;
-- COMMIT;
