"""The smallest valid create payload of every table: only the columns that have neither NULL nor a default."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

ORG = UUID("00000000-0000-4000-8000-000000000001")
OTHER = UUID("00000000-0000-4000-8000-000000000002")
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# Secret columns take only their stored forms (warp_models.types): what warp_repo.secrets would produce.
PASSWORD_HASH = "$argon2id$v=19$m=19456,t=2,p=1$96cRaDj7Qzbd2XxX/Isgcw$B76EOe6yr3++GaVRnlO2CZj84fGddw0y9CMLim3YoV8"
KEY_HASH = f"hs256:p1:{'ab' * 32}"
CIPHERTEXT = "k1:4glpGHzw_lGGVpJkt9BtWyIXuJ8C5ZiaKFKnih8n4R3IrnTDt-Rdz1Ncg5E"

REQUIRED: dict[str, dict[str, Any]] = {
    "organizations": {"name": "Acme Telecom"},
    "organization_settings": {"org_id": ORG},
    "users": {"org_id": ORG, "email": "ops@example.com", "username": "ops", "password_hash": PASSWORD_HASH},
    "api_keys": {"org_id": ORG, "key_hash": KEY_HASH, "name": "billing sync"},
    "audit_logs": {"action": "login"},
    "sip_trunks": {"org_id": ORG, "name": "primary", "username": "acme-primary"},
    "trunk_registrations": {"trunk_id": OTHER},
    "trunk_acl": {"trunk_id": OTHER, "ip_address": "203.0.113.10"},
    "phone_numbers": {"number": "+14155550123", "country_code": "1"},
    "e911_addresses": {
        "customer_name": "Acme",
        "street_number": "100",
        "street_name": "Main",
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
    },
    "routing_rules": {"org_id": ORG, "name": "us", "match_pattern": "1", "action": "lcr"},
    "lcr_rates": {"prefix": "1415", "rate": Decimal("0.0042"), "effective_date": date(2026, 1, 1)},
    "cdrs": {"call_id": "a84b4c76e66710@pc33.example.com", "org_id": ORG, "start_time": WHEN},
    "billing_accounts": {"org_id": ORG},
    "usage_records": {
        "org_id": ORG,
        "usage_type": "voice_outbound",
        "quantity": Decimal("12.5"),
        "unit": "minute",
        "period_start": WHEN,
        "period_end": WHEN,
    },
    "invoices": {
        "org_id": ORG,
        "invoice_number": "INV-0001",
        "period_start": date(2026, 2, 1),
        "period_end": date(2026, 2, 28),
        "subtotal": Decimal("10.00"),
        "total": Decimal("10.00"),
    },
    "messages": {
        "message_id": "SM0001",
        "org_id": ORG,
        "from_number": "+14155550123",
        "to_number": "+14155550124",
        "direction": "outbound",
    },
    "messaging_campaigns": {
        "org_id": ORG,
        "name": "spring",
        "from_number": "+14155550123",
        "recipient_list": ["+14155550124"],
        "message_template": "Hello",
    },
    # The seed-000 domains (migration 20261206_014).
    "extensions": {"org_id": ORG, "extension": "1001"},
    "dial_plans": {"org_id": ORG, "name": "internal", "match_pattern": "1", "actions": [{"type": "extension"}]},
    "device_configurations": {"org_id": ORG, "name": "yealink-base"},
    "firmware_versions": {
        "vendor": "yealink",
        "model": "T54W",
        "version": "96.86.0.70",
        "file_url": "https://firmware.example.com/T54W-96.86.0.70.rom",
        "sha256": "ab" * 32,
    },
    "devices": {"org_id": ORG, "mac_address": "80:5e:c0:12:34:56"},
    "device_health_metrics": {"org_id": ORG, "device_id": OTHER},
    "voicemail_boxes": {"org_id": ORG, "mailbox": "1001"},
    "voicemail_messages": {"org_id": ORG, "box_id": OTHER, "audio_url": "s3://voicemail/acme/1.wav"},
    "voicemail_transcriptions": {"org_id": ORG, "message_id": OTHER, "engine": "whisper"},
    "permission_matrices": {"org_id": ORG, "role": "admin", "resource": "devices", "action": "manage"},
    "api_audit_logs": {"service": "billing", "action_type": "invoice.create"},
}
