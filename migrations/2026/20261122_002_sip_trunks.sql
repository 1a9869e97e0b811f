-- Migration: 20261122_002_sip_trunks
-- Author: warp-models
-- Date: 2026-11-22
-- Description: SIP trunks, their registration status (written by Kamailio) and their IP access lists

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- SIP trunk configurations
-- warp:allow org-table-without-rls: row-level security and the tenant policy come in 20261122_008, in the same release
CREATE TABLE sip_trunks (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    name VARCHAR(255) NOT NULL,
    username VARCHAR(100) NOT NULL,
    password_hash VARCHAR(255),
    auth_type VARCHAR(50) DEFAULT 'digest',
    status VARCHAR(50) DEFAULT 'active',

    -- Capacity limits
    max_channels INT DEFAULT 100,
    channels_in_use INT DEFAULT 0,

    -- Network configuration
    allowed_ips JSONB DEFAULT '[]',
    transport VARCHAR(20) DEFAULT 'UDP',
    nat_enabled BOOLEAN DEFAULT FALSE,

    -- Features
    codecs JSONB DEFAULT '["PCMU", "PCMA", "G722"]',
    dtmf_mode VARCHAR(20) DEFAULT 'RFC2833',
    fax_enabled BOOLEAN DEFAULT FALSE,
    srtp_mode VARCHAR(20) DEFAULT 'optional',

    -- Routing
    inbound_context VARCHAR(100) DEFAULT 'from-trunk',
    outbound_proxy VARCHAR(255),
    failover_trunk_id UUID,

    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT sip_trunks_pkey PRIMARY KEY (id),
    CONSTRAINT sip_trunks_username_key UNIQUE (username),
    CONSTRAINT sip_trunks_org_id_name_key UNIQUE (org_id, name),
    CONSTRAINT sip_trunks_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT sip_trunks_failover_trunk_id_fkey FOREIGN KEY (failover_trunk_id) REFERENCES sip_trunks (id)
);

CREATE INDEX idx_trunks_org_status ON sip_trunks (org_id, status);

-- Trunk registration status (updated by Kamailio)
CREATE TABLE trunk_registrations (
    trunk_id UUID,
    contact VARCHAR(255),
    received VARCHAR(255),
    user_agent VARCHAR(255),
    expires_at TIMESTAMP,
    last_seen TIMESTAMP DEFAULT NOW(),
    status VARCHAR(50) DEFAULT 'offline',

    CONSTRAINT trunk_registrations_pkey PRIMARY KEY (trunk_id),
    CONSTRAINT trunk_registrations_trunk_id_fkey FOREIGN KEY (trunk_id) REFERENCES sip_trunks (id)
);

-- IP ACL for trunks
CREATE TABLE trunk_acl (
    id UUID DEFAULT gen_random_uuid(),
    trunk_id UUID NOT NULL,
    ip_address INET NOT NULL,
    subnet_mask INT DEFAULT 32,
    description VARCHAR(255),
    created_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT trunk_acl_pkey PRIMARY KEY (id),
    CONSTRAINT trunk_acl_trunk_id_ip_address_key UNIQUE (trunk_id, ip_address),
    CONSTRAINT trunk_acl_trunk_id_fkey FOREIGN KEY (trunk_id) REFERENCES sip_trunks (id)
);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- DROP TABLE trunk_acl;
-- DROP TABLE trunk_registrations;
-- DROP TABLE sip_trunks;
-- COMMIT;
