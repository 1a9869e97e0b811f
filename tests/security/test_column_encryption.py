"""AES-256-GCM column encryption, the keyring it reads from the environment, and key rotation."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from tests.cli.test_settings import raised_as_a_user
from tests.conftest import DatabaseFactory
from warp_models import BillingAccountCreate, OrganizationCreate, UserCreate
from warp_models.errors import ConfigurationError
from warp_repo.secrets import (
    MFA_SECRET,
    TAX_ID,
    CiphertextTooLong,
    DecryptionError,
    Keyring,
    KeyringError,
    UnknownKeyId,
    ciphertext_length,
    generate_key_entry,
    hash_password,
    load_api_key_peppers,
    load_encryption_keys,
    rotate_encryption_keys,
)

from .conftest import Logins, migrate_all, url_as
from .dataset import insert

TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def keyring(*ids: str) -> Keyring:
    return load_encryption_keys({"WARP_ENCRYPTION_KEYS": ",".join(generate_key_entry(i) for i in ids)})


def test_a_value_round_trips_and_carries_its_key_id() -> None:
    keys = keyring("k1")
    row, org = uuid.uuid4(), uuid.uuid4()
    stored = MFA_SECRET.encrypt(keys, TOTP, row_id=row, org_id=org).get_secret_value()
    assert re.fullmatch(r"k1:[A-Za-z0-9_-]+", stored)
    assert TOTP not in stored
    assert len(stored) == ciphertext_length(len(TOTP), "k1")
    assert MFA_SECRET.decrypt(keys, stored, row_id=row, org_id=org).get_secret_value() == TOTP
    assert MFA_SECRET.encrypt(keys, TOTP, row_id=row, org_id=org).get_secret_value() != stored  # a fresh nonce


def test_a_ciphertext_copied_to_another_row_tenant_or_column_does_not_decrypt() -> None:
    keys = keyring("k1")
    row, org = uuid.uuid4(), uuid.uuid4()
    stored = MFA_SECRET.encrypt(keys, TOTP, row_id=row, org_id=org)
    with pytest.raises(DecryptionError, match="another row, column or organization"):
        MFA_SECRET.decrypt(keys, stored, row_id=uuid.uuid4(), org_id=org)
    with pytest.raises(DecryptionError, match="another row, column or organization"):
        MFA_SECRET.decrypt(keys, stored, row_id=row, org_id=uuid.uuid4())
    with pytest.raises(DecryptionError, match="another row, column or organization"):
        TAX_ID.decrypt(keys, stored, row_id=row, org_id=org)
    kid, payload = stored.get_secret_value().split(":")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[20] ^= 1
    altered = f"{kid}:{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"
    with pytest.raises(DecryptionError, match="altered"):
        MFA_SECRET.decrypt(keys, altered, row_id=row, org_id=org)
    with pytest.raises(DecryptionError, match="not an encrypted value"):
        MFA_SECRET.decrypt(keys, TOTP, row_id=row, org_id=org)
    with pytest.raises(DecryptionError, match="too short"):
        MFA_SECRET.decrypt(keys, "k1:AAAA", row_id=row, org_id=org)


def test_a_value_under_a_removed_key_fails_with_a_clear_error() -> None:
    row, org = uuid.uuid4(), uuid.uuid4()
    stored = MFA_SECRET.encrypt(keyring("k1"), TOTP, row_id=row, org_id=org)
    with pytest.raises(UnknownKeyId) as caught:
        MFA_SECRET.decrypt(keyring("k2"), stored, row_id=row, org_id=org)
    message = str(caught.value)
    assert "'k1'" in message
    assert "WARP_ENCRYPTION_KEYS" in message
    assert "rotate-keys" in message


def test_the_stored_length_is_measured_and_tax_ids_fit_the_widened_column() -> None:
    keys = keyring("k1")
    row, org = uuid.uuid4(), uuid.uuid4()
    for size in range(0, 162):
        assert len(MFA_SECRET.encrypt(keys, "x" * size, row_id=row, org_id=org).get_secret_value()) == (
            ciphertext_length(size, "k1")
        )
    with pytest.raises(CiphertextTooLong, match="VARCHAR|255"):
        MFA_SECRET.encrypt(keys, "x" * 162, row_id=row, org_id=org)
    assert TAX_ID.max_length == 255  # the seed's 50 would hold 7 bytes: migration 20261122_012 widened it
    assert ciphertext_length(len("12-3456789"), "k1") == 54  # a US EIN
    assert TAX_ID.encrypt(keys, "12-3456789", row_id=row, org_id=org)
    with pytest.raises(CiphertextTooLong, match=r"billing_accounts\.tax_id holds at most 255 characters"):
        TAX_ID.encrypt(keys, "x" * 162, row_id=row, org_id=org)


def test_keys_come_from_the_environment_or_a_file(tmp_path: Path) -> None:
    entries = [generate_key_entry("k2"), generate_key_entry("k1")]
    from_env = load_encryption_keys({"WARP_ENCRYPTION_KEYS": ",".join(entries)})
    assert from_env.ids == ("k2", "k1")
    assert from_env.current_id == "k2"
    key_file = tmp_path / "keys"
    key_file.write_text(f"# current first\n{entries[0]}\n\n{entries[1]}  # previous\n", encoding="utf-8")
    from_file = load_encryption_keys({"WARP_ENCRYPTION_KEYS_FILE": str(key_file)})
    assert from_file.keys == from_env.keys
    assert entries[0].split(":")[1] not in repr(from_file)
    urlsafe = "k3:" + base64.urlsafe_b64encode(bytes(range(250, 256)) * 5 + b"\xfb\xff").decode().rstrip("=")
    assert load_encryption_keys({"WARP_ENCRYPTION_KEYS": urlsafe}).key("k3")[:6] == bytes(range(250, 256))


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "no keys: set WARP_ENCRYPTION_KEYS"),
        ({"WARP_ENCRYPTION_KEYS": "k1:AAAA", "WARP_ENCRYPTION_KEYS_FILE": "/x"}, "both"),
        ({"WARP_ENCRYPTION_KEYS_FILE": "/nonexistent/keys"}, "cannot read the key file"),
        ({"WARP_ENCRYPTION_KEYS": "k1:" + base64.b64encode(b"short").decode()}, "5 bytes; it must be 32 bytes"),
        ({"WARP_ENCRYPTION_KEYS": "k1:not base64!"}, "not base64"),
        ({"WARP_ENCRYPTION_KEYS": base64.b64encode(bytes(32)).decode()}, "not 'kid:base64key'"),
        ({"WARP_ENCRYPTION_KEYS": "bad-id:" + base64.b64encode(bytes(32)).decode()}, "not 1-16 letters"),
        ({"WARP_ENCRYPTION_KEYS": ",".join(["k1:" + base64.b64encode(bytes(32)).decode()] * 2)}, "appears twice"),
        ({"WARP_ENCRYPTION_KEYS": " , "}, "holds no key"),
    ],
)
def test_a_bad_keyring_is_a_configuration_error_that_shows_no_key(environ: dict[str, str], message: str) -> None:
    with pytest.raises(KeyringError, match=re.escape(message)) as caught:
        load_encryption_keys(environ)
    assert isinstance(caught.value, ConfigurationError)
    for entry in environ.get("WARP_ENCRYPTION_KEYS", "").split(","):
        secret = entry.rpartition(":")[2].strip()
        if len(secret) > 8:
            assert secret not in str(caught.value)


def test_a_key_file_that_is_not_utf8_is_a_keyring_error_naming_the_file_not_the_keys(tmp_path: Path) -> None:
    entry = generate_key_entry("k1")
    key_file = tmp_path / "keys"
    key_file.write_bytes(b"# cl\xe9s\n" + entry.encode())
    with pytest.raises(KeyringError) as caught:
        load_api_key_peppers({"WARP_API_KEY_PEPPERS_FILE": str(key_file)})
    message = str(caught.value)
    assert message.startswith(f"WARP_API_KEY_PEPPERS_FILE={key_file}: the key file is not UTF-8 text (byte 4)"), message
    assert entry.partition(":")[2] not in message and "0xe9" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__, "the key bytes stay out of traces"


def test_a_key_file_that_cannot_be_read_is_a_keyring_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match=re.escape(f"={tmp_path}: cannot read the key file (Is a directory)")):
        load_encryption_keys({"WARP_ENCRYPTION_KEYS_FILE": str(tmp_path)})
    key_file = tmp_path / "keys"
    key_file.write_text(generate_key_entry("k1"), encoding="utf-8")
    key_file.chmod(0o000)
    said = raised_as_a_user(
        "from warp_repo.secrets import load_encryption_keys\n"
        f"load_encryption_keys({{'WARP_ENCRYPTION_KEYS_FILE': {str(key_file)!r}}})"
    )
    assert said == (
        f"KeyringError: WARP_ENCRYPTION_KEYS_FILE={key_file}: cannot read the key file (Permission denied); "
        "it must be a file this user can read"
    ), said


def test_api_key_peppers_must_be_long_enough() -> None:
    with pytest.raises(KeyringError, match="at least 32 bytes"):
        load_api_key_peppers({"WARP_API_KEY_PEPPERS": "p1:" + base64.b64encode(bytes(16)).decode()})
    assert load_api_key_peppers({"WARP_API_KEY_PEPPERS": generate_key_entry("p1", 64)}).current_id == "p1"


# --- Rotation, against the database -------------------------------------------------------------------------


def add_users(url: str, keys: Keyring, count: int) -> dict[UUID, tuple[UUID, str]]:
    """``count`` users over two organizations with an encrypted MFA secret each: id -> (org, stored value)."""
    made: dict[UUID, tuple[UUID, str]] = {}
    orgs = [uuid.uuid4(), uuid.uuid4()]
    with psycopg.connect(url) as conn:
        for org in orgs:
            insert(conn, OrganizationCreate(id=org, name="Org"))
        for i in range(count):
            user, org = uuid.uuid4(), orgs[i % 2]
            secret = MFA_SECRET.encrypt(keys, f"{TOTP}{i}", row_id=user, org_id=org)
            insert(
                conn,
                UserCreate(
                    id=user,
                    org_id=org,
                    email=f"{user.hex}@example.com",
                    username=user.hex,
                    password_hash=hash_password("pw"),
                    mfa_enabled=True,
                    mfa_secret=secret,
                ),
            )
            made[user] = (org, secret.get_secret_value())
    return made


def stored_secrets(url: str) -> dict[UUID, str]:
    with psycopg.connect(url) as conn:
        return {
            UUID(str(r[0])): str(r[1])
            for r in conn.execute("SELECT id, mfa_secret FROM users WHERE mfa_secret IS NOT NULL")
        }


def test_rotation_re_encrypts_every_value_under_the_current_key(
    create_database: DatabaseFactory, logins: Logins
) -> None:
    url = create_database()
    migrate_all(url)
    old = keyring("k1")
    users = add_users(url, old, 5)
    new_only = keyring("k2")
    rotating = Keyring((*new_only.keys, *old.keys), source="new then old")

    with (
        psycopg.connect(logins.url(url, "warp_app"), autocommit=True) as conn,
        pytest.raises(ConfigurationError, match="member of the platform role"),
    ):
        rotate_encryption_keys(conn, rotating)

    platform = logins.create("warp_platform")
    with psycopg.connect(url_as(url, platform, logins.passwords[platform]), autocommit=True) as conn:
        report = rotate_encryption_keys(conn, rotating, batch_size=2)
        assert report.rotated == {"users.mfa_secret": 5, "billing_accounts.tax_id": 0}
        assert report.batches == 3
        assert rotate_encryption_keys(conn, rotating).total == 0  # nothing left under k1

    after = stored_secrets(url)
    assert set(after) == set(users)
    for user, (org, before) in users.items():
        assert after[user].startswith("k2:")
        assert after[user] != before
        plain = MFA_SECRET.decrypt(new_only, after[user], row_id=user, org_id=org).get_secret_value()
        assert plain == MFA_SECRET.decrypt(old, before, row_id=user, org_id=org).get_secret_value()
        with pytest.raises(UnknownKeyId, match="'k1'"):  # the old key is gone: old copies are unreadable
            MFA_SECRET.decrypt(new_only, before, row_id=user, org_id=org)


def test_rotation_stops_at_a_value_that_does_not_decrypt_and_keeps_the_batch(
    create_database: DatabaseFactory, logins: Logins
) -> None:
    url = create_database()
    migrate_all(url)
    old = keyring("k1")
    users = add_users(url, old, 2)
    (_, (_, first_secret)), (second, _) = sorted(users.items())
    with psycopg.connect(url) as conn:  # a ciphertext pasted into another row
        conn.execute("UPDATE users SET mfa_secret = %s WHERE id = %s", [first_secret, second])
    rotating = Keyring((*keyring("k2").keys, *old.keys), source="new then old")
    platform = logins.create("warp_platform")
    with (
        psycopg.connect(url_as(url, platform, logins.passwords[platform]), autocommit=True) as conn,
        pytest.raises(DecryptionError, match=str(second)),
    ):
        rotate_encryption_keys(conn, rotating, batch_size=10)
    assert all(value.startswith("k1:") for value in stored_secrets(url).values())  # the batch rolled back


def test_rotation_refuses_plaintext_left_in_an_encrypted_column(
    create_database: DatabaseFactory, logins: Logins
) -> None:
    url = create_database()
    migrate_all(url)
    org = uuid.uuid4()
    with psycopg.connect(url) as conn:
        insert(conn, OrganizationCreate(id=org, name="Org"))
        insert(conn, BillingAccountCreate(org_id=org))
        # Plaintext left over from before the models refused it: only raw SQL can still write it.
        conn.execute("UPDATE billing_accounts SET tax_id = '12-3456789' WHERE org_id = %s", [org])
    platform = logins.create("warp_platform")
    with (
        psycopg.connect(url_as(url, platform, logins.passwords[platform]), autocommit=True) as conn,
        pytest.raises(DecryptionError, match=r"billing_accounts\.tax_id .* is not an encrypted value"),
    ):
        rotate_encryption_keys(conn, keyring("k2", "k1"))
