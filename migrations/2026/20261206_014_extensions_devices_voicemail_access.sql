-- Migration: 20261206_014_extensions_devices_voicemail_access
-- Author: warp-models
-- Date: 2026-12-06
-- Description: The seed-000 domains: extensions and dial plans, devices (configurations, firmware catalog, registry,
-- health samples), voicemail (boxes, messages, transcriptions), permission matrices, API audit logs and the
-- billing_audit view; row-level security, grants and tenant-safe references like the first eighteen tables

-- ============================================
-- UP MIGRATION
-- ============================================

BEGIN;

-- References between two tenant tables are stored as (org_id, column) -> (org_id, id), as migration
-- 20261206_013 did for the seed-003 tables: PostgreSQL checks a foreign key without row-level security, so a
-- one-column key would let a row of organization A name a row of organization B. Each referenced table carries a
-- UNIQUE (org_id, id) key for those foreign keys to point at. docs/schema-notes.md explains every table.

CREATE TABLE extensions (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    extension VARCHAR(20) NOT NULL,
    extension_type VARCHAR(20) NOT NULL DEFAULT 'user',
    user_id UUID,
    display_name VARCHAR(255),
    sip_username VARCHAR(100),
    password_hash VARCHAR(255),
    max_registrations INT NOT NULL DEFAULT 3,
    context VARCHAR(100) NOT NULL DEFAULT 'internal',
    caller_id_name VARCHAR(100),
    outbound_caller_id VARCHAR(20),
    emergency_caller_id VARCHAR(20),
    allowed_call_classes JSONB NOT NULL DEFAULT '["internal", "local", "national", "toll_free", "emergency"]',
    call_timeout INT NOT NULL DEFAULT 30,
    do_not_disturb BOOLEAN NOT NULL DEFAULT FALSE,
    forwarding JSONB NOT NULL DEFAULT '{}',
    settings JSONB NOT NULL DEFAULT '{}',
    status VARCHAR(50) NOT NULL DEFAULT 'active',
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT extensions_pkey PRIMARY KEY (id),
    CONSTRAINT extensions_sip_username_key UNIQUE (sip_username),
    CONSTRAINT extensions_org_id_extension_key UNIQUE (org_id, extension),
    CONSTRAINT extensions_org_id_id_key UNIQUE (org_id, id),
    CONSTRAINT extensions_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT extensions_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);
CREATE INDEX idx_extensions_org_status ON extensions (org_id, status);
CREATE INDEX idx_extensions_user ON extensions (user_id);

CREATE TABLE dial_plans (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    name VARCHAR(255) NOT NULL,
    context VARCHAR(100) NOT NULL DEFAULT 'internal',
    priority INT NOT NULL DEFAULT 100,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    match_type VARCHAR(20) NOT NULL DEFAULT 'prefix',
    match_pattern VARCHAR(255) NOT NULL,
    time_condition JSONB NOT NULL DEFAULT '{}',
    transform_rules JSONB NOT NULL DEFAULT '{}',
    call_class VARCHAR(20) NOT NULL DEFAULT 'internal',
    actions JSONB NOT NULL,
    continue_on_match BOOLEAN NOT NULL DEFAULT FALSE,
    description VARCHAR(255),
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT dial_plans_pkey PRIMARY KEY (id),
    CONSTRAINT dial_plans_org_id_context_name_key UNIQUE (org_id, context, name),
    CONSTRAINT dial_plans_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id)
);
CREATE INDEX idx_dial_plans_lookup ON dial_plans (org_id, context, enabled, priority);

CREATE TABLE device_configurations (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    name VARCHAR(255) NOT NULL,
    parent_id UUID,
    vendor VARCHAR(50),
    model VARCHAR(100),
    template VARCHAR(100),
    settings JSONB NOT NULL DEFAULT '{}',
    keys JSONB NOT NULL DEFAULT '[]',
    version INT NOT NULL DEFAULT 1,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    description VARCHAR(255),
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT device_configurations_pkey PRIMARY KEY (id),
    CONSTRAINT device_configurations_org_id_name_key UNIQUE (org_id, name),
    CONSTRAINT device_configurations_org_id_id_key UNIQUE (org_id, id),
    CONSTRAINT device_configurations_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT device_configurations_parent_id_fkey
        FOREIGN KEY (org_id, parent_id) REFERENCES device_configurations (org_id, id),
    CONSTRAINT device_configurations_not_own_parent CHECK (parent_id IS DISTINCT FROM id)
);
-- One default configuration per organization (devices without one of their own get it).
CREATE UNIQUE INDEX uq_device_configurations_default ON device_configurations (org_id) WHERE is_default;

-- PostgreSQL-only (PL/pgSQL trigger): version is raised on every change of what a phone receives, so that a
-- device whose applied_config_version differs knows its configuration is stale. Callers never set it.
CREATE FUNCTION warp_bump_configuration_version()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF (NEW.settings, NEW.keys, NEW.parent_id, NEW.template, NEW.vendor, NEW.model, NEW.enabled)
       IS DISTINCT FROM (OLD.settings, OLD.keys, OLD.parent_id, OLD.template, OLD.vendor, OLD.model, OLD.enabled) THEN
        NEW.version := OLD.version + 1;
    ELSE
        NEW.version := OLD.version;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER warp_bump_configuration_version
    BEFORE UPDATE ON device_configurations
    FOR EACH ROW EXECUTE FUNCTION warp_bump_configuration_version();

-- The firmware catalog is platform reference data, like lcr_rates: builds are vendor artefacts that the platform
-- tests and publishes; every tenant reads it, only the platform writes it.
CREATE TABLE firmware_versions (
    id UUID DEFAULT gen_random_uuid(),
    vendor VARCHAR(50) NOT NULL,
    model VARCHAR(100) NOT NULL,
    version VARCHAR(50) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'testing',
    file_url VARCHAR(500) NOT NULL,
    file_name VARCHAR(255),
    file_size_bytes INT,
    sha256 VARCHAR(64) NOT NULL,
    released_at DATE,
    release_notes TEXT,
    capabilities JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT firmware_versions_pkey PRIMARY KEY (id),
    CONSTRAINT firmware_versions_vendor_model_version_key UNIQUE (vendor, model, version)
);
CREATE UNIQUE INDEX uq_firmware_recommended ON firmware_versions (vendor, model) WHERE status = 'recommended';

CREATE TABLE devices (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    mac_address VARCHAR(17) NOT NULL,
    vendor VARCHAR(50),
    model VARCHAR(100),
    serial_number VARCHAR(100),
    label VARCHAR(255),
    location VARCHAR(255),
    user_id UUID,
    primary_extension_id UUID,
    lines JSONB NOT NULL DEFAULT '[]',
    configuration_id UUID,
    applied_config_version INT,
    target_firmware_id UUID,
    reported_firmware_version VARCHAR(50),
    provisioning_username VARCHAR(100),
    provisioning_password_hash VARCHAR(255),
    status VARCHAR(50) NOT NULL DEFAULT 'new',
    last_provisioned_at TIMESTAMP,
    last_provisioned_ip INET,
    last_provisioned_user_agent VARCHAR(255),
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT devices_pkey PRIMARY KEY (id),
    -- The provisioning lookup: a phone names itself by MAC alone, before any tenant is known.
    CONSTRAINT devices_mac_address_key UNIQUE (mac_address),
    CONSTRAINT devices_org_id_id_key UNIQUE (org_id, id),
    CONSTRAINT devices_mac_address_form CHECK (mac_address ~ '^([0-9a-f]{2}:){5}[0-9a-f]{2}$'),
    CONSTRAINT devices_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT devices_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    CONSTRAINT devices_primary_extension_id_fkey
        FOREIGN KEY (org_id, primary_extension_id) REFERENCES extensions (org_id, id),
    CONSTRAINT devices_configuration_id_fkey
        FOREIGN KEY (org_id, configuration_id) REFERENCES device_configurations (org_id, id),
    CONSTRAINT devices_target_firmware_id_fkey FOREIGN KEY (target_firmware_id) REFERENCES firmware_versions (id)
);
CREATE INDEX idx_devices_org_status ON devices (org_id, status);
CREATE INDEX idx_devices_vendor_model ON devices (vendor, model);

-- PostgreSQL-only (PARTITION BY RANGE): health samples arrive every minute from every device; the stored primary
-- key carries the partition column, as on cdrs.
CREATE TABLE device_health_metrics (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    device_id UUID NOT NULL,
    recorded_at TIMESTAMP NOT NULL DEFAULT NOW(),
    health_status VARCHAR(20) NOT NULL DEFAULT 'unknown',
    registered BOOLEAN NOT NULL DEFAULT FALSE,
    registration_expires_at TIMESTAMP,
    source_ip INET,
    user_agent VARCHAR(255),
    rtt_ms INT,
    jitter_ms INT,
    packet_loss DECIMAL(5, 2),
    mos_score DECIMAL(3, 2),
    uptime_seconds INT,
    failed_registrations INT NOT NULL DEFAULT 0,
    metrics JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT device_health_metrics_pkey PRIMARY KEY (id, recorded_at),
    CONSTRAINT device_health_metrics_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT device_health_metrics_device_id_fkey FOREIGN KEY (org_id, device_id) REFERENCES devices (org_id, id)
) PARTITION BY RANGE (recorded_at);
CREATE INDEX idx_dhm_device_time ON device_health_metrics (device_id, recorded_at DESC);
CREATE INDEX idx_dhm_org_time ON device_health_metrics (org_id, recorded_at DESC);
CREATE TABLE device_health_metrics_default PARTITION OF device_health_metrics DEFAULT;

CREATE TABLE voicemail_boxes (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    mailbox VARCHAR(20) NOT NULL,
    extension_id UUID,
    user_id UUID,
    pin_hash VARCHAR(255),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    active_greeting VARCHAR(20) NOT NULL DEFAULT 'default',
    greetings JSONB NOT NULL DEFAULT '{}',
    notify_email VARCHAR(255),
    attach_audio BOOLEAN NOT NULL DEFAULT TRUE,
    include_transcription BOOLEAN NOT NULL DEFAULT TRUE,
    delete_after_notify BOOLEAN NOT NULL DEFAULT FALSE,
    notify_sms_number VARCHAR(20),
    mwi_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    transcription_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    language VARCHAR(10) DEFAULT 'en',
    time_zone VARCHAR(50) DEFAULT 'UTC',
    max_messages INT NOT NULL DEFAULT 100,
    max_message_seconds INT NOT NULL DEFAULT 300,
    retention_days INT,
    metadata JSONB DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT voicemail_boxes_pkey PRIMARY KEY (id),
    CONSTRAINT voicemail_boxes_extension_id_key UNIQUE (extension_id),
    CONSTRAINT voicemail_boxes_org_id_mailbox_key UNIQUE (org_id, mailbox),
    CONSTRAINT voicemail_boxes_org_id_id_key UNIQUE (org_id, id),
    CONSTRAINT voicemail_boxes_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT voicemail_boxes_extension_id_fkey FOREIGN KEY (org_id, extension_id) REFERENCES extensions (org_id, id),
    CONSTRAINT voicemail_boxes_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id)
);

CREATE TABLE voicemail_messages (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    box_id UUID NOT NULL,
    call_id VARCHAR(255),
    caller_id_name VARCHAR(100),
    caller_id_number VARCHAR(50),
    folder VARCHAR(20) NOT NULL DEFAULT 'inbox',
    urgent BOOLEAN NOT NULL DEFAULT FALSE,
    duration_seconds INT NOT NULL DEFAULT 0,
    audio_url VARCHAR(500) NOT NULL,
    audio_format VARCHAR(10) DEFAULT 'wav',
    audio_size_bytes INT,
    forwarded_by VARCHAR(20),
    received_at TIMESTAMP NOT NULL DEFAULT NOW(),
    read_at TIMESTAMP,
    deleted_at TIMESTAMP,
    metadata JSONB DEFAULT '{}',

    CONSTRAINT voicemail_messages_pkey PRIMARY KEY (id),
    CONSTRAINT voicemail_messages_org_id_id_key UNIQUE (org_id, id),
    CONSTRAINT voicemail_messages_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT voicemail_messages_box_id_fkey FOREIGN KEY (org_id, box_id) REFERENCES voicemail_boxes (org_id, id)
);
CREATE INDEX idx_vm_msg_box_folder ON voicemail_messages (box_id, folder, received_at DESC);
CREATE INDEX idx_vm_msg_org_time ON voicemail_messages (org_id, received_at DESC);

-- A transcription row is also a job of the transcription queue: claimable when pending and available_at has
-- passed, or when processing and its lease expired (the worker died); attempts counts claims.
CREATE TABLE voicemail_transcriptions (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    message_id UUID NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    engine VARCHAR(50) NOT NULL,
    model VARCHAR(100),
    language VARCHAR(10),
    text TEXT,
    summary TEXT,
    confidence DECIMAL(4, 3),
    segments JSONB NOT NULL DEFAULT '[]',
    attempts INT NOT NULL DEFAULT 0,
    max_attempts INT NOT NULL DEFAULT 5,
    available_at TIMESTAMP NOT NULL DEFAULT NOW(),
    claimed_by VARCHAR(100),
    lease_expires_at TIMESTAMP,
    error_message TEXT,
    processing_seconds DECIMAL(8, 1),
    requested_at TIMESTAMP NOT NULL DEFAULT NOW(),
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT voicemail_transcriptions_pkey PRIMARY KEY (id),
    CONSTRAINT voicemail_transcriptions_message_id_key UNIQUE (message_id),
    CONSTRAINT voicemail_transcriptions_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT voicemail_transcriptions_message_id_fkey
        FOREIGN KEY (org_id, message_id) REFERENCES voicemail_messages (org_id, id)
);
CREATE INDEX idx_vm_tx_pending ON voicemail_transcriptions (available_at) WHERE status = 'pending';
CREATE INDEX idx_vm_tx_leases ON voicemail_transcriptions (lease_expires_at) WHERE status = 'processing';

CREATE TABLE permission_matrices (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID NOT NULL,
    role VARCHAR(50) NOT NULL,
    resource VARCHAR(50) NOT NULL,
    action VARCHAR(20) NOT NULL,
    scope VARCHAR(10) NOT NULL DEFAULT 'org',
    effect VARCHAR(10) NOT NULL DEFAULT 'allow',
    conditions JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW(),

    CONSTRAINT permission_matrices_pkey PRIMARY KEY (id),
    CONSTRAINT permission_matrices_org_id_role_resource_action_key UNIQUE (org_id, role, resource, action),
    CONSTRAINT permission_matrices_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id)
);

-- PostgreSQL-only (PARTITION BY RANGE): one row per API call. audit_logs keeps recording changes to rows; this
-- table records calls, including reads and refused ones.
CREATE TABLE api_audit_logs (
    id UUID DEFAULT gen_random_uuid(),
    org_id UUID,
    user_id UUID,
    api_key_id UUID,
    request_id VARCHAR(64),
    service VARCHAR(30) NOT NULL,
    action_type VARCHAR(50) NOT NULL,
    http_method VARCHAR(10),
    path VARCHAR(500),
    resource_type VARCHAR(50),
    resource_id VARCHAR(255),
    request_payload JSONB,
    response_code INT,
    latency_ms INT,
    ip_address INET,
    user_agent TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT NOW(),

    CONSTRAINT api_audit_logs_pkey PRIMARY KEY (id, created_at),
    CONSTRAINT api_audit_logs_org_id_fkey FOREIGN KEY (org_id) REFERENCES organizations (id),
    CONSTRAINT api_audit_logs_user_id_fkey FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id),
    CONSTRAINT api_audit_logs_api_key_id_fkey FOREIGN KEY (org_id, api_key_id) REFERENCES api_keys (org_id, id)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_api_audit_org_time ON api_audit_logs (org_id, created_at DESC);
CREATE INDEX idx_api_audit_key_time ON api_audit_logs (api_key_id, created_at DESC);
CREATE INDEX idx_api_audit_org_service_time ON api_audit_logs (org_id, service, created_at DESC);
CREATE TABLE api_audit_logs_default PARTITION OF api_audit_logs DEFAULT;

-- Seed 000's template table, under its name, for tools written against the seed: the billing service's API calls,
-- one row per call, with the organization's billing account. security_invoker makes the view read with the
-- caller's rights, so the policies of api_audit_logs and billing_accounts apply to it.
CREATE VIEW billing_audit WITH (security_invoker = true) AS
    SELECT l.id, l.org_id, ba.id AS account_id, l.user_id, l.api_key_id, l.action_type, l.resource_type,
           l.resource_id, l.request_payload, l.response_code, l.ip_address, l.created_at
      FROM api_audit_logs l
      JOIN billing_accounts ba ON ba.org_id = l.org_id
     WHERE l.service = 'billing';

-- PostgreSQL-only (DO, dynamic GRANT): as in 20261122_008. The API audit log is append-only for the application
-- and platform roles, like audit_logs; the firmware catalog is read by the application, written by the platform.
DO $$
DECLARE
    app_role name := warp_configured_role('app');
    platform_role name := warp_configured_role('platform');
    readonly_role name := warp_configured_role('readonly');
BEGIN
    EXECUTE format(
        'GRANT SELECT, INSERT, UPDATE, DELETE ON extensions, dial_plans, device_configurations, devices, '
        'device_health_metrics, voicemail_boxes, voicemail_messages, voicemail_transcriptions, '
        'permission_matrices TO %I, %I',
        app_role, platform_role);
    EXECUTE format('GRANT SELECT, INSERT ON api_audit_logs TO %I, %I', app_role, platform_role);
    EXECUTE format('GRANT SELECT ON firmware_versions TO %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON firmware_versions TO %I', platform_role);
    EXECUTE format(
        'GRANT SELECT ON extensions, dial_plans, device_configurations, firmware_versions, devices, '
        'device_health_metrics, voicemail_boxes, voicemail_messages, voicemail_transcriptions, '
        'permission_matrices, api_audit_logs TO %I',
        readonly_role);
    EXECUTE format('GRANT SELECT ON billing_audit TO %I, %I, %I', app_role, platform_role, readonly_role);
END
$$;

-- PostgreSQL-only: row-level security, enabled and forced (without FORCE the owner would skip every policy).
ALTER TABLE extensions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE dial_plans ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE device_configurations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE firmware_versions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE devices ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE device_health_metrics ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE voicemail_boxes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE voicemail_messages ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE voicemail_transcriptions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE permission_matrices ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE api_audit_logs ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- PostgreSQL-only (DO, dynamic CREATE POLICY): the tenant policy and the platform reach of 20261122_008 on every
-- tenant table; the shared firmware catalog is readable by all and writable by the platform.
DO $$
DECLARE
    target text;
BEGIN
    FOREACH target IN ARRAY ARRAY[
        'extensions', 'dial_plans', 'device_configurations', 'firmware_versions', 'devices',
        'device_health_metrics', 'voicemail_boxes', 'voicemail_messages', 'voicemail_transcriptions',
        'permission_matrices', 'api_audit_logs'
    ] LOOP
        IF target <> 'firmware_versions' THEN
            EXECUTE format(
                'CREATE POLICY warp_tenant_isolation ON %I '
                'USING (org_id = nullif(current_setting(''warp.org_id'', true), '''')::uuid) '
                'WITH CHECK (org_id = nullif(current_setting(''warp.org_id'', true), '''')::uuid)',
                target);
        END IF;
        EXECUTE format(
            'CREATE POLICY warp_platform_reach ON %I TO %I, %I '
            'USING (current_setting(''warp.platform'', true) = ''on'') '
            'WITH CHECK (current_setting(''warp.platform'', true) = ''on'')',
            target, warp_configured_role('platform'), warp_configured_role('owner'));
    END LOOP;
END
$$;
CREATE POLICY warp_reference_read ON firmware_versions FOR SELECT USING (true);

-- PostgreSQL-only: the DEFAULT partitions get their parent's row-level security, policies and grants; the monthly
-- partitions below get them from warp_ensure_monthly_partitions (20261122_009).
SELECT warp_secure_partition('device_health_metrics_default');
SELECT warp_secure_partition('api_audit_logs_default');

-- PostgreSQL-only: monthly partitions from 2 months before to 3 months after the month of applying.
SELECT warp_ensure_monthly_partitions(
    'device_health_metrics',
    (date_trunc('month', CURRENT_DATE) - interval '2 months')::date,
    (date_trunc('month', CURRENT_DATE) + interval '3 months')::date
);
SELECT warp_ensure_monthly_partitions(
    'api_audit_logs',
    (date_trunc('month', CURRENT_DATE) - interval '2 months')::date,
    (date_trunc('month', CURRENT_DATE) + interval '3 months')::date
);

COMMIT;

-- ============================================
-- DOWN MIGRATION (Rollback)
-- ============================================

-- BEGIN;
-- DROP VIEW billing_audit;
-- -- Dropping a partitioned table drops its partitions, their indexes, policies and grants.
-- DROP TABLE api_audit_logs;
-- DROP TABLE permission_matrices;
-- DROP TABLE voicemail_transcriptions;
-- DROP TABLE voicemail_messages;
-- DROP TABLE voicemail_boxes;
-- DROP TABLE device_health_metrics;
-- DROP TABLE devices;
-- DROP TABLE firmware_versions;
-- DROP TABLE device_configurations;
-- DROP FUNCTION warp_bump_configuration_version();
-- DROP TABLE dial_plans;
-- DROP TABLE extensions;
-- COMMIT;
