"""Secrets in test data: real hashes and ciphertexts, cheap to make, the same for the same seed.

The write shapes refuse anything but a hash or a ciphertext in a secret column, and test data is no exception:
a dump of a seeded database must look like a dump of a real one. So the factories write

* ``users.password_hash``: a real Argon2id hash of :data:`TEST_PASSWORD`, verifiable with
  ``warp_repo.secrets.verify_password``, made with the smallest parameters Argon2 allows (8 KiB, one pass):
  about 20 microseconds a row instead of 15 milliseconds, so a million users take seconds, not hours.
  ``verify_password`` accepts it and offers a rehash with the production parameters, as it would for any
  older hash. The salt comes from the factories' seeded generator, so the same seed gives the same hash.
* ``users.mfa_secret`` and ``billing_accounts.tax_id``: AES-256-GCM ciphertexts under
  :data:`TEST_ENCRYPTION_KEYS`, their nonces drawn from the seeded generator.
* ``api_keys.key_hash``: the peppered hash of a random token under :data:`TEST_API_KEY_PEPPERS`.

The test keys are public (derived from fixed text): whatever they protect is test data, never a secret.
"""

from __future__ import annotations

import hashlib
from typing import Final

from argon2 import Type
from argon2.low_level import hash_secret

from warp_repo.secrets import Keyring

__all__ = [
    "TEST_API_KEY_PEPPERS",
    "TEST_ARGON2_MEMORY_COST_KIB",
    "TEST_ARGON2_TIME_COST",
    "TEST_ENCRYPTION_KEYS",
    "TEST_PASSWORD",
    "cheap_password_hash",
]

TEST_PASSWORD: Final = "warp-test-password"  # noqa: S105 - the public password of generated users
"""The password every factory-made user's ``password_hash`` verifies."""

TEST_ARGON2_TIME_COST: Final = 1
TEST_ARGON2_MEMORY_COST_KIB: Final = 8
"""The smallest parameters Argon2id takes (8 KiB per lane, one lane, one pass): test data only."""


def _public_key(label: str) -> bytes:
    return hashlib.sha256(f"warp_repo.testing public test key: {label}".encode()).digest()


TEST_ENCRYPTION_KEYS: Final = Keyring(
    (("test", _public_key("encryption")),), source="warp_repo.testing.TEST_ENCRYPTION_KEYS (public)"
)
"""The column-encryption keyring of test data: one 32-byte key, id ``test``, that anyone can recompute."""

TEST_API_KEY_PEPPERS: Final = Keyring(
    (("test", _public_key("api key pepper")),), source="warp_repo.testing.TEST_API_KEY_PEPPERS (public)"
)
"""The API key peppers of test data: one 32-byte pepper, id ``test``, that anyone can recompute."""


def cheap_password_hash(salt: bytes, password: str = TEST_PASSWORD) -> str:
    """A real Argon2id PHC hash of ``password`` with the cheapest parameters, for test data only.

    Args:
        salt: 16 bytes (from a seeded generator, for reproducible rows).
        password: the password; :data:`TEST_PASSWORD` by default.

    Returns:
        ``$argon2id$v=19$m=8,t=1,p=1$<salt>$<hash>``, which ``warp_repo.secrets.verify_password`` accepts.
    """
    return hash_secret(
        password.encode("utf-8"),
        salt,
        time_cost=TEST_ARGON2_TIME_COST,
        memory_cost=TEST_ARGON2_MEMORY_COST_KIB,
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    ).decode("ascii")
