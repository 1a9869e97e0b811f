"""Secrets stored through the application login: a database dump holds none of them in clear, and an API key
is authenticated under row-level security."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.conftest import DatabaseFactory
from warp_models import ApiKey, ApiKeyCreate, BillingAccountCreate, OrganizationCreate, UserCreate
from warp_repo.secrets import (
    MFA_SECRET,
    Keyring,
    api_key_lookup_hashes,
    api_key_org,
    generate_key_entry,
    hash_password,
    issue_api_key,
    verify_api_key,
    verify_password,
)

from .conftest import Logins, migrate_all
from .dataset import insert

PASSWORD = "Tr0ub4dor&3-horse-battery"
TOTP = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def pg_dump_binary(server_major: int) -> str | None:
    """A pg_dump at least as new as the server (an older one refuses to dump it)."""
    candidates = [shutil.which("pg_dump"), *sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))]
    for candidate in filter(None, candidates):
        version = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=False).stdout
        match = re.search(r"(\d+)\.\d+", version)
        if match and int(match.group(1)) >= server_major:
            return candidate
    return None


def test_a_dump_holds_no_password_api_key_or_mfa_secret_in_clear(
    create_database: DatabaseFactory, logins: Logins
) -> None:
    url = create_database()
    migrate_all(url)
    org, user = uuid.uuid4(), uuid.uuid4()
    encryption = Keyring.parse(generate_key_entry("k1"), source="test keys", key_sizes=(32,))
    peppers = Keyring.parse(generate_key_entry("p1"), source="test peppers", min_size=32)
    password_hash = hash_password(PASSWORD)
    mfa = MFA_SECRET.encrypt(encryption, TOTP, row_id=user, org_id=org)
    issued = issue_api_key(org, peppers)

    with psycopg.connect(logins.url(url, "warp_app")) as conn:  # stored by the service, in its tenant's context
        conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(org)])
        insert(conn, OrganizationCreate(id=org, name="Dump Test Org"))
        insert(
            conn,
            UserCreate(
                id=user,
                org_id=org,
                email="ops@example.com",
                username="ops",
                password_hash=password_hash,
                mfa_enabled=True,
                mfa_secret=mfa,
            ),
        )
        insert(conn, ApiKeyCreate(org_id=org, user_id=user, key_hash=issued.key_hash, name="ci"))
        insert(conn, BillingAccountCreate(org_id=org))
        conn.commit()

    with psycopg.connect(url) as conn:
        found = conn.execute("SHOW server_version_num").fetchone()
    assert found is not None
    binary = pg_dump_binary(int(str(found[0])) // 10000)
    if binary is None:
        pytest.skip("no pg_dump as new as the server")
    dump = subprocess.run([binary, "--dbname", url], capture_output=True, text=True, check=True).stdout

    # The rows are in the dump, in their stored form...
    assert "Dump Test Org" in dump
    assert password_hash.get_secret_value() in dump
    assert mfa.get_secret_value() in dump
    assert issued.key_hash.get_secret_value() in dump
    # ...and no secret is, in clear.
    token = issued.token.get_secret_value()
    for secret in (PASSWORD, TOTP, token, token.rsplit("_", 1)[-1]):
        assert secret not in dump


def test_an_api_key_is_authenticated_under_row_level_security(create_database: DatabaseFactory, logins: Logins) -> None:
    url = create_database()
    migrate_all(url)
    peppers = Keyring.parse(generate_key_entry("p1"), source="test peppers", min_size=32)
    orgs = [uuid.uuid4(), uuid.uuid4()]
    issued = {org: issue_api_key(org, peppers) for org in orgs}
    with psycopg.connect(url) as conn:
        for org in orgs:
            insert(conn, OrganizationCreate(id=org, name="Org"))
            insert(conn, ApiKeyCreate(org_id=org, key_hash=issued[org].key_hash, name="ci"))
            insert(
                conn,
                UserCreate(
                    org_id=org,
                    email=f"{org.hex}@example.com",
                    username=org.hex,
                    password_hash=hash_password(PASSWORD),
                ),
            )

    def authenticate(conn: psycopg.Connection[tuple[object, ...]], token: str) -> ApiKey | None:
        org = api_key_org(token)
        if org is None:
            return None
        with conn.transaction():
            conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(org)])
            with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
                row = cur.execute(
                    "SELECT * FROM api_keys WHERE key_hash = ANY(%s)", [api_key_lookup_hashes(token, peppers)]
                ).fetchone()
        if row is None:
            return None
        key = ApiKey.from_db(row)
        return key if verify_api_key(token, key, peppers).ok else None

    with psycopg.connect(logins.url(url, "warp_app")) as conn:
        for org in orgs:
            key = authenticate(conn, issued[org].token.get_secret_value())
            assert key is not None
            assert key.org_id == org
        # A token whose organization part was swapped finds nothing: the lookup runs in the named tenant.
        forged = issued[orgs[0]].token.get_secret_value().replace(orgs[0].hex, orgs[1].hex)
        assert authenticate(conn, forged) is None
        with conn.transaction():
            conn.execute("SELECT set_config('warp.org_id', %s, true)", [str(orgs[0])])
            stored = conn.execute("SELECT password_hash FROM users").fetchall()
        assert len(stored) == 1
        assert verify_password(str(stored[0][0]), PASSWORD).valid
