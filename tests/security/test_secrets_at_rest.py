"""Secrets stored through the application login, or by ``warp-db seed``: a database dump holds none of them in
clear, every secret column holds a hash or a ciphertext, and an API key is authenticated under row-level
security."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from rich.console import Console

from tests.conftest import DatabaseFactory
from warp_models import ApiKey, ApiKeyCreate, BillingAccountCreate, OrganizationCreate, UserCreate
from warp_models._base import TABLES
from warp_models.types import API_KEY_HASH_PATTERN, ARGON2ID_HASH_PATTERN, DIGEST_HA1_PATTERN
from warp_repo._seed import run_seed
from warp_repo.secrets import (
    ENCRYPTION_KEYS_VARIABLE,
    MFA_SECRET,
    TAX_ID,
    DecryptionError,
    EncryptedColumn,
    Keyring,
    api_key_lookup_hashes,
    api_key_org,
    generate_key_entry,
    hash_password,
    issue_api_key,
    verify_api_key,
    verify_password,
)
from warp_repo.testing import TEST_ENCRYPTION_KEYS, TEST_PASSWORD

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
    random_part = token.split("_", 2)[2]  # after "<prefix>_<org hex>_"; token_urlsafe may itself hold "_"
    assert len(random_part) >= 43
    for secret in (PASSWORD, TOTP, token, random_part):
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


# --- warp-db seed -----------------------------------------------------------------------------------------------

SEEDED_AT = datetime(2026, 10, 15, tzinfo=UTC)
ENCRYPTED: dict[str, EncryptedColumn] = {column.qualified: column for column in (MFA_SECRET, TAX_ID)}
HASHED = {
    "users.password_hash": ARGON2ID_HASH_PATTERN,
    "api_keys.key_hash": API_KEY_HASH_PATTERN,
    "extensions.password_hash": DIGEST_HA1_PATTERN,
    "voicemail_boxes.pin_hash": ARGON2ID_HASH_PATTERN,
    "devices.provisioning_password_hash": ARGON2ID_HASH_PATTERN,
}
NOT_CHECKED = {"sip_trunks.password_hash"}
"""A SIP digest credential: the proxy needs HA1 or the secret itself, so its stored form is another question."""


@dataclass(frozen=True)
class Seeded:
    url: str
    values: dict[str, list[tuple[UUID, UUID, str]]]
    """Every non-NULL value of every secret column, with its row's id and organization, read as the superuser."""


def secret_values(url: str) -> dict[str, list[tuple[UUID, UUID, str]]]:
    found: dict[str, list[tuple[UUID, UUID, str]]] = {}
    with psycopg.connect(url) as conn:
        for name, row in TABLES.items():
            for column in row.__columns__:
                if column.col.secret:
                    query = sql.SQL("SELECT id, org_id, {col} FROM {table} WHERE {col} IS NOT NULL").format(
                        col=sql.Identifier(column.name), table=sql.Identifier(name)
                    )
                    found[f"{name}.{column.name}"] = [(a, b, str(c)) for a, b, c in conn.execute(query).fetchall()]
    return found


@pytest.fixture(scope="module")
def seeded(create_database: DatabaseFactory) -> Seeded:
    """A database filled by ``warp-db seed`` without keys configured: the public test keys are used."""
    url = create_database()
    migrate_all(url)
    with pytest.MonkeyPatch.context() as env:
        for variable in (ENCRYPTION_KEYS_VARIABLE, "WARP_API_KEY_PEPPERS"):
            env.delenv(variable, raising=False)
            env.delenv(f"{variable}_FILE", raising=False)
        out = io.StringIO()
        run_seed(url, Console(file=out, width=120), scale=4, seed=11, now=SEEDED_AT)
    assert "public test keys" in out.getvalue(), "the seed says which keys it used"
    return Seeded(url, secret_values(url))


def test_the_seed_writes_only_hashes_and_ciphertexts(seeded: Seeded) -> None:
    assert set(seeded.values) == set(ENCRYPTED) | set(HASHED) | NOT_CHECKED, "a new secret column needs a form"
    for column, pattern in HASHED.items():
        values = seeded.values[column]
        assert values, f"the seed wrote no {column}: nothing was checked"
        assert all(re.fullmatch(pattern, value) for _, _, value in values), column
    hashes = [value for _, _, value in seeded.values["api_keys.key_hash"]]
    assert len(set(hashes)) == len(hashes)
    # The password hashes are real: each verifies the factories' public test password, and only it.
    assert all(verify_password(value, TEST_PASSWORD).valid for _, _, value in seeded.values["users.password_hash"])
    assert not verify_password(seeded.values["users.password_hash"][0][2], "guess").valid
    for column, encrypted in ENCRYPTED.items():
        values = seeded.values[column]
        assert values, f"the seed wrote no {column}: nothing was checked"
        for row_id, org_id, value in values:
            assert encrypted.decrypt(TEST_ENCRYPTION_KEYS, value, row_id=row_id, org_id=org_id).get_secret_value()


def test_a_dump_of_a_seeded_database_holds_no_secret_in_clear(seeded: Seeded) -> None:
    with psycopg.connect(seeded.url) as conn:
        found = conn.execute("SHOW server_version_num").fetchone()
    assert found is not None
    binary = pg_dump_binary(int(str(found[0])) // 10000)
    if binary is None:
        pytest.skip("no pg_dump as new as the server (the column check above read every secret column with SQL)")
    dump = subprocess.run([binary, "--dbname", seeded.url], capture_output=True, text=True, check=True).stdout
    plaintexts = [
        ENCRYPTED[column].decrypt(TEST_ENCRYPTION_KEYS, value, row_id=row_id, org_id=org_id).get_secret_value()
        for column in ENCRYPTED
        for row_id, org_id, value in seeded.values[column]
    ]
    assert plaintexts
    assert seeded.values["users.password_hash"][0][2] in dump, "the dump holds the rows, in their stored form"
    for secret in [*plaintexts, TEST_PASSWORD]:
        assert secret not in dump


def test_the_seed_encrypts_under_the_deployments_keys_when_they_are_set(
    create_database: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = create_database()
    migrate_all(url)
    entry = generate_key_entry("dev1")
    monkeypatch.setenv(ENCRYPTION_KEYS_VARIABLE, entry)
    monkeypatch.delenv(f"{ENCRYPTION_KEYS_VARIABLE}_FILE", raising=False)
    out = io.StringIO()
    run_seed(url, Console(file=out, width=120), scale=1, seed=5, now=SEEDED_AT)
    assert f"{ENCRYPTION_KEYS_VARIABLE} is not set" not in out.getvalue()
    deployment = Keyring.parse(entry, source="deployment keys", key_sizes=(32,))
    row_id, org_id, value = secret_values(url)["billing_accounts.tax_id"][0]
    assert value.startswith("dev1:")
    assert TAX_ID.decrypt(deployment, value, row_id=row_id, org_id=org_id).get_secret_value()
    with pytest.raises(DecryptionError):
        TAX_ID.decrypt(TEST_ENCRYPTION_KEYS, value, row_id=row_id, org_id=org_id)
