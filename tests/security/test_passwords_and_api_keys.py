"""Argon2id password hashes and peppered API key hashes, and the stored forms the write shapes accept."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from uuid import UUID

import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr, ValidationError

from warp_models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyUpdate,
    BillingAccountCreate,
    BillingAccountUpdate,
    User,
    UserCreate,
    UserUpdate,
)
from warp_models._base import Create, Update
from warp_models.types import API_KEY_HASH_PATTERN, ARGON2ID_HASH_PATTERN, CIPHERTEXT_MIN_PAYLOAD, CIPHERTEXT_PATTERN
from warp_repo.secrets import (
    MFA_SECRET,
    TAX_ID,
    ApiKeyVerdict,
    Keyring,
    UnknownKeyId,
    api_key_lookup_hashes,
    api_key_org,
    generate_key_entry,
    hash_password,
    issue_api_key,
    verify_api_key,
    verify_password,
)
from warp_repo.testing import TEST_PASSWORD, Factories

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def peppers(*ids: str) -> Keyring:
    return Keyring.parse("\n".join(generate_key_entry(i) for i in ids), source="test peppers", min_size=32)


def test_password_hashes_are_argon2id_with_the_owasp_parameters() -> None:
    stored = hash_password("correct horse battery staple").get_secret_value()
    assert re.fullmatch(r"\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}", stored)
    assert hash_password("correct horse battery staple").get_secret_value() != stored  # a fresh salt each time
    assert "correct horse" not in repr(hash_password("correct horse battery staple"))


def test_the_right_password_verifies_and_a_wrong_one_does_not() -> None:
    stored = hash_password("s3cret-Passw0rd")
    assert verify_password(stored, "s3cret-Passw0rd").valid
    assert verify_password(stored, "s3cret-Passw0rd").new_hash is None  # already current
    assert not verify_password(stored, "s3cret-passw0rd").valid
    assert not verify_password(stored, "").valid
    assert not verify_password("not a hash", "s3cret-Passw0rd").valid
    assert not verify_password(stored, "x" * 5000).valid


def test_a_hash_with_older_parameters_is_renewed_on_login() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=2).hash("hunter2-hunter2")
    check = verify_password(old, "hunter2-hunter2")
    assert check.valid
    assert check.new_hash is not None
    renewed = check.new_hash.get_secret_value()
    assert "m=19456,t=2,p=1" in renewed
    assert verify_password(renewed, "hunter2-hunter2").valid
    assert verify_password(renewed, "hunter2-hunter2").new_hash is None
    assert verify_password(old, "wrong").new_hash is None  # no rehash without a valid password


def test_overlong_passwords_are_refused() -> None:
    with pytest.raises(ValueError, match="1024"):
        hash_password("x" * 1025)


def key_row(org: UUID, key_hash: SecretStr, **changes: Any) -> ApiKey:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "org_id": org,
        "user_id": None,
        "key_hash": key_hash,
        "name": "ci",
        "permissions": None,
        "rate_limit": None,
        "last_used": None,
        "expires_at": None,
        "status": "active",
        "created_at": None,
    }
    return ApiKey(**(values | changes))


def test_an_issued_key_is_a_prefixed_random_token_stored_only_as_a_peppered_hash() -> None:
    org = uuid.uuid4()
    keys = peppers("p1")
    issued = issue_api_key(org, keys)
    token = issued.token.get_secret_value()
    assert re.fullmatch(rf"warp_{org.hex}_[A-Za-z0-9_-]{{43}}", token)
    assert re.fullmatch(r"hs256:p1:[0-9a-f]{64}", issued.key_hash.get_secret_value())
    assert token.rsplit("_", 1)[-1] not in issued.key_hash.get_secret_value()
    assert issue_api_key(org, keys).token != issued.token
    assert api_key_org(token) == org
    assert api_key_lookup_hashes(token, keys) == [issued.key_hash.get_secret_value()]
    assert "warp_" not in repr(issued)


def test_verification_checks_the_hash_the_status_and_the_expiry() -> None:
    org = uuid.uuid4()
    keys = peppers("p1")
    issued = issue_api_key(org, keys)
    token = issued.token.get_secret_value()
    row = key_row(org, issued.key_hash)

    assert verify_api_key(token, row, keys, now=NOW).verdict is ApiKeyVerdict.VALID
    assert verify_api_key(issued.token, row, keys, now=NOW).ok
    other = issue_api_key(org, keys).token.get_secret_value()
    assert verify_api_key(other, row, keys, now=NOW).verdict is ApiKeyVerdict.WRONG_KEY
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert verify_api_key(flipped, row, keys, now=NOW).verdict is ApiKeyVerdict.WRONG_KEY
    elsewhere = token.replace(org.hex, uuid.uuid4().hex)
    assert verify_api_key(elsewhere, row, keys, now=NOW).verdict is ApiKeyVerdict.WRONG_KEY
    assert verify_api_key("sk_live_123", row, keys, now=NOW).verdict is ApiKeyVerdict.MALFORMED

    revoked = key_row(org, issued.key_hash, status="revoked")
    assert verify_api_key(token, revoked, keys, now=NOW).verdict is ApiKeyVerdict.REVOKED
    marked = key_row(org, issued.key_hash, status="expired")
    assert verify_api_key(token, marked, keys, now=NOW).verdict is ApiKeyVerdict.EXPIRED
    lapsed = key_row(org, issued.key_hash, expires_at=NOW - dt.timedelta(seconds=1))
    assert verify_api_key(token, lapsed, keys, now=NOW).verdict is ApiKeyVerdict.EXPIRED
    assert verify_api_key(token, lapsed, keys, now=NOW - dt.timedelta(hours=1)).ok
    assert verify_api_key(token, key_row(org, issued.key_hash, expires_at=NOW), keys, now=NOW).verdict is (
        ApiKeyVerdict.EXPIRED
    )


def test_a_key_hashed_under_an_older_pepper_still_works_and_is_rehashed() -> None:
    org = uuid.uuid4()
    old = peppers("p1")
    issued = issue_api_key(org, old)
    both = Keyring((*peppers("p2").keys, *old.keys), source="rotated peppers")
    check = verify_api_key(issued.token, key_row(org, issued.key_hash), both, now=NOW)
    assert check.ok
    assert check.new_key_hash is not None
    assert check.new_key_hash.get_secret_value().startswith("hs256:p2:")
    only_new = Keyring(both.keys[:1], source="new pepper only")
    assert verify_api_key(issued.token, key_row(org, check.new_key_hash), only_new, now=NOW).ok
    assert api_key_lookup_hashes(issued.token, both)[1] == issued.key_hash.get_secret_value()
    with pytest.raises(UnknownKeyId, match="'p1'"):
        verify_api_key(issued.token, key_row(org, issued.key_hash), only_new, now=NOW)


# --- The write shapes take hashes and ciphertexts only ----------------------------------------------------------

ORG, USER_ID, ACCOUNT_ID = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
ENCRYPTION = Keyring.parse(generate_key_entry("k1"), source="test keys", key_sizes=(32,))
USER: dict[str, Any] = {"org_id": ORG, "email": "ops@example.com", "username": "ops"}


def test_what_the_helpers_make_is_in_the_declared_forms() -> None:
    stored = hash_password("correct horse battery staple").get_secret_value()
    assert re.fullmatch(ARGON2ID_HASH_PATTERN, stored)
    assert re.fullmatch(API_KEY_HASH_PATTERN, issue_api_key(ORG, peppers("p1")).key_hash.get_secret_value())
    for column in (MFA_SECRET, TAX_ID):
        empty = column.encrypt(ENCRYPTION, "", row_id=USER_ID, org_id=ORG).get_secret_value()
        match = re.fullmatch(CIPHERTEXT_PATTERN, empty)
        assert match is not None and len(match.group("payload")) == CIPHERTEXT_MIN_PAYLOAD, "the shortest one"


def test_the_write_shapes_take_what_the_helpers_make() -> None:
    password_hash = hash_password("correct horse battery staple")
    mfa = MFA_SECRET.encrypt(ENCRYPTION, "JBSWY3DPEHPK3PXP", row_id=USER_ID, org_id=ORG)
    issued = issue_api_key(ORG, peppers("p1"))
    tax = TAX_ID.encrypt(ENCRYPTION, "12-3456789", row_id=ACCOUNT_ID, org_id=ORG)

    user = UserCreate(id=USER_ID, **USER, password_hash=password_hash, mfa_enabled=True, mfa_secret=mfa)
    assert user.to_db()["password_hash"] == password_hash.get_secret_value()
    assert user.to_db()["mfa_secret"] == mfa.get_secret_value()
    key = ApiKeyCreate(org_id=ORG, key_hash=issued.key_hash, name="ci")
    assert key.to_db()["key_hash"] == issued.key_hash.get_secret_value()
    account = BillingAccountCreate(id=ACCOUNT_ID, org_id=ORG, tax_id=tax)
    assert account.to_db()["tax_id"] == tax.get_secret_value()
    assert UserUpdate(password_hash=password_hash, mfa_secret=mfa).given() == ("password_hash", "mfa_secret")
    assert ApiKeyUpdate(key_hash=issued.key_hash).given() == ("key_hash",)
    assert BillingAccountUpdate(tax_id=tax).given() == ("tax_id",)
    assert UserUpdate(mfa_secret=None).to_db() == {"mfa_secret": None}, "a nullable secret may be cleared"


def test_renewed_and_older_hashes_are_taken_too() -> None:
    older = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=2).hash("hunter2-hunter2")
    assert UserUpdate(password_hash=older).password_hash is not None  # type: ignore[arg-type]
    renewed = verify_password(older, "hunter2-hunter2").new_hash
    assert renewed is not None and UserUpdate(password_hash=renewed).password_hash == renewed
    org = uuid.uuid4()
    both = Keyring((*peppers("p2").keys, *peppers("p1").keys), source="rotated peppers")
    issued = issue_api_key(org, Keyring(both.keys[1:], source="old"))
    check = verify_api_key(issued.token, key_row(org, issued.key_hash), both, now=NOW)
    assert check.new_key_hash is not None and ApiKeyUpdate(key_hash=check.new_key_hash).key_hash is not None


def test_factory_users_hold_a_real_hash_of_the_test_password() -> None:
    user = Factories(seed=5).user.build()
    assert verify_password(user.password_hash, TEST_PASSWORD).valid
    assert not verify_password(user.password_hash, "another password").valid


A_HASH = hash_password("x")
ARGON2I = "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$" + "A" * 43  # Argon2i, not Argon2id
MFA_USER = USER | {"password_hash": A_HASH}
KEY = {"org_id": ORG, "name": "ci"}
ACCOUNT = {"org_id": ORG}
REFUSED: list[tuple[str, type[Create], type[Update], dict[str, Any], str, str]] = [
    ("a password", UserCreate, UserUpdate, USER, "password_hash", "correct horse battery staple"),
    ("an empty password", UserCreate, UserUpdate, USER, "password_hash", ""),
    (
        "an Argon2i hash",
        UserCreate,
        UserUpdate,
        USER,
        "password_hash",
        "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$" + "A" * 43,
    ),
    ("a bcrypt hash", UserCreate, UserUpdate, USER, "password_hash", "$2b$12$" + "a" * 53),
    ("a hash and a newline", UserCreate, UserUpdate, USER, "password_hash", f"{A_HASH.get_secret_value()}\n"),
    ("a placeholder", UserCreate, UserUpdate, USER, "password_hash", "$argon2id$x"),
    ("a TOTP secret", UserCreate, UserUpdate, MFA_USER, "mfa_secret", "JBSWY3DPEHPK3PXP"),
    ("a short envelope", UserCreate, UserUpdate, MFA_USER, "mfa_secret", "k1:AAAA"),
    ("a token", ApiKeyCreate, ApiKeyUpdate, KEY, "key_hash", f"warp_{ORG.hex}_{'A' * 43}"),
    ("a bare SHA-256", ApiKeyCreate, ApiKeyUpdate, KEY, "key_hash", "ab" * 32),
    ("upper-case hex", ApiKeyCreate, ApiKeyUpdate, KEY, "key_hash", f"hs256:p1:{'AB' * 32}"),
    ("a tax id", BillingAccountCreate, BillingAccountUpdate, ACCOUNT, "tax_id", "12-3456789"),
    ("a labelled tax id", BillingAccountCreate, BillingAccountUpdate, ACCOUNT, "tax_id", "EIN:123456789"),
]
HELPER = {
    "password_hash": "hash_password(password)",
    "mfa_secret": "MFA_SECRET.encrypt(",
    "key_hash": "issue_api_key(org_id, peppers).key_hash",
    "tax_id": "TAX_ID.encrypt(",
}


@pytest.mark.parametrize(("what", "create", "update", "others", "field", "value"), REFUSED, ids=[r[0] for r in REFUSED])
def test_the_write_shapes_refuse_a_secret_in_clear(
    what: str, create: type[Create], update: type[Update], others: dict[str, Any], field: str, value: str
) -> None:
    for shape, given in ((create, others | {field: value}), (update, {field: value})):
        with pytest.raises(ValidationError) as caught:
            shape.model_validate(given)
        errors = caught.value.errors()
        assert [e["loc"] for e in errors] == [(field,)]
        assert HELPER[field] in errors[0]["msg"], "the message names the helper to use"
        assert not value or value not in str(caught.value)
        with pytest.raises(ValidationError):
            shape.model_validate(given | {field: SecretStr(value)})  # wrapped or not


def test_rows_read_from_the_database_are_taken_as_stored() -> None:
    """A row written before the check (plaintext included) can still be read, found and rewritten; one built by
    hand is checked like a write."""
    legacy = {
        "id": USER_ID, **USER, "password_hash": "plaintext from 2019", "role": None, "status": None,
        "mfa_enabled": True, "mfa_secret": "JBSWY3DPEHPK3PXP", "last_login": None, "metadata": None,
        "created_at": None, "updated_at": None,
    }  # fmt: skip
    read = User.from_db(legacy)
    assert not verify_password(read.password_hash, "plaintext from 2019").valid, "and it opens nothing"
    with pytest.raises(ValidationError, match="hash_password"):
        User.model_validate(legacy)
