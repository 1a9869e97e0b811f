"""Argon2id password hashes and peppered API key hashes."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from uuid import UUID

import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr

from warp_models import ApiKey
from warp_repo.secrets import (
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
