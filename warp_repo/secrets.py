"""Secrets at rest: password hashes, API keys, encrypted columns, and the keys they depend on.

Four kinds of secret live in the WARP schema, and each is stored the way its nature asks for:

=======================  ==========================================================================================
``users.password_hash``  Argon2id (:func:`hash_password`, :func:`verify_password`): a password is low-entropy and
                         chosen by a person, so the hash must be slow and salted to resist guessing.
``api_keys.key_hash``    HMAC-SHA-256 under a server pepper (:func:`issue_api_key`, :func:`verify_api_key`): the
                         token is 256 random bits, so guessing is hopeless and a fast, deterministic hash is safe;
                         it lets the key be found by an index lookup and keeps every request cheap.
``users.mfa_secret``     AES-256-GCM (:data:`MFA_SECRET`): the server must read the TOTP secret back, so it is
``billing_accounts.``    encrypted, not hashed. The ciphertext names its key, and the associated data binds it to
``tax_id``               its table, column, row and organization (:data:`TAX_ID`; see its length note).
=======================  ==========================================================================================

Keys come from the environment or a file named by it (:meth:`Keyring.from_env`), never from the repository.

The stored forms are defined once, in ``warp_models.types`` (``ARGON2ID_HASH_PATTERN``, ``API_KEY_HASH_PATTERN``,
``CIPHERTEXT_PATTERN``): this module builds and parses them with those patterns, and the write shapes refuse any
other value in these columns, so plaintext never reaches them through the SDK. No message of this module shows a
secret, a hash, a ciphertext or a key; they name key ids, columns and rows.

Errors::

    WarpError
    └── SecretsError
        ├── KeyringError           the keys are missing or malformed (also a ConfigurationError)
        ├── DecryptionError        a ciphertext does not decrypt for this row, or is not one
        │   └── UnknownKeyId       it was written under a key the keyring no longer holds
        └── CiphertextTooLong      the ciphertext does not fit the column
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, LiteralString
from uuid import UUID

import psycopg
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import sql
from pydantic import SecretStr

from warp_models._base import TABLES
from warp_models._columns import Varchar
from warp_models.errors import ConfigurationError, WarpError
from warp_models.organizations import ApiKey
from warp_models.types import API_KEY_HASH_PATTERN, API_KEY_HASH_SCHEME, CIPHERTEXT_PATTERN, KEY_ID_PATTERN

__all__ = [
    "API_KEY_PEPPERS_VARIABLE",
    "API_KEY_PREFIX",
    "ARGON2_MEMORY_COST_KIB",
    "ARGON2_PARALLELISM",
    "ARGON2_TIME_COST",
    "ENCRYPTED_COLUMNS",
    "ENCRYPTION_KEYS_VARIABLE",
    "MAX_PASSWORD_LENGTH",
    "MFA_SECRET",
    "TAX_ID",
    "ApiKeyCheck",
    "ApiKeyVerdict",
    "CiphertextTooLong",
    "DecryptionError",
    "EncryptedColumn",
    "IssuedApiKey",
    "Keyring",
    "KeyringError",
    "PasswordCheck",
    "RotationReport",
    "SecretsError",
    "UnknownKeyId",
    "api_key_lookup_hashes",
    "api_key_org",
    "ciphertext_length",
    "generate_key_entry",
    "hash_password",
    "issue_api_key",
    "load_api_key_peppers",
    "load_encryption_keys",
    "rotate_encryption_keys",
    "verify_api_key",
    "verify_password",
]


class SecretsError(WarpError):
    """A secret cannot be stored, checked or read back."""


class KeyringError(SecretsError, ConfigurationError):
    """The keys are missing or malformed; the message names the variable or file, never a key."""


class DecryptionError(SecretsError):
    """A ciphertext does not decrypt: altered, written for another row, column or organization, or not one."""


class UnknownKeyId(DecryptionError):
    """A ciphertext (or API key hash) names a key id that the keyring no longer holds."""


class CiphertextTooLong(SecretsError):
    """A ciphertext is longer than its column allows."""


# --- Passwords ------------------------------------------------------------------------------------------------

ARGON2_TIME_COST: Final = 2
ARGON2_MEMORY_COST_KIB: Final = 19_456
ARGON2_PARALLELISM: Final = 1
MAX_PASSWORD_LENGTH: Final = 1024

_PASSWORDS = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_COST_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)


@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of :func:`verify_password`.

    Attributes:
        valid: the password matches the stored hash.
        new_hash: when valid and the stored hash was made with other parameters than today's, a fresh hash to
            store in its place (rehash on login); None otherwise.
    """

    valid: bool
    new_hash: SecretStr | None = None


def hash_password(password: str) -> SecretStr:
    """Hash a password with Argon2id, with a fresh random salt, for ``users.password_hash``.

    The parameters are the first configuration the OWASP Password Storage Cheat Sheet recommends for Argon2id:
    19 MiB of memory (``m=19456`` KiB), 2 iterations (``t=2``), 1 degree of parallelism (``p=1``); 16-byte salt,
    32-byte tag. The result is the PHC string (``$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>``, 97 characters),
    which records its own parameters, so that raising them later only makes :func:`verify_password` ask for a
    rehash of old entries.

    Args:
        password: the password as typed.

    Returns:
        The hash, as a ``SecretStr`` (it never appears in a repr or a log).

    Raises:
        ValueError: the password is longer than 1024 characters (refused rather than hashed at length).
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"passwords longer than {MAX_PASSWORD_LENGTH} characters are refused")
    return SecretStr(_PASSWORDS.hash(password))


def verify_password(stored_hash: SecretStr | str, password: str) -> PasswordCheck:
    """Check a password against a stored Argon2 hash, and say whether the hash should be renewed.

    A malformed stored hash verifies nothing (the account cannot sign in) instead of raising, so a damaged row
    cannot turn a sign-in into a server error.

    Args:
        stored_hash: ``users.password_hash``.
        password: the password as typed.

    Returns:
        ``valid`` and, when the stored hash used weaker or other parameters, ``new_hash`` to store.
    """
    encoded = stored_hash.get_secret_value() if isinstance(stored_hash, SecretStr) else stored_hash
    if len(password) > MAX_PASSWORD_LENGTH:
        return PasswordCheck(valid=False)
    try:
        _PASSWORDS.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return PasswordCheck(valid=False)
    if _PASSWORDS.check_needs_rehash(encoded):
        return PasswordCheck(valid=True, new_hash=SecretStr(_PASSWORDS.hash(password)))
    return PasswordCheck(valid=True)


# --- Keyring --------------------------------------------------------------------------------------------------

_KEY_ID = re.compile(KEY_ID_PATTERN)


@dataclass(frozen=True)
class Keyring:
    """Named secret keys; the first is the current one, the others are kept to read what they wrote.

    Attributes:
        keys: ``(key id, key bytes)`` pairs, current first. Key ids are 1-16 letters or digits.
        source: where the keys came from (a variable or file name), for messages.
    """

    keys: tuple[tuple[str, bytes], ...]
    source: str = "keyring"
    _by_id: dict[str, bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyringError(f"{self.source} holds no key")
        by_id: dict[str, bytes] = {}
        for kid, key in self.keys:
            if not _KEY_ID.fullmatch(kid):
                raise KeyringError(f"{self.source}: key id {kid!r} is not 1-16 letters or digits")
            if kid in by_id:
                raise KeyringError(f"{self.source}: key id {kid!r} appears twice")
            by_id[kid] = key
        object.__setattr__(self, "_by_id", by_id)

    def __repr__(self) -> str:
        return f"Keyring(ids={self.ids!r}, source={self.source!r})"

    @property
    def ids(self) -> tuple[str, ...]:
        """The key ids, current first."""
        return tuple(kid for kid, _ in self.keys)

    @property
    def current_id(self) -> str:
        """The id of the key new secrets are written with."""
        return self.keys[0][0]

    def key(self, kid: str) -> bytes:
        """The key named ``kid``.

        Raises:
            UnknownKeyId: the keyring does not hold it.
        """
        try:
            return self._by_id[kid]
        except KeyError:
            raise UnknownKeyId(
                f"key id {kid!r} is not in {self.source} (it holds {', '.join(self.ids)}): a secret written under "
                f"it cannot be read. Put the key back (after the current one) until `warp-db rotate-keys` has "
                "re-encrypted everything it wrote; a key removed too early means its data is lost."
            ) from None

    @classmethod
    def parse(cls, text: str, *, source: str, key_sizes: Iterable[int] | None = None, min_size: int = 0) -> Keyring:
        """Read ``kid:base64key`` entries separated by commas or new lines (``#`` starts a comment).

        Args:
            text: the entries, current key first.
            source: where they came from, for messages (never the keys themselves).
            key_sizes: the key lengths in bytes that are accepted, any when None.
            min_size: the shortest key accepted, in bytes.

        Raises:
            KeyringError: an entry is malformed, a key has the wrong length, or there is none.
        """
        sizes = set(key_sizes) if key_sizes is not None else None
        keys: list[tuple[str, bytes]] = []
        for line in text.splitlines():
            for entry in line.split("#", 1)[0].split(","):
                entry = entry.strip()
                if not entry:
                    continue
                kid, sep, encoded = entry.partition(":")
                if not sep:
                    raise KeyringError(f"{source}: an entry is not 'kid:base64key' (a key without its id?)")
                key = _b64decode(encoded.strip(), f"{source}: the key of id {kid.strip()!r}")
                if (sizes is not None and len(key) not in sizes) or len(key) < min_size:
                    wanted = " or ".join(str(s) for s in sorted(sizes)) if sizes else f"at least {min_size}"
                    raise KeyringError(
                        f"{source}: the key of id {kid.strip()!r} is {len(key)} bytes; it must be {wanted} bytes "
                        f"(generate one with: python -c 'from warp_repo.secrets import generate_key_entry; "
                        f'print(generate_key_entry("k1"))\')'
                    )
                keys.append((kid.strip(), key))
        return cls(tuple(keys), source=source)

    @classmethod
    def from_env(
        cls,
        variable: str,
        *,
        environ: Mapping[str, str] | None = None,
        key_sizes: Iterable[int] | None = None,
        min_size: int = 0,
    ) -> Keyring:
        """Load keys from ``$variable``, or from the file named by ``${variable}_FILE`` (one of the two).

        Args:
            variable: e.g. ``WARP_ENCRYPTION_KEYS``.
            environ: the environment (``os.environ`` when None).
            key_sizes: accepted key lengths in bytes, any when None.
            min_size: the shortest key accepted, in bytes.

        Raises:
            KeyringError: neither or both are set, the file cannot be read or is not UTF-8 (the message names
                it), or an entry is malformed.
        """
        env = os.environ if environ is None else environ
        file_variable = f"{variable}_FILE"
        inline, path = env.get(variable, ""), env.get(file_variable, "")
        if inline and path:
            raise KeyringError(f"both {variable} and {file_variable} are set; keep one")
        if path:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                # Not chained: the decode error carries the file's bytes, which are the keys.
                raise KeyringError(
                    f"{file_variable}={path}: the key file is not UTF-8 text (byte {exc.start}); write it as "
                    "'kid:base64key' lines"
                ) from None
            except OSError as exc:
                raise KeyringError(
                    f"{file_variable}={path}: cannot read the key file ({exc.strerror or exc}); it must be a file "
                    "this user can read"
                ) from exc
            return cls.parse(text, source=f"{file_variable} ({path})", key_sizes=key_sizes, min_size=min_size)
        if inline:
            return cls.parse(inline, source=variable, key_sizes=key_sizes, min_size=min_size)
        raise KeyringError(
            f"no keys: set {variable}='k1:<base64 key>' (current key first, older ones after it) or {file_variable} "
            "to a file holding the same; keys are secrets of the deployment and never live in the repository"
        )


def _b64decode(encoded: str, what: str) -> bytes:
    padded = encoded.replace("-", "+").replace("_", "/") + "=" * (-len(encoded) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{what} is not base64") from None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_key_entry(kid: str, size: int = 32) -> str:
    """A new ``kid:base64key`` entry with ``size`` random bytes, for a keyring variable or file."""
    if not _KEY_ID.fullmatch(kid):
        raise ValueError(f"key id {kid!r} is not 1-16 letters or digits")
    return f"{kid}:{base64.b64encode(secrets.token_bytes(size)).decode('ascii')}"


ENCRYPTION_KEYS_VARIABLE: Final = "WARP_ENCRYPTION_KEYS"
API_KEY_PEPPERS_VARIABLE: Final = "WARP_API_KEY_PEPPERS"


def load_encryption_keys(environ: Mapping[str, str] | None = None) -> Keyring:
    """The column-encryption keys: ``WARP_ENCRYPTION_KEYS`` or ``WARP_ENCRYPTION_KEYS_FILE``, 32-byte keys.

    Raises:
        KeyringError: missing or malformed.
    """
    return Keyring.from_env(ENCRYPTION_KEYS_VARIABLE, environ=environ, key_sizes=(32,))


def load_api_key_peppers(environ: Mapping[str, str] | None = None) -> Keyring:
    """The API key peppers: ``WARP_API_KEY_PEPPERS`` or ``WARP_API_KEY_PEPPERS_FILE``, keys of 32 bytes or more.

    Raises:
        KeyringError: missing or malformed.
    """
    return Keyring.from_env(API_KEY_PEPPERS_VARIABLE, environ=environ, min_size=32)


# --- API keys -------------------------------------------------------------------------------------------------

API_KEY_PREFIX: Final = "warp"
_TOKEN = re.compile(rf"^{API_KEY_PREFIX}_(?P<org>[0-9a-f]{{32}})_(?P<secret>[A-Za-z0-9_-]{{43}})$")
_KEY_HASH = re.compile(API_KEY_HASH_PATTERN)  # the form warp_models.types.ApiKeyHash checks on every write


@dataclass(frozen=True)
class IssuedApiKey:
    """A new API key: the token to show its owner once, and what to store.

    Attributes:
        token: ``warp_<org id, 32 hex>_<43 random url-safe characters>``. Shown once, never stored: only
            ``key_hash`` goes to the database, so a lost token is replaced, not recovered.
        key_hash: the value for ``api_keys.key_hash``.
        org_id: the organization the key belongs to (also readable from the token).
    """

    token: SecretStr
    key_hash: SecretStr
    org_id: UUID


class ApiKeyVerdict(StrEnum):
    """Why :func:`verify_api_key` accepted or refused a token (callers answer every refusal the same way)."""

    VALID = "valid"
    MALFORMED = "malformed"
    WRONG_KEY = "wrong_key"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ApiKeyCheck:
    """The outcome of :func:`verify_api_key`.

    Attributes:
        verdict: valid, or why not.
        new_key_hash: when valid and hashed under an older pepper, the hash under the current one, to store.
    """

    verdict: ApiKeyVerdict
    new_key_hash: SecretStr | None = None

    @property
    def ok(self) -> bool:
        """The token is accepted."""
        return self.verdict is ApiKeyVerdict.VALID


def _key_digest(token: str, pepper: bytes) -> str:
    return hmac.new(pepper, token.encode("ascii"), hashlib.sha256).hexdigest()


def _key_hash(token: str, peppers: Keyring, kid: str) -> str:
    return f"{API_KEY_HASH_SCHEME}:{kid}:{_key_digest(token, peppers.key(kid))}"


def issue_api_key(org_id: UUID, peppers: Keyring) -> IssuedApiKey:
    """Make a new API key for ``org_id``.

    The token carries 256 random bits (``secrets.token_urlsafe(32)``) after a recognizable prefix, which lets
    secret scanners find leaked keys, and the organization's id, which lets the service set the tenant context
    before it looks the key up, so that even authentication runs under row-level security. What is stored is
    ``HMAC-SHA-256(pepper, token)``: with this much entropy a slow password hash would add cost to every request
    and no protection, while the pepper, which lives outside the database, makes a stolen dump useless even to
    check a guess.

    Args:
        org_id: the organization.
        peppers: the API key peppers (:func:`load_api_key_peppers`); the current one is used.

    Returns:
        The token (show it once) and the hash (store it in ``api_keys.key_hash``).
    """
    token = f"{API_KEY_PREFIX}_{org_id.hex}_{secrets.token_urlsafe(32)}"
    return IssuedApiKey(
        token=SecretStr(token), key_hash=SecretStr(_key_hash(token, peppers, peppers.current_id)), org_id=org_id
    )


def _token_text(token: SecretStr | str) -> str:
    return token.get_secret_value() if isinstance(token, SecretStr) else token


def api_key_org(token: SecretStr | str) -> UUID | None:
    """The organization an API key token names, or None when it is not a WARP API key."""
    match = _TOKEN.fullmatch(_token_text(token))
    return UUID(hex=match.group("org")) if match else None


def api_key_lookup_hashes(token: SecretStr | str, peppers: Keyring) -> list[str]:
    """The ``key_hash`` values the token would have under each pepper, current first (empty when malformed).

    Look the key up with ``WHERE key_hash = ANY(%s)`` in a transaction whose tenant is :func:`api_key_org`, then
    pass the row to :func:`verify_api_key`.
    """
    text = _token_text(token)
    if _TOKEN.fullmatch(text) is None:
        return []
    return [_key_hash(text, peppers, kid) for kid in peppers.ids]


def verify_api_key(
    token: SecretStr | str, row: ApiKey, peppers: Keyring, *, now: dt.datetime | None = None
) -> ApiKeyCheck:
    """Check a presented token against its ``api_keys`` row: hash (in constant time), status, expiry.

    Args:
        token: the token as presented.
        row: the stored key.
        peppers: the API key peppers.
        now: the time to judge expiry by (aware; the current time when None).

    Returns:
        The verdict; a key accepted under an older pepper also comes with its hash under the current one.

    Raises:
        UnknownKeyId: the stored hash was made with a pepper the keyring no longer holds.
    """
    text = _token_text(token)
    match = _TOKEN.fullmatch(text)
    stored = _KEY_HASH.fullmatch(row.key_hash.get_secret_value())
    if match is None or stored is None:
        return ApiKeyCheck(ApiKeyVerdict.MALFORMED)
    expected = _key_digest(text, peppers.key(stored.group("kid")))
    if not hmac.compare_digest(expected.encode("ascii"), stored.group("digest").encode("ascii")):
        return ApiKeyCheck(ApiKeyVerdict.WRONG_KEY)
    if UUID(hex=match.group("org")) != row.org_id:
        return ApiKeyCheck(ApiKeyVerdict.WRONG_KEY)  # cannot happen with a matching hash; checked all the same
    if row.status == "expired":
        return ApiKeyCheck(ApiKeyVerdict.EXPIRED)
    if row.status != "active":
        return ApiKeyCheck(ApiKeyVerdict.REVOKED)  # "revoked", and NULL: only an active key opens anything
    moment = now or dt.datetime.now(dt.UTC)
    if row.expires_at is not None and row.expires_at <= moment:
        return ApiKeyCheck(ApiKeyVerdict.EXPIRED)
    if stored.group("kid") != peppers.current_id:
        return ApiKeyCheck(ApiKeyVerdict.VALID, SecretStr(_key_hash(text, peppers, peppers.current_id)))
    return ApiKeyCheck(ApiKeyVerdict.VALID)


# --- Column encryption ----------------------------------------------------------------------------------------

_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
_CIPHERTEXT = re.compile(CIPHERTEXT_PATTERN)  # the form warp_models.types.EncryptedMfaSecret/TaxId check


def ciphertext_length(plaintext_bytes: int, key_id: str) -> int:
    """The length of a stored ciphertext: ``<key id>:<base64url, no padding, of nonce + ciphertext + tag>``."""
    raw = _NONCE_BYTES + plaintext_bytes + _TAG_BYTES
    return len(key_id) + 1 + (raw * 4 + 2) // 3


@dataclass(frozen=True)
class EncryptedColumn:
    """A column whose values are stored AES-256-GCM encrypted.

    Stored form: ``<key id>:<base64url(nonce || ciphertext || tag)>`` without padding, a fresh random 96-bit
    nonce per value. The associated data is ``warp:v1:<key id>:<table>:<column>:<row id>:<org id>``: it is not
    stored, it is recomputed from the row, so a ciphertext copied into another row, column or organization (or
    a row whose ``org_id`` changed) fails to decrypt instead of yielding someone else's secret.

    Attributes:
        table: the table.
        column: the column; the models declare it ``SecretStr`` with a VARCHAR limit.
    """

    table: str
    column: str

    @property
    def max_length(self) -> int | None:
        """The column's VARCHAR limit, as the model declares it."""
        sql_type = TABLES[self.table].column(self.column).sql_type
        return sql_type.length if isinstance(sql_type, Varchar) else None

    @property
    def qualified(self) -> str:
        """``table.column``."""
        return f"{self.table}.{self.column}"

    def _aad(self, kid: str, row_id: UUID, org_id: UUID) -> bytes:
        return f"warp:v1:{kid}:{self.table}:{self.column}:{row_id}:{org_id}".encode("ascii")

    def encrypt(
        self,
        keyring: Keyring,
        plaintext: SecretStr | str,
        *,
        row_id: UUID,
        org_id: UUID,
        nonce_source: Callable[[int], bytes] = secrets.token_bytes,
    ) -> SecretStr:
        """Encrypt a value for this column of row ``row_id`` of organization ``org_id``, under the current key.

        The row's id must be known before the insert: generate it (``uuid.uuid4()``) and pass it as ``id``.

        Args:
            keyring: the encryption keys (:func:`load_encryption_keys`); the current one is used.
            plaintext: the value to protect.
            row_id: the row's ``id``.
            org_id: the row's ``org_id``.
            nonce_source: where the 12-byte nonce comes from. Leave it: only reproducible test data (the
                factories of ``warp_repo.testing``, under their public test key) passes a seeded generator,
                because a nonce used twice under one key gives AES-GCM's protection away.

        Returns:
            The stored form, ``<key id>:<base64url>``, for the column (``UserCreate(mfa_secret=...)``).

        Raises:
            CiphertextTooLong: the ciphertext exceeds the column's VARCHAR limit.
        """
        data = _token_text(plaintext).encode("utf-8")
        kid = keyring.current_id
        nonce = nonce_source(_NONCE_BYTES)
        if len(nonce) != _NONCE_BYTES:
            raise ValueError(f"nonce_source gave {len(nonce)} bytes; AES-GCM takes a {_NONCE_BYTES}-byte nonce")
        sealed = AESGCM(keyring.key(kid)).encrypt(nonce, data, self._aad(kid, row_id, org_id))
        stored = f"{kid}:{_b64url(nonce + sealed)}"
        limit = self.max_length
        if limit is not None and len(stored) > limit:
            raise CiphertextTooLong(
                f"{self.qualified} holds at most {limit} characters, and the encrypted value takes {len(stored)} "
                f"(key id, nonce and tag add {len(stored) - len(data)} to {len(data)} bytes of plaintext); the "
                "column must be widened to store encrypted values (docs/security.md, 'Column sizes')"
            )
        return SecretStr(stored)

    def decrypt(self, keyring: Keyring, ciphertext: SecretStr | str, *, row_id: UUID, org_id: UUID) -> SecretStr:
        """Decrypt a value of this column of row ``row_id`` of organization ``org_id``.

        Raises:
            UnknownKeyId: it was written under a key the keyring no longer holds.
            DecryptionError: it is not a ciphertext, was altered, or belongs to another row, column or
                organization.
        """
        kid, payload = self.split(ciphertext, row_id)
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError(f"{self.qualified} of row {row_id}: the ciphertext is too short to be one")
        key = keyring.key(kid)
        try:
            data = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self._aad(kid, row_id, org_id))
        except InvalidTag:
            raise DecryptionError(
                f"{self.qualified} of row {row_id} (organization {org_id}) does not decrypt: the value was written "
                "for another row, column or organization, or altered"
            ) from None
        return SecretStr(data.decode("utf-8"))

    def split(self, ciphertext: SecretStr | str, row_id: UUID | None = None) -> tuple[str, str]:
        """The key id and the payload of a stored value.

        Raises:
            DecryptionError: the value is not in the stored form (e.g. plaintext left over from before).
        """
        match = _CIPHERTEXT.fullmatch(_token_text(ciphertext))
        if match is None:
            where = f" of row {row_id}" if row_id is not None else ""
            raise DecryptionError(
                f"{self.qualified}{where} is not an encrypted value ('<key id>:<base64url>'); plaintext must be "
                "encrypted before it is stored"
            )
        return match.group("kid"), match.group("payload")


MFA_SECRET: Final = EncryptedColumn("users", "mfa_secret")
"""``users.mfa_secret``: the TOTP secret (VARCHAR(255): up to 161 bytes of plaintext with a 2-character key id)."""

TAX_ID: Final = EncryptedColumn("billing_accounts", "tax_id")
"""``billing_accounts.tax_id``: widened to VARCHAR(255) by migration ``20261122_012`` because the seed's VARCHAR(50)
held at most 7 bytes of plaintext once encrypted; now up to 161 bytes, like ``mfa_secret``."""

ENCRYPTED_COLUMNS: Final = (MFA_SECRET, TAX_ID)


# --- Key rotation ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationReport:
    """What :func:`rotate_encryption_keys` did.

    Attributes:
        key_id: the key every value is now written under.
        rotated: how many values were re-encrypted, by ``table.column``.
        batches: how many transactions were committed.
    """

    key_id: str
    rotated: dict[str, int]
    batches: int

    @property
    def total(self) -> int:
        """Values re-encrypted in all."""
        return sum(self.rotated.values())


_REACH: LiteralString = (
    "SELECT r.rolsuper OR r.rolbypassrls"
    " OR pg_has_role(current_user, coalesce(nullif(current_setting('warp.role_platform', true), ''), 'warp_platform'),"
    " 'MEMBER')"
    " OR pg_has_role(current_user, coalesce(nullif(current_setting('warp.role_owner', true), ''), 'warp_owner'),"
    " 'MEMBER')"
    " FROM pg_roles r WHERE r.rolname = current_user"
)


def _check_reach(conn: psycopg.Connection[Any]) -> None:
    try:
        with conn.transaction():
            found = conn.execute(_REACH).fetchone()
    except psycopg.errors.UndefinedObject as exc:
        raise ConfigurationError(
            "the platform and owner roles do not exist: apply the migrations before rotating keys"
        ) from exc
    if not found or not found[0]:
        raise ConfigurationError(
            "key rotation must see every organization's rows: connect as a login that is a member of the platform "
            "role (warp_platform) or of the owner role; under row-level security any other role would re-encrypt "
            "one tenant's rows at most and report success"
        )


def rotate_encryption_keys(
    conn: psycopg.Connection[Any],
    keyring: Keyring,
    *,
    batch_size: int = 500,
    columns: Sequence[EncryptedColumn] = ENCRYPTED_COLUMNS,
) -> RotationReport:
    """Re-encrypt every value written under an older key id with the keyring's current key.

    Each batch is one transaction: it takes the platform reach (``set_config('warp.platform', 'on', true)``),
    locks up to ``batch_size`` rows still under another key (``FOR UPDATE``), decrypts and re-encrypts them in
    Python and writes them back, then commits. A crash or an error (a value that does not decrypt) loses no data:
    committed batches are done, the failing one is rolled back, and running again continues from there. Remove
    an old key from the keyring only after a run that reports nothing left.

    Args:
        conn: a connection as a login with the platform reach (a member of ``warp_platform`` or the owner role),
            not inside a transaction.
        keyring: the encryption keys, the new one first and the old ones after it.
        batch_size: rows per transaction.
        columns: the encrypted columns to rotate.

    Returns:
        The counts per column.

    Raises:
        ConfigurationError: the connection is inside a transaction, or cannot see every organization's rows.
        DecryptionError: a value does not decrypt (its row is named; the batch is rolled back).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        raise ConfigurationError(
            "rotate_encryption_keys commits batch by batch: pass a connection outside a transaction"
        )
    _check_reach(conn)
    current = keyring.current_id
    rotated: dict[str, int] = {}
    batches = 0
    for column in columns:
        select = sql.SQL(
            "SELECT id, org_id, {col} FROM {table} WHERE {col} IS NOT NULL AND split_part({col}, ':', 1) <> %s "
            "ORDER BY id LIMIT %s FOR UPDATE"
        ).format(col=sql.Identifier(column.column), table=sql.Identifier(column.table))
        update = sql.SQL("UPDATE {table} SET {col} = %s WHERE id = %s").format(
            col=sql.Identifier(column.column), table=sql.Identifier(column.table)
        )
        count = 0
        while True:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT set_config('warp.platform', 'on', true)")
                rows = cur.execute(select, (current, batch_size)).fetchall()
                if not rows:
                    break
                values = [
                    (
                        column.encrypt(
                            keyring,
                            column.decrypt(keyring, stored, row_id=row_id, org_id=org_id),
                            row_id=row_id,
                            org_id=org_id,
                        ).get_secret_value(),
                        row_id,
                    )
                    for row_id, org_id, stored in rows
                ]
                cur.executemany(update, values)
            count += len(rows)
            batches += 1
        rotated[column.qualified] = count
    return RotationReport(key_id=current, rotated=rotated, batches=batches)
