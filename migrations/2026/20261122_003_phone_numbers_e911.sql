-- Migration: 20261122_003_phone_numbers_e911
-- Author: warp-models
-- Date: 2026-11-22
-- Description: Phone number (DID) inventory and the E911 address of each number

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- Phone number inventory
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE phone_numbers (
    id UUID DEFAULT gen_random_uuid(),
    number VARCHAR(20) NOT NULL,
    country_code VARCHAR(5) NOT NULL,
    number_type VARCHAR(20) DEFAULT 'local',

    -- Assignment
    org_id UUID,
    trunk_id UUID,

    -- Capabilities
    voice_enabled BOOLEAN DEFAULT TRUE,
    sms_enabled BOOLEAN DEFAULT FALSE,
    mms_enabled BOOLEAN DEFAULT FALSE,
    fax_enabled BOOLEAN DEFAULT FALSE,

    -- Status
    status VARCHAR(50) DEFAULT 'available',
    ported_in BOOLEAN DEFAULT FALSE,
    port_in_date DATE,

    -- Location
    rate_center VARCHAR(100),
    state VARCHAR(2),
    lata VARCHAR(10),

    -- Features
    cnam_enabled BOOLEAN DEFAULT FALSE,
    cnam_display VARCHAR(100),

    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT phone_numbers_pkey PRIMARY KEY (id),
    CONSTRAINT phone_numbers_number_key UNIQUE (number),
    CONSTRAINT phone_numbers_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT phone_numbers_trunk_id_fkey FOREIGN KEY (trunk_id) REFERENCES sip_trunks (id)
);

CREATE INDEX idx_numbers_org_status ON phone_numbers (org_id, status);

-- E911 addresses
CREATE TABLE e911_addresses (
    id UUID DEFAULT gen_random_uuid(),
    phone_number_id UUID,

    -- Address fields
    customer_name VARCHAR(255) NOT NULL,
    street_number VARCHAR(20) NOT NULL,
    street_name VARCHAR(255) NOT NULL,
    street_suffix VARCHAR(20),
    unit_type VARCHAR(20),
    unit_number VARCHAR(20),
    city VARCHAR(100) NOT NULL,
    state VARCHAR(2) NOT NULL,
    zip VARCHAR(10) NOT NULL,
    plus_four VARCHAR(4),

    -- Validation
    validated BOOLEAN DEFAULT FALSE,
    validation_date TIMESTAMP,
    msag_valid BOOLEAN DEFAULT FALSE,

    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT e911_addresses_pkey PRIMARY KEY (id),
    CONSTRAINT e911_addresses_phone_number_id_key UNIQUE (phone_number_id),
    CONSTRAINT e911_addresses_phone_number_id_fkey FOREIGN KEY (phone_number_id) REFERENCES phone_numbers (id)
);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- DROP TABLE e911_addresses;
-- DROP TABLE phone_numbers;
-- COMMIT;
