"""No secret is ever echoed: not by a validation error, a database error, a cache error, nor a log line.

Each secret column is fed a recognizable value, in clear (what a careless caller might pass) and in its stored form
(a hash or a ciphertext is sensitive too: it is what an offline attack starts from), through every failing path a
caller can reach. The value must appear in neither ``str()`` nor ``repr()`` of the error, of anything in its
``__cause__``/``__context__`` chain, nor of the printed traceback, nor in the captured logs.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from pydantic import BaseModel, ValidationError

from tests.conftest import DatabaseFactory
from warp_models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyUpdate,
    BillingAccount,
    BillingAccountCreate,
    BillingAccountUpdate,
    OrganizationCreate,
    User,
    UserCreate,
    UserUpdate,
)
from warp_models._base import Create, Row, Update
from warp_repo.cache import ApiKeyCache, CacheKeys, CacheUnavailable, connect
from warp_repo.errors import Conflict
from warp_repo.repos import ApiKeyRepo, BillingAccountRepo, OrganizationRepo, UserRepo
from warp_repo.secrets import (
    MFA_SECRET,
    TAX_ID,
    Keyring,
    generate_key_entry,
    hash_password,
    issue_api_key,
)

from .conftest import Logins, migrate_all

KEYS = Keyring.parse(generate_key_entry("k1"), source="leak test keys", key_sizes=(32,))
PEPPERS = Keyring.parse(generate_key_entry("p1"), source="leak test peppers", min_size=32)
ORG, USER, ACCOUNT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

PASSWORD = "Plain-Quokka-Password-4417"
TOTP = "JBSWY3DPQUOKKAPXPJBSWY3DP"
TAX = "98-7654321"
ISSUED = issue_api_key(ORG, PEPPERS)
TOKEN = ISSUED.token.get_secret_value()
PASSWORD_HASH = hash_password(PASSWORD).get_secret_value()
KEY_HASH = ISSUED.key_hash.get_secret_value()
MFA_CIPHERTEXT = MFA_SECRET.encrypt(KEYS, TOTP, row_id=USER, org_id=ORG).get_secret_value()
TAX_CIPHERTEXT = TAX_ID.encrypt(KEYS, TAX, row_id=ACCOUNT, org_id=ORG).get_secret_value()


@dataclass(frozen=True)
class Secret:
    """A secret column, a value in clear and one in its stored form, and the shapes that take it.

    Attributes:
        column: ``table.column``.
        plain: what a caller must never store (a password, a token, a TOTP secret, a tax id).
        stored: what ``warp_repo.secrets`` makes of it.
        private: the part of ``stored`` that is secret (its format prefix is public and named in messages).
        create: the create shape.
        update: the update shape.
        row: the row model.
        required: the other fields of a valid create.
        drop: a required field to leave out.
        not_null: a NOT NULL column an update may not set to ``None``.
    """

    column: str
    plain: str
    stored: str
    private: str
    create: type[Create]
    update: type[Update]
    row: type[Row]
    required: dict[str, Any]
    drop: str
    not_null: str

    @property
    def field(self) -> str:
        return self.column.split(".")[1]

    def too_long(self) -> str:
        """A value over the column's 255 characters, in the stored form where the form allows any length."""
        return self.plain * 20 if self.field == "key_hash" else self.stored + "A" * 300


USER_FIELDS: dict[str, Any] = {"org_id": ORG, "email": "ops@example.com", "username": "ops"}
SECRETS = [
    Secret(
        "users.password_hash",
        PASSWORD,
        PASSWORD_HASH,
        PASSWORD_HASH.split("$", 4)[4],
        UserCreate,
        UserUpdate,
        User,
        USER_FIELDS,
        "username",
        "email",
    ),
    Secret(
        "users.mfa_secret",
        TOTP,
        MFA_CIPHERTEXT,
        MFA_CIPHERTEXT.split(":", 1)[1],
        UserCreate,
        UserUpdate,
        User,
        USER_FIELDS | {"id": USER, "password_hash": PASSWORD_HASH},
        "username",
        "email",
    ),
    Secret(
        "api_keys.key_hash",
        TOKEN,
        KEY_HASH,
        KEY_HASH.rsplit(":", 1)[1],
        ApiKeyCreate,
        ApiKeyUpdate,
        ApiKey,
        {"org_id": ORG, "name": "ci"},
        "name",
        "name",
    ),
    Secret(
        "billing_accounts.tax_id",
        TAX,
        TAX_CIPHERTEXT,
        TAX_CIPHERTEXT.split(":", 1)[1],
        BillingAccountCreate,
        BillingAccountUpdate,
        BillingAccount,
        {"id": ACCOUNT, "org_id": ORG},
        "org_id",
        "org_id",
    ),
]
EVERY_SECRET = [s for secret in SECRETS for s in (secret.plain, secret.private)] + [TOKEN.rsplit("_", 1)[1]]


def windows(secret: str, width: int = 10) -> set[str]:
    """Every ``width``-character piece of ``secret``: a message that truncates a value still shows pieces."""
    return {secret[i : i + width] for i in range(max(1, len(secret) - width + 1))}


def texts_of(exc: BaseException) -> list[str]:
    """``str()`` and ``repr()`` of the error and of everything chained to it, and the printed traceback."""
    texts, seen, pending = [], set(), [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current)]
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return [*texts, "".join(traceback.format_exception(exc))]


def assert_hidden(exc: BaseException, *secrets: str) -> None:
    """None of ``secrets``, nor a 10-character piece of one, is in any text of ``exc``."""
    for text in texts_of(exc):
        for secret in secrets:
            shown = [piece for piece in windows(secret) if piece in text]
            assert not shown, f"{type(exc).__name__} shows {shown[0]!r} of a secret:\n{text}"


def failure(call: Callable[[], object], kind: type[BaseException] = Exception) -> BaseException:
    """The error ``call`` raises (it must raise one of ``kind``)."""
    with pytest.raises(kind) as caught:
        call()
    return caught.value


@pytest.fixture(autouse=True)
def no_secret_in_the_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Whatever a test does, no secret reaches a log record (every logger, every level)."""
    caplog.set_level(logging.DEBUG)
    yield
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in EVERY_SECRET:
        assert not [piece for piece in windows(secret) if piece in logged], "a secret was logged"


def test_the_recognizable_values_are_what_the_shapes_take() -> None:
    """The stored forms are valid (so a failure below is the path named, not the format check)."""
    for secret in SECRETS:
        made = secret.create.model_validate(secret.required | {secret.field: secret.stored})
        assert made.to_db()[secret.field] == secret.stored
        assert secret.plain not in repr(made) and secret.stored not in repr(made)


def types_of(exc: BaseException) -> set[str]:
    assert isinstance(exc, ValidationError)
    return {error["type"] for error in exc.errors()}


@pytest.mark.parametrize("secret", SECRETS, ids=lambda s: s.column)
@pytest.mark.parametrize("form", ["plain", "stored"])
def test_a_missing_required_field_does_not_print_the_input(secret: Secret, form: str) -> None:
    value = getattr(secret, form)
    given = {k: v for k, v in secret.required.items() if k != secret.drop} | {secret.field: value}
    exc = failure(lambda: secret.create.model_validate(given), ValidationError)
    assert "missing" in types_of(exc)
    assert_hidden(exc, value, secret.private, secret.plain)


@pytest.mark.parametrize("secret", SECRETS, ids=lambda s: s.column)
def test_a_value_of_the_wrong_type_is_not_printed(secret: Secret) -> None:
    given = secret.required | {secret.field: {"value": secret.plain, "stored": secret.stored}}
    exc = failure(lambda: secret.create.model_validate(given), ValidationError)
    assert types_of(exc) == {"string_type"}
    assert_hidden(exc, secret.plain, secret.private)


@pytest.mark.parametrize("secret", SECRETS, ids=lambda s: s.column)
def test_a_value_in_clear_is_refused_without_being_printed(secret: Secret) -> None:
    for shape in (secret.create, secret.update):
        given = (secret.required if shape is secret.create else {}) | {secret.field: secret.plain}
        exc = failure(lambda shape=shape, given=given: shape.model_validate(given), ValidationError)  # type: ignore[misc]
        assert types_of(exc) == {"value_error"}
        assert "warp_repo.secrets." in str(exc), "the message names the helper to use"
        assert_hidden(exc, secret.plain)


@pytest.mark.parametrize("secret", SECRETS, ids=lambda s: s.column)
def test_a_value_too_long_is_not_printed(secret: Secret) -> None:
    value = secret.too_long()
    exc = failure(lambda: secret.create.model_validate(secret.required | {secret.field: value}), ValidationError)
    assert types_of(exc) & {"too_long", "value_error"}
    assert_hidden(exc, value, secret.private, secret.plain)


@pytest.mark.parametrize("secret", SECRETS, ids=lambda s: s.column)
@pytest.mark.parametrize("form", ["plain", "stored"])
def test_setting_a_not_null_column_to_null_does_not_print_the_update(secret: Secret, form: str) -> None:
    value = getattr(secret, form)
    given = {secret.not_null: None, secret.field: value}  # the secret last: a truncated input still ends with it
    exc = failure(lambda: secret.update.model_validate(given), ValidationError)
    if form == "stored":
        assert "cannot be set to NULL" in str(exc), "the NOT NULL check is the error shown"
    assert_hidden(exc, value, secret.private)


@pytest.mark.parametrize("secret", SECRETS, ids=lambda s: s.column)
@pytest.mark.parametrize("form", ["plain", "stored"])
def test_a_row_that_does_not_validate_does_not_print_its_values(secret: Secret, form: str) -> None:
    value = getattr(secret, form)
    exc = failure(lambda: secret.row.model_validate({secret.field: value}), ValidationError)
    assert "missing" in types_of(exc)
    assert_hidden(exc, value, secret.private)


def test_nothing_in_a_model_shows_a_secret() -> None:
    for secret in SECRETS:
        made: BaseModel = secret.create.model_validate(secret.required | {secret.field: secret.stored})
        for text in (repr(made), str(made), made.model_dump_json(), f"{made!r}"):
            assert secret.private not in text


# --- through the repositories, on a real database --------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    url: str
    app_url: str


@pytest.fixture(scope="module")
def site(create_database: DatabaseFactory, logins: Logins) -> Site:
    url = create_database()
    migrate_all(url)
    with psycopg.connect(url) as conn:
        OrganizationRepo(conn).insert(OrganizationCreate(id=ORG, name="Leak Test Org"))
    return Site(url, logins.url(url, "warp_app"))


@pytest.fixture(params=["superuser", "application"])
def db(request: pytest.FixtureRequest, site: Site) -> Iterator[psycopg.Connection[Any]]:
    """A connection as the superuser (no row-level security) and as the application login (under it)."""
    with psycopg.connect(site.url if request.param == "superuser" else site.app_url) as conn:
        yield conn
        conn.rollback()


# Each mapping names its organization first and its secret last: the input pydantic would print, truncated in the
# middle, would then still show the secret.
COPY_CASES: list[tuple[str, Callable[[psycopg.Connection[Any]], Any], dict[str, Any], tuple[str, ...]]] = [
    (
        "users.password_hash in clear",
        lambda c: UserRepo(c).for_org(ORG),
        {"org_id": ORG, "email": "a@example.com", "username": "a", "password_hash": PASSWORD},
        (PASSWORD,),
    ),
    (
        "users.password_hash with a field missing",
        lambda c: UserRepo(c).for_org(ORG),
        {"org_id": ORG, "email": "a@example.com", "password_hash": PASSWORD_HASH},
        (SECRETS[0].private,),
    ),
    (
        "users.mfa_secret in clear",
        lambda c: UserRepo(c).for_org(ORG),
        {"org_id": ORG, "email": "a@example.com", "username": "a", "password_hash": PASSWORD_HASH, "mfa_secret": TOTP},
        (TOTP, SECRETS[0].private),
    ),
    (
        "users.mfa_secret with a field missing",
        lambda c: UserRepo(c).for_org(ORG),
        {
            "org_id": ORG,
            "id": USER,
            "email": "a@example.com",
            "password_hash": PASSWORD_HASH,
            "mfa_secret": MFA_CIPHERTEXT,
        },
        (SECRETS[1].private, SECRETS[0].private),
    ),
    (
        "api_keys.key_hash in clear",
        lambda c: ApiKeyRepo(c).for_org(ORG),
        {"org_id": ORG, "name": "ci", "key_hash": TOKEN},
        (TOKEN,),
    ),
    (
        "api_keys.key_hash with a field missing",
        lambda c: ApiKeyRepo(c).for_org(ORG),
        {"org_id": ORG, "key_hash": KEY_HASH},
        (SECRETS[2].private,),
    ),
    (
        "billing_accounts.tax_id in clear",
        lambda c: BillingAccountRepo(c).for_org(ORG),
        {"org_id": ORG, "tax_id": TAX},
        (TAX,),
    ),
    (
        "billing_accounts.tax_id too long",
        lambda c: BillingAccountRepo(c).for_org(ORG),
        {"org_id": ORG, "tax_id": SECRETS[3].too_long()},
        (SECRETS[3].private,),
    ),
]


@pytest.mark.parametrize(("case", "repo", "mapping", "secrets"), COPY_CASES, ids=[c[0] for c in COPY_CASES])
def test_copy_in_row_errors_do_not_print_the_row(
    db: psycopg.Connection[Any],
    case: str,
    repo: Callable[[psycopg.Connection[Any]], Any],
    mapping: dict[str, Any],
    secrets: tuple[str, ...],
) -> None:
    exc = failure(lambda: repo(db).copy_in([mapping]), ValidationError)
    assert isinstance(exc, ValidationError) and exc.errors()[0]["loc"][0] == 0, "the row's index comes first"
    assert_hidden(exc, *secrets)


def test_a_key_hash_taken_twice_is_a_conflict_that_does_not_show_the_hash(db: psycopg.Connection[Any]) -> None:
    keys = ApiKeyRepo(db).for_org(ORG)
    issued = issue_api_key(ORG, PEPPERS)
    keys.insert(ApiKeyCreate(org_id=ORG, key_hash=issued.key_hash, name="first"))
    duplicate = ApiKeyCreate(org_id=ORG, key_hash=issued.key_hash, name="second")
    private = issued.key_hash.get_secret_value().rsplit(":", 1)[1]
    for write in (lambda: keys.insert(duplicate), lambda: keys.copy_in([duplicate])):
        with db.transaction(force_rollback=True):  # a savepoint each, so the second write runs too
            exc = failure(write, Conflict)
        assert isinstance(exc, Conflict) and exc.columns == ("key_hash",)
        assert isinstance(exc.__cause__, psycopg.errors.UniqueViolation), "the driver error stays chained"
        assert_hidden(exc, private)


def test_updating_to_a_key_hash_already_taken_does_not_show_it(db: psycopg.Connection[Any]) -> None:
    keys = ApiKeyRepo(db).for_org(ORG)
    first, second = issue_api_key(ORG, PEPPERS), issue_api_key(ORG, PEPPERS)
    keys.insert(ApiKeyCreate(org_id=ORG, key_hash=first.key_hash, name="first"))
    other = keys.insert(ApiKeyCreate(org_id=ORG, key_hash=second.key_hash, name="second"))
    exc = failure(lambda: keys.update(other.id, ApiKeyUpdate(key_hash=first.key_hash)), Conflict)
    assert_hidden(exc, first.key_hash.get_secret_value().rsplit(":", 1)[1])


# --- the API-key cache -----------------------------------------------------------------------------------------


def no_key(key_hash: str) -> ApiKey | None:
    return None


@pytest.mark.parametrize(
    "presented",
    [f"Bearer {KEY_HASH}", f"{KEY_HASH}\n", f" {TOKEN}", ""],
    ids=["a header", "a trailing newline", "a token with a space", "empty"],  # ids are printed: no secret in them
)
def test_the_api_key_cache_refuses_a_malformed_hash_without_showing_it(warp_redis_url: str, presented: str) -> None:
    with connect(warp_redis_url, timeout=2) as client:
        cache = ApiKeyCache(client, no_key)
        for call in (lambda: cache.get(presented), lambda: cache.invalidate(presented)):
            exc = failure(call, ValueError)
            assert "key_hash" in str(exc)
            assert_hidden(exc, SECRETS[2].private, TOKEN)


def test_the_api_key_cache_takes_the_sdks_own_hashes(warp_redis_url: str) -> None:
    loaded: list[str] = []

    def load(key_hash: str) -> ApiKey | None:
        loaded.append(key_hash)
        return None

    with connect(warp_redis_url, timeout=2) as client:
        cache = ApiKeyCache(client, load)
        assert cache.get(KEY_HASH) is None
        assert cache.get(ISSUED.key_hash) is None  # the SecretStr issue_api_key returns: the same entry
        cache.invalidate(ISSUED.key_hash)
        assert loaded == [KEY_HASH]


def test_a_failed_invalidation_does_not_show_the_hash() -> None:
    with connect("redis://127.0.0.1:1/0", timeout=0.5) as client:  # nothing listens on port 1
        cache = ApiKeyCache(client, no_key, lease_ttl=timedelta(seconds=1))
        exc = failure(lambda: cache.invalidate(KEY_HASH), CacheUnavailable)
        assert_hidden(exc, SECRETS[2].private)
        assert cache.get(KEY_HASH) is None  # a read steps aside to the loader, silently
    assert CacheKeys().api_key(KEY_HASH) == f"api_key:{KEY_HASH}"
