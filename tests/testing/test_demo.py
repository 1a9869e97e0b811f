"""``warp-db demo`` walks through the SDK on a seeded platform, and runs again on the same database."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from warp_repo._demo import run_demo


@pytest.fixture
def redis_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private embedded Redis, named by WARP_REDIS_URL as a deployment would."""
    embedded = pytest.importorskip("warp_repo._embedded")
    directory = tmp_path / "redis"
    try:
        url = embedded.start_embedded_redis(directory)
    except Exception as exc:  # no redis-server binary: the rest of the demo is still tested
        pytest.skip(f"no embedded Redis: {exc}")
    monkeypatch.setenv("WARP_REDIS_URL", url)
    yield url
    embedded.stop_embedded_redis(directory)


def demo(url: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run_demo(url, Console(file=out, width=160))
    return code, out.getvalue()


def test_the_demo_seeds_walks_through_the_sdk_and_runs_again(empty_admin_url: str, redis_url: str) -> None:
    code, first = demo(empty_admin_url)
    assert code == 0, first
    assert "schema matches the models" in first
    assert "29 tables; drift check passed" in first
    assert "seeded 3 tenants with seed 2026" in first
    for shown in (
        "TrunkRepo(conn).for_org(org.id).list",
        "PhoneNumberRepo(conn).for_org(org.id).list",
        "CdrRepo(conn).for_org(org.id).page",
        "Devices(conn).provisioning(",
        "Voicemail(conn, org.id).message_waiting(box_ids)",
        "TenantScopeError",
        "calls per day",
    ):
        assert shown in first, shown
    limited = re.search(r"(\d+) admitted, (\d+) refused; limit 5 per 1 s", first)
    assert limited is not None, "the rate-limit step ran against Redis"
    admitted, refused = map(int, limited.groups())
    assert admitted + refused == 7 and 5 <= admitted <= 7, "seven hits, five per window (two windows at most)"

    code, second = demo(empty_admin_url)
    assert code == 0, second
    assert "the demo platform (seed 2026) is already loaded" in second
    assert "nothing to apply: the database is up to date" in second
    assert "29 tables; drift check passed" in second
