"""The audit hook: entries written in the change's transaction, confined to its tenant, without secrets."""

from __future__ import annotations

import asyncio
import json
import uuid

import psycopg
import pydantic
import pytest
from pydantic import SecretStr

from tests.conftest import DatabaseFactory
from warp_models import OrganizationCreate
from warp_repo.audit import REDACTED, audit_entry, redact_changes, write_audit, write_audit_async

from .conftest import Logins, migrate_all
from .dataset import insert

SECRET_HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo"
MFA_CIPHERTEXT = "k1:Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0"


def test_secret_columns_and_secret_values_are_redacted() -> None:
    changes = {"password_hash": SECRET_HASH, "mfa_secret": MFA_CIPHERTEXT, "email": "new@example.com", "role": None}
    assert redact_changes("users", changes) == {
        "password_hash": REDACTED,
        "mfa_secret": REDACTED,
        "email": "new@example.com",
        "role": None,
    }
    assert redact_changes("billing_accounts", {"tax_id": "12-3456789"}) == {"tax_id": REDACTED}
    assert redact_changes(None, {"token": SecretStr("warp_x"), "mfa_secret": None}) == {
        "token": REDACTED,
        "mfa_secret": None,
    }
    with pytest.raises(pydantic.ValidationError):
        audit_entry("x" * 101, org_id=None)


def test_an_entry_is_written_for_the_tenant_of_the_transaction_only(
    create_database: DatabaseFactory, logins: Logins
) -> None:
    url = create_database()
    migrate_all(url)
    mine, other, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(url) as conn:
        insert(conn, OrganizationCreate(id=mine, name="Mine"))
        insert(conn, OrganizationCreate(id=other, name="Other"))
    changes = {"password_hash": SECRET_HASH, "mfa_secret": MFA_CIPHERTEXT, "email": "new@example.com"}

    with psycopg.connect(logins.url(url, "warp_app")) as conn:
        conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(mine)])
        entry = audit_entry(
            "update", org_id=mine, resource_type="users", resource_id=user, ip_address="192.0.2.1", changes=changes
        )
        written = write_audit(conn, entry)
        conn.commit()

        for foreign in (
            audit_entry("update", org_id=other, resource_type="users"),
            audit_entry("partition-maintenance", org_id=None),
        ):
            conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(mine)])
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                write_audit(conn, foreign)
            conn.rollback()

    async def write_async() -> uuid.UUID:
        async with await psycopg.AsyncConnection.connect(logins.url(url, "warp_app")) as aconn:
            await aconn.execute("SELECT set_config('warp.org_id', %s, true)", [str(mine)])
            made = await write_audit_async(aconn, audit_entry("login", org_id=mine))
            await aconn.commit()
            return made

    logged_in = asyncio.run(write_async())

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id, org_id, action, resource_id, metadata::text FROM audit_logs ORDER BY action"
        ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(logged_in, mine, "login"), (written, mine, "update")]
    assert rows[1][3] == str(user)
    stored = json.loads(str(rows[1][4]))
    assert stored["changes"] == {"password_hash": REDACTED, "mfa_secret": REDACTED, "email": "new@example.com"}
    assert SECRET_HASH not in str(rows) and MFA_CIPHERTEXT not in str(rows)


def test_the_platform_writes_platform_events_when_it_asks(create_database: DatabaseFactory, logins: Logins) -> None:
    url = create_database()
    migrate_all(url)
    with psycopg.connect(logins.url(url, "warp_platform")) as conn:
        conn.execute("SELECT set_config('warp.platform', 'on', true)")
        entry_id = write_audit(conn, audit_entry("rotate-keys", org_id=None, metadata={"rotated": 12}))
        conn.commit()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT action, org_id FROM audit_logs WHERE id = %s", [entry_id]).fetchone() == (
            "rotate-keys",
            None,
        )
