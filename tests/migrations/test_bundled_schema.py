"""The bundled migrations build exactly the WARP schema document's 18 tables."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import psycopg
import pytest

from warp_repo.migrations import bundled_migrations_dir, load_migrations, migrate

from .testkit import scalar, tables

# The schema document, column by column: name, SQL type as the document writes it, NN when NOT NULL (primary key
# columns included), and the default after '='. Deliberate changes (docs/schema-notes.md): messages.created_at is
# NOT NULL (partition key in the primary key); billing_accounts.tax_id is VARCHAR(255) (encrypted, migration 012).
SCHEMA = """
organizations
    id UUID NN = gen_random_uuid()
    name VARCHAR(255) NN
    fcc_filer_id VARCHAR(50)
    parent_org_id UUID
    status VARCHAR(50) = 'active'
    tier VARCHAR(50) = 'standard'
    billing_account_id UUID
    metadata JSONB = '{}'
    created_at TIMESTAMP = NOW()
    updated_at TIMESTAMP = NOW()
organization_settings
    org_id UUID NN
    max_trunks INT = 10
    max_numbers INT = 1000
    max_concurrent_calls INT = 10000
    allowed_regions JSONB = '["US"]'
    features JSONB = '{}'
    rate_limits JSONB = '{}'
    updated_at TIMESTAMP = NOW()
users
    id UUID NN = gen_random_uuid()
    org_id UUID NN
    email VARCHAR(255) NN
    username VARCHAR(100) NN
    password_hash VARCHAR(255) NN
    role VARCHAR(50) = 'user'
    status VARCHAR(50) = 'active'
    mfa_enabled BOOLEAN = FALSE
    mfa_secret VARCHAR(255)
    last_login TIMESTAMP
    metadata JSONB = '{}'
    created_at TIMESTAMP = NOW()
    updated_at TIMESTAMP = NOW()
api_keys
    id UUID NN = gen_random_uuid()
    org_id UUID NN
    user_id UUID
    key_hash VARCHAR(255) NN
    name VARCHAR(255) NN
    permissions JSONB = '[]'
    rate_limit INT = 1000
    last_used TIMESTAMP
    expires_at TIMESTAMP
    status VARCHAR(50) = 'active'
    created_at TIMESTAMP = NOW()
audit_logs
    id UUID NN = gen_random_uuid()
    org_id UUID
    user_id UUID
    api_key_id UUID
    action VARCHAR(100) NN
    resource_type VARCHAR(50)
    resource_id VARCHAR(255)
    ip_address INET
    user_agent TEXT
    metadata JSONB = '{}'
    created_at TIMESTAMP = NOW()
sip_trunks
    id UUID NN = gen_random_uuid()
    org_id UUID NN
    name VARCHAR(255) NN
    username VARCHAR(100) NN
    password_hash VARCHAR(255)
    auth_type VARCHAR(50) = 'digest'
    status VARCHAR(50) = 'active'
    max_channels INT = 100
    channels_in_use INT = 0
    allowed_ips JSONB = '[]'
    transport VARCHAR(20) = 'UDP'
    nat_enabled BOOLEAN = FALSE
    codecs JSONB = '["PCMU", "PCMA", "G722"]'
    dtmf_mode VARCHAR(20) = 'RFC2833'
    fax_enabled BOOLEAN = FALSE
    srtp_mode VARCHAR(20) = 'optional'
    inbound_context VARCHAR(100) = 'from-trunk'
    outbound_proxy VARCHAR(255)
    failover_trunk_id UUID
    metadata JSONB = '{}'
    created_at TIMESTAMP = NOW()
    updated_at TIMESTAMP = NOW()
trunk_registrations
    trunk_id UUID NN
    contact VARCHAR(255)
    received VARCHAR(255)
    user_agent VARCHAR(255)
    expires_at TIMESTAMP
    last_seen TIMESTAMP = NOW()
    status VARCHAR(50) = 'offline'
trunk_acl
    id UUID NN = gen_random_uuid()
    trunk_id UUID NN
    ip_address INET NN
    subnet_mask INT = 32
    description VARCHAR(255)
    created_at TIMESTAMP = NOW()
phone_numbers
    id UUID NN = gen_random_uuid()
    number VARCHAR(20) NN
    country_code VARCHAR(5) NN
    number_type VARCHAR(20) = 'local'
    org_id UUID
    trunk_id UUID
    voice_enabled BOOLEAN = TRUE
    sms_enabled BOOLEAN = FALSE
    mms_enabled BOOLEAN = FALSE
    fax_enabled BOOLEAN = FALSE
    status VARCHAR(50) = 'available'
    ported_in BOOLEAN = FALSE
    port_in_date DATE
    rate_center VARCHAR(100)
    state VARCHAR(2)
    lata VARCHAR(10)
    cnam_enabled BOOLEAN = FALSE
    cnam_display VARCHAR(100)
    metadata JSONB = '{}'
    created_at TIMESTAMP = NOW()
    updated_at TIMESTAMP = NOW()
e911_addresses
    id UUID NN = gen_random_uuid()
    phone_number_id UUID
    customer_name VARCHAR(255) NN
    street_number VARCHAR(20) NN
    street_name VARCHAR(255) NN
    street_suffix VARCHAR(20)
    unit_type VARCHAR(20)
    unit_number VARCHAR(20)
    city VARCHAR(100) NN
    state VARCHAR(2) NN
    zip VARCHAR(10) NN
    plus_four VARCHAR(4)
    validated BOOLEAN = FALSE
    validation_date TIMESTAMP
    msag_valid BOOLEAN = FALSE
    created_at TIMESTAMP = NOW()
    updated_at TIMESTAMP = NOW()
routing_rules
    id UUID NN = gen_random_uuid()
    org_id UUID NN
    trunk_id UUID
    name VARCHAR(255) NN
    priority INT = 100
    enabled BOOLEAN = TRUE
    match_type VARCHAR(50) = 'prefix'
    match_pattern VARCHAR(255) NN
    time_condition JSONB = '{}'
    action VARCHAR(50) NN
    destination VARCHAR(255)
    transform_rules JSONB = '{}'
    weight INT = 100
    max_calls INT
    metadata JSONB = '{}'
    created_at TIMESTAMP = NOW()
    updated_at TIMESTAMP = NOW()
lcr_rates
    id UUID NN = gen_random_uuid()
    carrier_id UUID
    prefix VARCHAR(20) NN
    description VARCHAR(255)
    rate DECIMAL(10,6) NN
    effective_date DATE NN
    expiry_date DATE
    priority INT = 100
cdrs
    id UUID NN = gen_random_uuid()
    call_id VARCHAR(255) NN
    org_id UUID NN
    trunk_id UUID
    from_number VARCHAR(50)
    to_number VARCHAR(50)
    start_time TIMESTAMP NN
    answer_time TIMESTAMP
    end_time TIMESTAMP
    duration INT = 0
    billable_duration INT = 0
    inbound BOOLEAN = FALSE
    source_ip INET
    destination_ip INET
    sip_response_code INT
    termination_cause VARCHAR(100)
    mos_score DECIMAL(3,2)
    packet_loss DECIMAL(5,2)
    jitter_avg INT
    rtt_avg INT
    rate DECIMAL(10,6)
    cost DECIMAL(10,4)
    billed BOOLEAN = FALSE
    codecs_used JSONB = '[]'
    recording_url VARCHAR(500)
    metadata JSONB = '{}'
    created_at TIMESTAMP = NOW()
billing_accounts
    id UUID NN = gen_random_uuid()
    org_id UUID NN
    payment_method VARCHAR(50) = 'invoice'
    stripe_customer_id VARCHAR(255)
    billing_email VARCHAR(255)
    billing_address JSONB
    tax_id VARCHAR(255)
    credit_limit DECIMAL(10,2) = 0
    current_balance DECIMAL(10,2) = 0
    auto_recharge BOOLEAN = FALSE
    auto_recharge_amount DECIMAL(10,2)
    auto_recharge_threshold DECIMAL(10,2)
    created_at TIMESTAMP = NOW()
    updated_at TIMESTAMP = NOW()
usage_records
    id UUID NN = gen_random_uuid()
    org_id UUID NN
    usage_type VARCHAR(50) NN
    quantity DECIMAL(15,4) NN
    unit VARCHAR(20) NN
    rate DECIMAL(10,6)
    amount DECIMAL(10,4)
    period_start TIMESTAMP NN
    period_end TIMESTAMP NN
    metadata JSONB = '{}'
    created_at TIMESTAMP = NOW()
invoices
    id UUID NN = gen_random_uuid()
    org_id UUID NN
    invoice_number VARCHAR(50) NN
    period_start DATE NN
    period_end DATE NN
    subtotal DECIMAL(10,2) NN
    tax_amount DECIMAL(10,2) = 0
    total DECIMAL(10,2) NN
    status VARCHAR(50) = 'draft'
    due_date DATE
    paid_date DATE
    line_items JSONB = '[]'
    created_at TIMESTAMP = NOW()
    updated_at TIMESTAMP = NOW()
messages
    id UUID NN = gen_random_uuid()
    message_id VARCHAR(255) NN
    org_id UUID NN
    from_number VARCHAR(50) NN
    to_number VARCHAR(50) NN
    message_type VARCHAR(20) = 'sms'
    body TEXT
    media_urls JSONB = '[]'
    num_segments INT = 1
    direction VARCHAR(20) NN
    status VARCHAR(50) = 'queued'
    error_code VARCHAR(20)
    error_message TEXT
    sent_at TIMESTAMP
    delivered_at TIMESTAMP
    rate DECIMAL(10,6)
    cost DECIMAL(10,4)
    metadata JSONB = '{}'
    created_at TIMESTAMP NN = NOW()
messaging_campaigns
    id UUID NN = gen_random_uuid()
    org_id UUID NN
    name VARCHAR(255) NN
    from_number VARCHAR(50) NN
    recipient_list JSONB NN
    message_template TEXT NN
    media_urls JSONB = '[]'
    scheduled_at TIMESTAMP
    started_at TIMESTAMP
    completed_at TIMESTAMP
    total_recipients INT = 0
    sent_count INT = 0
    delivered_count INT = 0
    failed_count INT = 0
    status VARCHAR(50) = 'draft'
    created_at TIMESTAMP = NOW()
    updated_at TIMESTAMP = NOW()
"""

# name: (table, kind, columns, referenced table). Kinds: p primary key, u unique, f foreign key.
CONSTRAINTS = {
    "organizations_pkey": ("organizations", "p", "id", None),
    "organizations_fcc_filer_id_key": ("organizations", "u", "fcc_filer_id", None),
    "organizations_parent_org_id_fkey": ("organizations", "f", "parent_org_id", "organizations"),
    "organization_settings_pkey": ("organization_settings", "p", "org_id", None),
    "organization_settings_org_id_fkey": ("organization_settings", "f", "org_id", "organizations"),
    "users_pkey": ("users", "p", "id", None),
    "users_org_id_id_key": ("users", "u", "org_id,id", None),
    "api_keys_org_id_id_key": ("api_keys", "u", "org_id,id", None),
    "sip_trunks_org_id_id_key": ("sip_trunks", "u", "org_id,id", None),
    "users_email_key": ("users", "u", "email", None),
    "users_username_key": ("users", "u", "username", None),
    "users_org_id_fkey": ("users", "f", "org_id", "organizations"),
    "api_keys_pkey": ("api_keys", "p", "id", None),
    "api_keys_key_hash_key": ("api_keys", "u", "key_hash", None),
    "api_keys_org_id_fkey": ("api_keys", "f", "org_id", "organizations"),
    "api_keys_user_id_fkey": ("api_keys", "f", "org_id,user_id", "users"),
    "audit_logs_pkey": ("audit_logs", "p", "id", None),
    "audit_logs_org_id_fkey": ("audit_logs", "f", "org_id", "organizations"),
    "audit_logs_user_id_fkey": ("audit_logs", "f", "org_id,user_id", "users"),
    "audit_logs_api_key_id_fkey": ("audit_logs", "f", "org_id,api_key_id", "api_keys"),
    "sip_trunks_pkey": ("sip_trunks", "p", "id", None),
    "sip_trunks_username_key": ("sip_trunks", "u", "username", None),
    "sip_trunks_org_id_name_key": ("sip_trunks", "u", "org_id,name", None),
    "sip_trunks_org_id_fkey": ("sip_trunks", "f", "org_id", "organizations"),
    "sip_trunks_failover_trunk_id_fkey": ("sip_trunks", "f", "org_id,failover_trunk_id", "sip_trunks"),
    "trunk_registrations_pkey": ("trunk_registrations", "p", "trunk_id", None),
    "trunk_registrations_trunk_id_fkey": ("trunk_registrations", "f", "trunk_id", "sip_trunks"),
    "trunk_acl_pkey": ("trunk_acl", "p", "id", None),
    "trunk_acl_trunk_id_ip_address_key": ("trunk_acl", "u", "trunk_id,ip_address", None),
    "trunk_acl_trunk_id_fkey": ("trunk_acl", "f", "trunk_id", "sip_trunks"),
    "phone_numbers_pkey": ("phone_numbers", "p", "id", None),
    "phone_numbers_number_key": ("phone_numbers", "u", "number", None),
    "phone_numbers_org_id_fkey": ("phone_numbers", "f", "org_id", "organizations"),
    "phone_numbers_trunk_id_fkey": ("phone_numbers", "f", "org_id,trunk_id", "sip_trunks"),
    "e911_addresses_pkey": ("e911_addresses", "p", "id", None),
    "e911_addresses_phone_number_id_key": ("e911_addresses", "u", "phone_number_id", None),
    "e911_addresses_phone_number_id_fkey": ("e911_addresses", "f", "phone_number_id", "phone_numbers"),
    "routing_rules_pkey": ("routing_rules", "p", "id", None),
    "routing_rules_org_id_fkey": ("routing_rules", "f", "org_id", "organizations"),
    "routing_rules_trunk_id_fkey": ("routing_rules", "f", "org_id,trunk_id", "sip_trunks"),
    "lcr_rates_pkey": ("lcr_rates", "p", "id", None),
    "lcr_rates_carrier_id_prefix_effective_date_key": (
        "lcr_rates",
        "u",
        "carrier_id,prefix,effective_date",
        None,
    ),
    "lcr_rates_carrier_id_fkey": ("lcr_rates", "f", "carrier_id", "organizations"),
    "cdrs_pkey": ("cdrs", "p", "id,start_time", None),
    "cdrs_call_id_start_time_key": ("cdrs", "u", "call_id,start_time", None),
    "cdrs_org_id_fkey": ("cdrs", "f", "org_id", "organizations"),
    "cdrs_trunk_id_fkey": ("cdrs", "f", "org_id,trunk_id", "sip_trunks"),
    "billing_accounts_pkey": ("billing_accounts", "p", "id", None),
    "billing_accounts_org_id_key": ("billing_accounts", "u", "org_id", None),
    "billing_accounts_org_id_fkey": ("billing_accounts", "f", "org_id", "organizations"),
    "usage_records_pkey": ("usage_records", "p", "id,period_start", None),
    "usage_records_org_id_fkey": ("usage_records", "f", "org_id", "organizations"),
    "invoices_pkey": ("invoices", "p", "id", None),
    "invoices_invoice_number_key": ("invoices", "u", "invoice_number", None),
    "invoices_org_id_fkey": ("invoices", "f", "org_id", "organizations"),
    "messages_pkey": ("messages", "p", "id,created_at", None),
    "messages_message_id_created_at_key": ("messages", "u", "message_id,created_at", None),
    "messages_org_id_fkey": ("messages", "f", "org_id", "organizations"),
    "messaging_campaigns_pkey": ("messaging_campaigns", "p", "id", None),
    "messaging_campaigns_org_id_fkey": ("messaging_campaigns", "f", "org_id", "organizations"),
}

INDEXES = {
    "idx_cdrs_org_id": ("cdrs", "(org_id)"),
    "idx_cdrs_trunk_id": ("cdrs", "(trunk_id)"),
    "idx_cdrs_start_time": ("cdrs", "(start_time)"),
    "idx_cdrs_from_to": ("cdrs", "(from_number, to_number)"),
    "idx_trunks_org_status": ("sip_trunks", "(org_id, status)"),
    "idx_numbers_org_status": ("phone_numbers", "(org_id, status)"),
    "idx_routing_org_enabled": ("routing_rules", "(org_id, enabled)"),
    "idx_cdrs_org_time": ("cdrs", "(org_id, start_time DESC)"),
    "idx_messages_org_time": ("messages", "(org_id, created_at DESC)"),
    "idx_audit_org_time": ("audit_logs", "(org_id, created_at DESC)"),
}

PARTITIONED = {"cdrs": "start_time", "usage_records": "period_start", "messages": "created_at"}

_TYPES = {
    "UUID": "uuid",
    "INT": "integer",
    "JSONB": "jsonb",
    "TIMESTAMP": "timestamp without time zone",
    "DATE": "date",
    "INET": "inet",
    "TEXT": "text",
    "BOOLEAN": "boolean",
}

Column = tuple[str, bool, str | None]  # catalog type, NOT NULL, default as PostgreSQL prints it


def _catalog_type(declared: str) -> str:
    if match := re.fullmatch(r"VARCHAR\((\d+)\)", declared):
        return f"character varying({match.group(1)})"
    if match := re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", declared):
        return f"numeric({match.group(1)},{match.group(2)})"
    return _TYPES[declared]


def _catalog_default(default: str | None, catalog_type: str) -> str | None:
    if default is None:
        return None
    if default in ("NOW()", "TRUE", "FALSE"):
        return default.lower()
    if default.startswith("'"):
        return f"{default}::{catalog_type.split('(')[0]}"
    return default


def expected_columns() -> dict[str, dict[str, Column]]:
    """SCHEMA, read into catalog terms."""
    result: dict[str, dict[str, Column]] = {}
    table = ""
    for line in SCHEMA.strip().splitlines():
        if not line.startswith(" "):
            table = line.strip()
            result[table] = {}
            continue
        definition, _, default = line.strip().partition(" = ")
        name, declared, *flags = definition.split()
        catalog_type = _catalog_type(declared)
        result[table][name] = (catalog_type, flags == ["NN"], _catalog_default(default or None, catalog_type))
    return result


@pytest.fixture(scope="module")
def migrated_admin_url(create_database: Callable[[], str]) -> str:
    """One database with the bundled migrations applied, shared by the read-only tests of this module."""
    url = create_database()
    migrate(url)
    return url


def test_the_document_lists_18_tables() -> None:
    assert len(expected_columns()) == 18


SEED_000_TABLES = frozenset(
    {
        "extensions",
        "dial_plans",
        "device_configurations",
        "firmware_versions",
        "devices",
        "device_health_metrics",
        "voicemail_boxes",
        "voicemail_messages",
        "voicemail_transcriptions",
        "permission_matrices",
        "api_audit_logs",
    }
)
"""The 11 tables of the seed-000 domains (migration 20261206_014), which the schema document above does not list."""


def test_migrate_creates_exactly_the_18_tables_and_the_11_of_seed_000(migrated_admin_url: str) -> None:
    with psycopg.connect(migrated_admin_url) as conn:
        found = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        }
    expected = set(expected_columns())
    assert expected <= found
    assert tables(migrated_admin_url) == expected | SEED_000_TABLES | {"schema_migrations"}


def test_every_column_has_the_documented_type_nullability_and_default(migrated_admin_url: str) -> None:
    with psycopg.connect(migrated_admin_url) as conn:
        rows = conn.execute(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid)
              FROM pg_attribute a
              JOIN pg_class c ON c.oid = a.attrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND c.relname <> 'schema_migrations' AND a.attnum > 0 AND NOT a.attisdropped
               AND c.relname <> ALL(%s)
             ORDER BY c.relname, a.attnum
            """,
            (sorted(SEED_000_TABLES),),
        ).fetchall()
    actual: dict[str, dict[str, Column]] = {}
    for table, column, type_, not_null, default in rows:
        actual.setdefault(table, {})[column] = (type_, not_null, default)
    expected = expected_columns()
    assert actual == expected
    for table, columns in expected.items():  # column order follows the document too
        assert list(actual[table]) == list(columns), table


def test_constraints_have_predictable_names(migrated_admin_url: str) -> None:
    with psycopg.connect(migrated_admin_url) as conn:
        rows = conn.execute(
            """
            SELECT con.conname, rel.relname, con.contype,
                   (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
                      FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
                   ref.relname
              FROM pg_constraint con
              JOIN pg_class rel ON rel.oid = con.conrelid
              JOIN pg_namespace n ON n.oid = rel.relnamespace
              LEFT JOIN pg_class ref ON ref.oid = con.confrelid
             WHERE n.nspname = 'public' AND NOT rel.relispartition AND con.contype IN ('p', 'u', 'f')
               AND rel.relname <> 'schema_migrations' AND con.conparentid = 0 AND rel.relname <> ALL(%s)
            """,
            (sorted(SEED_000_TABLES),),
        ).fetchall()
    assert {name: (table, kind, cols, ref) for name, table, kind, cols, ref in rows} == CONSTRAINTS


def test_the_documented_indexes_exist_with_their_names(migrated_admin_url: str) -> None:
    with psycopg.connect(migrated_admin_url) as conn:
        rows = conn.execute(
            "SELECT indexname, tablename, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' AND indexname LIKE 'idx\\_%%' AND tablename <> ALL(%s)",
            (sorted(SEED_000_TABLES),),
        ).fetchall()
    found = {name: (table, definition) for name, table, definition in rows}
    assert set(found) == set(INDEXES)
    for name, (table, columns) in INDEXES.items():
        assert found[name][0] == table
        assert found[name][1].endswith(f"USING btree {columns}"), found[name][1]


def test_partitioned_tables_have_a_default_and_the_months_around_now(migrated_admin_url: str) -> None:
    today = dt.date.today()
    month = today.replace(day=1)
    with psycopg.connect(migrated_admin_url) as conn:
        for table, key in PARTITIONED.items():
            row = conn.execute("SELECT pg_get_partkeydef(%s::regclass)", [table]).fetchone()
            assert row == (f"RANGE ({key})",)
            children = {
                r[0]
                for r in conn.execute(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = %s::regclass",
                    [table],
                )
            }
            assert f"{table}_default" in children
            assert f"{table}_{month:%Y_%m}" in children
            # 12 months back, this month, 3 ahead, and the default partition.
            assert len(children) == 17, sorted(children)


def test_the_current_month_partition_covers_this_month(migrated_admin_url: str) -> None:
    month = dt.date.today().replace(day=1)
    bound = scalar(
        migrated_admin_url,
        "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.relname = %s",
        f"cdrs_{month:%Y_%m}",
    )
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    assert bound == f"FOR VALUES FROM ('{month} 00:00:00') TO ('{next_month} 00:00:00')"


def test_cdrs_far_outside_the_partition_window_still_insert(empty_admin_url: str) -> None:
    migrate(empty_admin_url)
    with psycopg.connect(empty_admin_url) as conn:
        org = conn.execute("INSERT INTO organizations (name) VALUES ('Carrier') RETURNING id").fetchone()
        assert org is not None
        for call_id, start in (("future", "2040-01-01 00:00:00"), ("past", "1999-06-15 12:00:00")):
            conn.execute("INSERT INTO cdrs (call_id, org_id, start_time) VALUES (%s, %s, %s)", [call_id, org[0], start])
        rows = conn.execute("SELECT call_id, tableoid::regclass::text FROM cdrs ORDER BY call_id").fetchall()
    assert rows == [("future", "cdrs_default"), ("past", "cdrs_default")]


def test_a_message_created_now_lands_in_this_months_partition(empty_admin_url: str) -> None:
    migrate(empty_admin_url)
    with psycopg.connect(empty_admin_url) as conn:
        org = conn.execute("INSERT INTO organizations (name) VALUES ('Carrier') RETURNING id").fetchone()
        assert org is not None
        row = conn.execute(
            "INSERT INTO messages (message_id, org_id, from_number, to_number, direction)"
            " VALUES ('m1', %s, '+15550001', '+15550002', 'outbound') RETURNING tableoid::regclass::text",
            [org[0]],
        ).fetchone()
        month = conn.execute("SELECT to_char(NOW(), 'YYYY_MM')").fetchone()
    assert row is not None and month is not None
    assert row[0] == f"messages_{month[0]}"


def test_bundled_files_follow_the_convention_and_can_be_rolled_back() -> None:
    migrations = load_migrations(bundled_migrations_dir())
    versions = [m.version for m in migrations]
    assert versions[:7] == [f"20261122_{n:03d}" for n in range(1, 8)]  # the tables, in foreign-key order
    assert versions == sorted(set(versions))
    for migration in migrations:
        assert migration.author == "warp-models"
        assert migration.date == dt.datetime.strptime(migration.version[:8], "%Y%m%d").date()
        assert migration.down_sql is not None, migration.path
        assert migration.path.parent.name == "2026"
        assert "BEGIN;" not in migration.up_sql.splitlines()
