"""Key names are the seed's exactly, namespaced on demand, and refuse parts that would blur them."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from warp_repo.cache import CacheKeys
from warp_repo.secrets import Keyring, generate_key_entry, issue_api_key

ID = UUID("0b6f1c9e-8a53-4f4e-9d0e-6c2f5a7b8c91")
ROOT = Path(__file__).resolve().parents[2]


def test_default_names_are_the_seeds() -> None:
    keys = CacheKeys()
    assert keys.session("abc") == "session:abc"
    assert keys.api_key("9f86d081") == "api_key:9f86d081"
    assert keys.registration(ID) == f"registration:{ID}"
    assert keys.trunks_online() == "trunks:online"
    assert keys.lcr_route("1415") == "route:lcr:1415"
    assert keys.custom_route(ID, "+1415*") == f"route:custom:{ID}:+1415*"
    assert keys.api_rate(ID, 1_767_225_600) == f"rate:api:{ID}:1767225600"
    assert keys.api_quota(ID) == f"rate:api:{ID}:quota"
    assert keys.call_rate(ID, 1_767_225_601) == f"rate:calls:{ID}:1767225601"
    assert keys.call_max(ID) == f"rate:calls:{ID}:max"


def test_added_keys_stay_outside_the_seeds_patterns() -> None:
    keys = CacheKeys()
    assert keys.user_sessions(ID) == f"sessions:user:{ID}"
    assert not keys.user_sessions(ID).startswith("session:")
    assert keys.api_key_lease("9f86d081") == "lease:api_key:9f86d081"
    assert not keys.api_key_lease("9f86d081").startswith("api_key:")


def test_a_namespace_prefixes_every_key() -> None:
    keys = CacheKeys("staging:eu")
    built = [
        keys.session("abc"),
        keys.user_sessions(ID),
        keys.api_key("h"),
        keys.api_key_lease("h"),
        keys.registration(ID),
        keys.trunks_online(),
        keys.lcr_route("1"),
        keys.custom_route(ID, "1"),
        keys.api_rate(ID, 0),
        keys.api_quota(ID),
        keys.call_rate(ID, 0),
        keys.call_max(ID),
    ]
    assert all(k.startswith("staging:eu:") for k in built)
    assert keys.trunks_online() == "staging:eu:trunks:online"
    assert keys.session_prefix == "staging:eu:session:"


@pytest.mark.parametrize("bad", ["", "a:b", "a b", "a\nb"])
def test_parts_that_would_blur_a_name_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="session_id"):
        CacheKeys().session(bad)


def test_an_api_key_hash_keeps_its_colons_as_the_last_part() -> None:
    issued = issue_api_key(ID, Keyring.parse(generate_key_entry("p1"), source="test peppers", min_size=32))
    stored = issued.key_hash.get_secret_value()
    assert stored.count(":") == 2  # hs256:<pepper id>:<hex>
    assert CacheKeys().api_key(stored) == f"api_key:{stored}"
    assert CacheKeys().api_key(issued.key_hash) == f"api_key:{stored}"  # the SecretStr issue_api_key returns
    assert CacheKeys().api_key_lease(stored) == f"lease:api_key:{stored}"
    assert CacheKeys("eu").api_key(stored) == f"eu:api_key:{stored}"


@pytest.mark.parametrize("bad", ["", "hs256:p1:ab cd", "hs256:p1:ab\ncd", "hs256:p1:\x00"])
def test_a_malformed_key_hash_is_refused_without_being_shown(bad: str) -> None:
    for build in (CacheKeys().api_key, CacheKeys().api_key_lease):
        with pytest.raises(ValueError, match="key_hash must be a non-empty string") as caught:
            build(bad)
        assert "credential" in str(caught.value)
        assert bad == "" or bad not in str(caught.value)
        assert "hs256:p1" not in str(caught.value) and "hs256:p1" not in repr(caught.value)


def test_a_malformed_session_id_is_refused_without_being_shown() -> None:
    with pytest.raises(ValueError, match="session_id") as caught:
        CacheKeys().session("tok:en-4f7a9c")
    assert "4f7a9c" not in str(caught.value)


def test_a_routing_pattern_may_hold_a_colon_as_the_last_part() -> None:
    assert CacheKeys().custom_route(ID, "^sip:.*$") == f"route:custom:{ID}:^sip:.*$"
    with pytest.raises(ValueError, match="pattern"):
        CacheKeys().custom_route(ID, "")


@pytest.mark.parametrize("bad", ["ns:", "a b"])
def test_bad_namespaces_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="namespace"):
        CacheKeys(bad)


@pytest.mark.parametrize("bad", [-1, True])
def test_windows_are_start_seconds(bad: int) -> None:
    with pytest.raises(ValueError, match="window"):
        CacheKeys().api_rate(ID, bad)


def test_scan_patterns_escape_glob_characters() -> None:
    assert CacheKeys().lcr_route_match("14") == "route:lcr:14*"
    assert CacheKeys().lcr_route_match() == "route:lcr:*"
    assert CacheKeys("t[1]?").custom_route_match(ID) == f"t\\[1\\]\\?:route:custom:{ID}:*"
