-- Migration: 20261122_006_billing
-- Author: warp-models
-- Date: 2026-11-22
-- Description: Billing accounts, usage records partitioned by month of period_start, and invoices

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- Billing accounts
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE billing_accounts (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,

    -- Payment method
    payment_method VARCHAR(50) DEFAULT 'invoice',
    stripe_customer_id VARCHAR(255),

    -- Billing details
    billing_email VARCHAR(255),
    billing_address JSONB,
    tax_id VARCHAR(50),

    -- Credit
    credit_limit DECIMAL(10, 2) DEFAULT 0,
    current_balance DECIMAL(10, 2) DEFAULT 0,
    auto_recharge BOOLEAN DEFAULT FALSE,
    auto_recharge_amount DECIMAL(10, 2),
    auto_recharge_threshold DECIMAL(10, 2),

    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT billing_accounts_pkey PRIMARY KEY (id),
    CONSTRAINT billing_accounts_org_id_key UNIQUE (org_id),
    CONSTRAINT billing_accounts_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id)
);

-- Why the key differs from the schema document: PostgreSQL requires the PRIMARY KEY of a partitioned table to
-- include the partition key, so it is (id, period_start) instead of (id). period_start is NOT NULL already, so no
-- column changes; nothing else differs from the document.
-- PostgreSQL-only: PARTITION BY / PARTITION OF (CockroachDB keeps one table and the document's plain key).

-- Usage tracking
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE usage_records (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,

    usage_type VARCHAR(50) NOT NULL,
    quantity DECIMAL(15, 4) NOT NULL,
    unit VARCHAR(20) NOT NULL,
    rate DECIMAL(10, 6),
    amount DECIMAL(10, 4),

    period_start TIMESTAMP NOT NULL,
    period_end TIMESTAMP NOT NULL,

    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT usage_records_pkey PRIMARY KEY (id, period_start),
    CONSTRAINT usage_records_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id)
) PARTITION BY RANGE (period_start);

-- PostgreSQL-only: the DEFAULT partition takes every row no monthly partition covers, so no insert is refused.
CREATE TABLE usage_records_default PARTITION OF usage_records DEFAULT;

-- PostgreSQL-only: monthly partitions from 12 months before to 3 months after the month of applying.
SELECT warp_ensure_monthly_partitions(
    'usage_records',
    (date_trunc('month', CURRENT_DATE) - interval '12 months')::date,
    (date_trunc('month', CURRENT_DATE) + interval '3 months')::date
);

-- Invoices
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE invoices (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    invoice_number VARCHAR(50) NOT NULL,

    period_start DATE NOT NULL,
    period_end DATE NOT NULL,

    subtotal DECIMAL(10, 2) NOT NULL,
    tax_amount DECIMAL(10, 2) DEFAULT 0,
    total DECIMAL(10, 2) NOT NULL,

    status VARCHAR(50) DEFAULT 'draft',
    due_date DATE,
    paid_date DATE,

    line_items JSONB DEFAULT '[]',

    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT invoices_pkey PRIMARY KEY (id),
    CONSTRAINT invoices_invoice_number_key UNIQUE (invoice_number),
    CONSTRAINT invoices_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id)
);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- DROP TABLE invoices;
-- -- Dropping a partitioned table drops its partitions.
-- DROP TABLE usage_records;
-- DROP TABLE billing_accounts;
-- COMMIT;
