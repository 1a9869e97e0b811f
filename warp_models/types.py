"""Value types shared by the tables: phone numbers, places, network addresses, codecs, JSON documents, secrets.

Each type validates what the telecom domain means, on top of the column limits that ``Col`` derives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Annotated, Final, Literal, TypeAlias, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

from warp_models._columns import refuses_only
from warp_models._time import FROM_DB

__all__ = [
    "API_KEY_HASH_PATTERN",
    "API_KEY_HASH_SCHEME",
    "ARGON2ID_HASH_PATTERN",
    "CIPHERTEXT_MIN_PAYLOAD",
    "CIPHERTEXT_PATTERN",
    "DIGEST_HA1_PATTERN",
    "E164",
    "KEY_ID_PATTERN",
    "ApiKeyHash",
    "CallingCode",
    "Codec",
    "CountryCode",
    "DialPrefix",
    "DigestHa1",
    "Email",
    "EncryptedMfaSecret",
    "EncryptedTaxId",
    "FccFilerId",
    "IpAddress",
    "IpNetwork",
    "JsonDocument",
    "Lata",
    "MacAddress",
    "Metadata",
    "Money",
    "MosScore",
    "NonNegativeInt",
    "NonNegativeMoney",
    "OrgFeatures",
    "PasswordHash",
    "Percent",
    "Permission",
    "PhoneAddress",
    "PlusFour",
    "PositiveInt",
    "RateLimits",
    "SipResponseCode",
    "SipUsername",
    "Url",
    "UsState",
    "ZipCode",
    "normalize_mac",
]


E164 = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{1,14}$")]
"""A phone number in E.164 form: ``+`` then up to 15 digits, no leading zero (``+14155550123``)."""

PhoneAddress = Annotated[str, StringConstraints(pattern=r"^(\+[1-9][0-9]{1,14}|[0-9]{3,8})$")]
"""A call or message party: an E.164 number, or a short code of 3 to 8 digits (SMS short codes, 911)."""

CallerId = Annotated[
    str,
    StringConstraints(
        pattern=r"^(\+[1-9][0-9]{1,14}|[0-9]{3,8}|(?i:anonymous|restricted|private|unavailable|unknown))$"
    ),
]
"""Who a call came from, as switches report it: an E.164 number, a short code, or a withheld caller ID
(``anonymous``, ``restricted``, ``private``, ``unavailable``, ``unknown``, in any case, stored as given)."""

DialedAddress = Annotated[str, StringConstraints(pattern=r"^(\+[1-9][0-9]{1,14}|[0-9]{3,8}|[*#][0-9*#]{1,15})$")]
"""What a caller dialed: an E.164 number, a short code (``911``), or a feature code (``*67``, ``*72``, ``#31#``)."""


def _sender_id(value: str) -> str:
    if len(value) > 11 or not any(ch.isalpha() for ch in value):
        raise ValueError(
            "an SMS sender is an E.164 number, a short code of 3 to 8 digits, or an alphanumeric sender ID of 1 to 11 "
            "letters, digits and spaces with at least one letter"
        )
    return value


SenderId = Annotated[
    str,
    StringConstraints(pattern=r"^(\+[1-9][0-9]{1,14}|[0-9]{3,8}|[A-Za-z0-9 ]{1,11})$"),
    AfterValidator(lambda v: v if v[0] == "+" or v.isdigit() else _sender_id(v)),
]
"""Who a message is from: an E.164 number, a short code, or an alphanumeric sender ID (``ACME``: 1 to 11
letters, digits and spaces, at least one letter, as GSM 03.40 allows where carriers accept them)."""

CallingCode = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,2}$")]
"""An ITU country calling code without the ``+`` (``1``, ``44``, ``353``)."""

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""An ISO 3166-1 alpha-2 country code (``US``)."""

UsState = Literal[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
    "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    "DC", "AS", "GU", "MP", "PR", "VI",
]  # fmt: skip
"""A USPS two-letter state, district or territory code."""

CanadianProvince = Literal["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]
"""A Canada Post two-letter province or territory code."""

NanpRegion: TypeAlias = UsState | CanadianProvince
"""Where a North American number is: a US state, district or territory, or a Canadian province or territory."""

Lata = Annotated[str, StringConstraints(pattern=r"^[0-9]{3,5}$")]
"""A Local Access and Transport Area code (``132``)."""

ZipCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
"""A five-digit US ZIP code."""

PlusFour = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
"""The four-digit ZIP+4 extension."""

LOCAL_MAIL_DOMAINS: Final = ("localhost", "local")
"""Special-use names (RFC 6761, RFC 6762) a mailbox of the platform's own hosts may use: ``root@localhost``,
``noc@pbx1.local``. Other special-use names (``invalid``, ``test``, ``arpa``, ``onion``) stay refused."""

_PROBE_DOMAIN: Final = ".example.com"


def _email(value: str) -> str:
    """``value`` as ``EmailStr`` normalises it; an address at a host's own name (``root@localhost``) too."""
    try:
        return validate_email(value)[1]
    except PydanticCustomError:
        local, at, domain = value.strip().rpartition("@")
        folded = domain.rstrip(".").lower()
        if not at or not any(folded == name or folded.endswith("." + name) for name in LOCAL_MAIL_DOMAINS):
            raise
    # The same checks on a stand-in public domain: the local part and every label of the host's name.
    probe = validate_email(f"{local}@{folded}{_PROBE_DOMAIN}")[1]
    return probe.removesuffix(_PROBE_DOMAIN)


Email = Annotated[str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})]
"""An e-mail address: syntax checked, domain normalised (lower case, IDNA). Addresses on the platform's own hosts
(``root@localhost``, ``noc@pbx1.local``) are accepted; other special-use domains and domains without a dot are
refused."""


def _not_a_flag(value: object) -> object:
    """Refuse ``True``/``False`` where an address is meant (Python would read them as ``0.0.0.1``/``0.0.0.0``)."""
    if isinstance(value, bool):
        raise ValueError(f"{value} is not an IP address: give the address as text ('192.0.2.10') or bytes")
    return value


IpAddress: TypeAlias = Annotated[IPv4Address | IPv6Address, BeforeValidator(_not_a_flag)]
"""An IPv4 or IPv6 address (``INET`` columns): text, an integer or packed bytes; never a boolean."""

IpNetwork: TypeAlias = Annotated[IPv4Network | IPv6Network, BeforeValidator(_not_a_flag)]
"""An IPv4 or IPv6 network in CIDR form; a bare address is a /32 or /128."""

SipUsername = Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$")]
"""A SIP user name as RFC 3261 writes the ``user`` part of a URI: unreserved characters, ``&=+$,;?/`` and
``%``-escapes (``acme&co=1``, ``ext%20100``)."""

FccFilerId = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
"""An FCC Form 499 filer id: six digits."""

CodecName = Literal[
    "PCMU", "PCMA", "G722", "G729", "G726", "G723", "GSM", "iLBC", "OPUS", "SPEEX", "AMR", "AMR-WB", "EVS",
    "T38", "telephone-event",
]  # fmt: skip
"""The canonical spelling of each RTP payload format the SDK knows."""

_CODECS: Final = {name.casefold(): name for name in get_args(CodecName)}


def _canonical_codec(value: object) -> object:
    return _CODECS.get(value.casefold(), value) if isinstance(value, str) else value


Codec = Annotated[CodecName, BeforeValidator(_canonical_codec)]
"""An RTP payload format a trunk may offer (the seed's default is ``PCMU, PCMA, G722``). SDP encoding names are
case-insensitive (RFC 4855), so ``opus`` or ``pcmu`` are accepted and stored in the canonical spelling (``OPUS``,
``PCMU``). Type checkers see the canonical names only: names parsed from an SDP offer (``list[str]``) go through
``SipTrunkCreate.model_validate({...})``, which accepts any spelling and refuses unknown formats."""

Permission = Annotated[str, StringConstraints(pattern=r"^(\*|[a-z][a-z_]*:(read|write|admin|\*))$")]
"""An API permission: ``resource:action`` (``trunks:read``, ``numbers:*``) or ``*`` for everything."""

Metadata: TypeAlias = dict[str, JsonValue]
"""A free-form JSON object: the seed leaves ``metadata`` open."""


class JsonDocument(BaseModel):
    """Base of typed JSONB documents: unknown keys are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OrgFeatures(JsonDocument):
    """``organization_settings.features``: the feature switches of an organization (all off unless set)."""

    sms: bool = False
    mms: bool = False
    fax: bool = False
    e911: bool = False
    cnam: bool = False
    call_recording: bool = False
    lcr: bool = False
    stir_shaken: bool = False
    number_porting: bool = False


class RateLimits(JsonDocument):
    """``organization_settings.rate_limits``: per-organization ceilings; absent means the platform default."""

    api_requests_per_minute: Annotated[int, Field(gt=0)] | None = None
    calls_per_second: Annotated[int, Field(gt=0)] | None = None
    messages_per_second: Annotated[int, Field(gt=0)] | None = None
    concurrent_calls: Annotated[int, Field(gt=0)] | None = None


NonNegativeInt = Annotated[int, Field(ge=0)]
"""A count or a duration in seconds."""

PositiveInt = Annotated[int, Field(ge=1)]
"""A count that is at least one (SMS segments)."""

SipResponseCode = Annotated[int, Field(ge=100, le=699)]
"""A SIP final or provisional response code (RFC 3261: 100-699)."""

MosScore = Annotated[Decimal, Field(ge=1, le=5)]
"""A mean opinion score, 1.00 (bad) to 5.00 (excellent)."""

Percent = Annotated[Decimal, Field(ge=0, le=100)]
"""A percentage, 0 to 100."""

Money = Annotated[Decimal, Field(allow_inf_nan=False)]
"""A currency amount; the column's DECIMAL scale is its precision."""

NonNegativeMoney = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
"""A price or rate that cannot be negative."""

DialPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]
"""A dialed-number prefix in E.164 digits without ``+`` (``1415``)."""

Url = Annotated[str, StringConstraints(pattern=r"^(https?|s3|gs)://[^\s]+$")]
"""A URL of a stored object or media file (``https://``, ``s3://`` or ``gs://``)."""


# --- Secrets: what the secret columns hold --------------------------------------------------------------------
#
# The stored forms are defined here, once; ``warp_repo.secrets`` produces and parses them with these patterns.
# The patterns have no anchors: match them with ``re.fullmatch`` (``$`` would let a trailing newline through).

KEY_ID_PATTERN: Final = r"[A-Za-z0-9]{1,16}"
"""A key id in a keyring (``k1``, ``2026a``): 1-16 letters or digits. Ciphertexts and API key hashes name it."""

ARGON2ID_HASH_PATTERN: Final = (
    r"\$argon2id\$v=19\$m=(?P<m>[1-9][0-9]{0,9}),t=(?P<t>[1-9][0-9]{0,9}),p=(?P<p>[1-9][0-9]{0,5})"
    r"\$(?P<salt>[A-Za-z0-9+/]{11,})\$(?P<hash>[A-Za-z0-9+/]{22,})"
)
"""An Argon2id hash in PHC form, as ``warp_repo.secrets.hash_password`` makes it:
``$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`` (unpadded base64; a salt of 8 bytes or more, a hash of 16 or
more). Any cost parameters are accepted: a hash records its own, and ``verify_password`` renews older ones."""

API_KEY_HASH_SCHEME: Final = "hs256"
"""The scheme that starts an API key hash: HMAC-SHA-256 under a pepper."""

API_KEY_HASH_PATTERN: Final = rf"{API_KEY_HASH_SCHEME}:(?P<kid>{KEY_ID_PATTERN}):(?P<digest>[0-9a-f]{{64}})"
"""An API key hash, as ``warp_repo.secrets.issue_api_key`` makes it: ``hs256:<pepper id>:<64 hex digits>``."""

CIPHERTEXT_PATTERN: Final = rf"(?P<kid>{KEY_ID_PATTERN}):(?P<payload>[A-Za-z0-9_-]+)"
"""An encrypted column value, as ``warp_repo.secrets.EncryptedColumn.encrypt`` makes it:
``<key id>:<base64url of nonce, ciphertext and tag, unpadded>``."""

CIPHERTEXT_MIN_PAYLOAD: Final = 38
"""The shortest payload of a ciphertext: a 12-byte nonce and a 16-byte tag (an empty plaintext) in base64url."""

_ARGON2ID_HASH = re.compile(ARGON2ID_HASH_PATTERN)
_API_KEY_HASH = re.compile(API_KEY_HASH_PATTERN)
_CIPHERTEXT = re.compile(CIPHERTEXT_PATTERN)


def _stored_form(accepts: Callable[[str], bool], message: str) -> Callable[[SecretStr, ValidationInfo], SecretStr]:
    """A validator refusing a value that is not in its column's stored form.

    Values read from the database (the ``from_db`` context) are taken as stored, so that a row written before
    the check, plaintext included, can still be read, found and rewritten.
    """

    @refuses_only
    def check(value: SecretStr, info: ValidationInfo) -> SecretStr:
        if (info.context and info.context.get(FROM_DB)) or accepts(value.get_secret_value()):
            return value
        raise ValueError(message)  # never the value: it may be the very secret that should have been hashed

    return check


def _is_ciphertext(text: str) -> bool:
    match = _CIPHERTEXT.fullmatch(text)
    return match is not None and len(match.group("payload")) >= CIPHERTEXT_MIN_PAYLOAD


def _encrypted(helper: str) -> AfterValidator:
    return AfterValidator(
        _stored_form(
            _is_ciphertext,
            f"not an encrypted value ('<key id>:<base64url>'): store warp_repo.secrets.{helper}.encrypt(keys, "
            "value, row_id=id, org_id=org_id), never the value itself",
        )
    )


PasswordHash = Annotated[
    SecretStr,
    AfterValidator(
        _stored_form(
            lambda text: _ARGON2ID_HASH.fullmatch(text) is not None,
            "not an Argon2id password hash ('$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>'): store "
            "warp_repo.secrets.hash_password(password), never the password itself",
        )
    ),
]
"""``users.password_hash``: an Argon2id PHC string (:data:`ARGON2ID_HASH_PATTERN`); a password is refused."""

ApiKeyHash = Annotated[
    SecretStr,
    AfterValidator(
        _stored_form(
            lambda text: _API_KEY_HASH.fullmatch(text) is not None,
            "not an API key hash ('hs256:<pepper id>:<64 hex digits>'): store "
            "warp_repo.secrets.issue_api_key(org_id, peppers).key_hash, never the token itself",
        )
    ),
]
"""``api_keys.key_hash``: ``hs256:<pepper id>:<hex>`` (:data:`API_KEY_HASH_PATTERN`); a token is refused."""

EncryptedMfaSecret = Annotated[SecretStr, _encrypted("MFA_SECRET")]
"""``users.mfa_secret``: an AES-256-GCM ciphertext (:data:`CIPHERTEXT_PATTERN`); a TOTP secret in clear is refused."""

EncryptedTaxId = Annotated[SecretStr, _encrypted("TAX_ID")]
"""``billing_accounts.tax_id``: an AES-256-GCM ciphertext (:data:`CIPHERTEXT_PATTERN`); a tax id in clear is
refused."""


# --- Devices and extensions -------------------------------------------------------------------------------------

_MAC_SEPARATED = re.compile(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}")
_MAC_DOTTED = re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}")
_MAC_BARE = re.compile(r"[0-9A-Fa-f]{12}")


def normalize_mac(value: object) -> str:
    """``value`` as a MAC address in its stored spelling, ``aa:bb:cc:dd:ee:ff``.

    Accepts the spellings phones and their vendors print: ``AA:BB:CC:DD:EE:FF``, ``AA-BB-CC-DD-EE-FF``,
    ``aabb.ccdd.eeff`` (Cisco) and ``AABBCCDDEEFF`` (provisioning file names), in either case, with surrounding
    blanks. Anything else is refused (``ValueError``), so one device never has two spellings.
    """
    if not isinstance(value, str):
        raise ValueError(f"a MAC address is text, not {type(value).__name__}")
    text = value.strip()
    if not (_MAC_SEPARATED.fullmatch(text) or _MAC_DOTTED.fullmatch(text) or _MAC_BARE.fullmatch(text)):
        raise ValueError(
            "not a MAC address: give 12 hex digits, bare (AABBCCDDEEFF), in pairs (AA:BB:.. or AA-BB-..) "
            "or in groups of four (aabb.ccdd.eeff)"
        )
    digits = re.sub(r"[^0-9A-Fa-f]", "", text).lower()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


MacAddress = Annotated[str, BeforeValidator(normalize_mac)]
"""A device's MAC address, stored as ``aa:bb:cc:dd:ee:ff`` whatever spelling it came in (:func:`normalize_mac`)."""

DIGEST_HA1_PATTERN: Final = r"[0-9a-f]{32}|[0-9a-f]{64}"
"""A SIP digest HA1: the hex MD5 (32 digits) or SHA-256 (64 digits) of ``username:realm:password``."""

_DIGEST_HA1 = re.compile(DIGEST_HA1_PATTERN)

DigestHa1 = Annotated[
    SecretStr,
    AfterValidator(
        _stored_form(
            lambda text: _DIGEST_HA1.fullmatch(text) is not None,
            "not a SIP digest HA1 (32 or 64 lowercase hex digits): store warp_repo.secrets.digest_ha1(username, "
            "realm, password), never the password itself",
        )
    ),
]
"""``extensions.password_hash``: the digest HA1 a registrar checks a REGISTER against (:data:`DIGEST_HA1_PATTERN`).

A registrar cannot verify digest authentication against Argon2id, so this secret is the HA1 Kamailio's
``subscriber.ha1`` holds; it is still never shown in ``repr``, logs or dumps."""
