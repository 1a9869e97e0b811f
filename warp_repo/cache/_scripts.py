"""The Lua scripts behind every write that touches more than one key or must read before it writes.

A script runs atomically and in one round trip (``EVALSHA``, loaded once through ``register_script``), so no
other client sees a key half-written: a counter is never without its TTL, a registration never without its
``trunks:online`` entry. Scripts that build key names from a prefix (``ARGV``) reach keys they do not declare;
that is fine on a single Redis server or a replicated one, which the platform runs, and not on Redis Cluster.

Times are integer Unix seconds; TTLs of counters are milliseconds.
"""

from __future__ import annotations

from typing import Final, LiteralString

__all__ = [
    "API_KEY_FILL",
    "HASH_REPLACE",
    "ONLINE_TRUNKS",
    "RATE_HIT",
    "REGISTRATION_REMOVE",
    "REGISTRATION_SET",
    "SESSION_CREATE",
    "SESSION_REVOKE",
    "SESSION_REVOKE_ALL",
    "SESSION_TOUCH",
]

# Keep a user's session index to its live members, and alive exactly as long as its last session.
# Expects `index` (the key) and `now` (Unix seconds) to be set.
_INDEX_UPKEEP: Final = """
redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
if last[2] then redis.call('EXPIREAT', index, last[2]) end
"""

SESSION_CREATE: Final[LiteralString] = (
    """
-- KEYS[1] session:{id}  KEYS[2] sessions:user:{user_id}
-- ARGV[1] session id  ARGV[2] expires  ARGV[3] now  ARGV[4..] field, value, ...
local index, now = KEYS[2], ARGV[3]
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIREAT', KEYS[1], ARGV[2])
redis.call('ZADD', index, ARGV[2], ARGV[1])
"""
    + _INDEX_UPKEEP
    + """
return 1
"""
)

SESSION_TOUCH: Final[LiteralString] = (
    """
-- KEYS[1] session:{id}
-- ARGV[1] session id  ARGV[2] wanted expiry  ARGV[3] user index key prefix  ARGV[4] now
-- Returns the new expiry, or nil when the session is gone. Never shortens a session.
local current = redis.call('HGET', KEYS[1], 'expires')
if not current then return false end
local expires = string.format('%d', math.max(tonumber(current) or 0, tonumber(ARGV[2])))
redis.call('HSET', KEYS[1], 'expires', expires)
redis.call('EXPIREAT', KEYS[1], expires)
local user = redis.call('HGET', KEYS[1], 'user_id')
if user then
    local index, now = ARGV[3] .. user, ARGV[4]
    redis.call('ZADD', index, expires, ARGV[1])
"""
    + _INDEX_UPKEEP
    + """
end
return expires
"""
)

SESSION_REVOKE: Final[LiteralString] = """
-- KEYS[1] session:{id}
-- ARGV[1] session id  ARGV[2] user index key prefix
local user = redis.call('HGET', KEYS[1], 'user_id')
if user then redis.call('ZREM', ARGV[2] .. user, ARGV[1]) end
return redis.call('DEL', KEYS[1])
"""

SESSION_REVOKE_ALL: Final[LiteralString] = """
-- KEYS[1] sessions:user:{user_id}
-- ARGV[1] session key prefix
local removed = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    removed = removed + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
return removed
"""

API_KEY_FILL: Final[LiteralString] = """
-- KEYS[1] api_key:{hash}  KEYS[2] lease:api_key:{hash}
-- ARGV[1] lease token  ARGV[2] TTL in ms  ARGV[3..] field, value, ...
-- Writes only while the reader's lease stands: an invalidation since the read removed it.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2], KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

HASH_REPLACE: Final[LiteralString] = """
-- KEYS[1] the hash
-- ARGV[1] TTL in ms  ARGV[2..] field, value, ...
-- Replaces the whole hash (no field of an older value survives) and sets its TTL.
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""

REGISTRATION_SET: Final[LiteralString] = """
-- KEYS[1] registration:{trunk_id}  KEYS[2] trunks:online
-- ARGV[1] trunk id  ARGV[2] expires  ARGV[3..] field, value, ...
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIREAT', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""

REGISTRATION_REMOVE: Final[LiteralString] = """
-- KEYS[1] registration:{trunk_id}  KEYS[2] trunks:online
-- ARGV[1] trunk id
redis.call('SREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
"""

ONLINE_TRUNKS: Final[LiteralString] = """
-- KEYS[1] trunks:online
-- ARGV[1] registration key prefix
-- Drops the members whose registration has expired or was deleted, and returns the others.
local alive = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    if redis.call('EXISTS', ARGV[1] .. id) == 1 then
        alive[#alive + 1] = id
    else
        redis.call('SREM', KEYS[1], id)
    end
end
return alive
"""

RATE_HIT: Final[LiteralString] = """
-- KEYS[1] the window's counter  KEYS[2] the limit (:quota or :max)
-- ARGV[1] limit to use when KEYS[2] holds none  ARGV[2] cost  ARGV[3] counter TTL in ms
-- Counts the hit only when it fits, so the counter is the number admitted. Returns {allowed, count, limit}.
local limit = tonumber(redis.call('GET', KEYS[2])) or tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local count = tonumber(redis.call('GET', KEYS[1])) or 0
local allowed = 0
if count + cost <= limit then
    count = redis.call('INCRBY', KEYS[1], cost)
    allowed = 1
end
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {allowed, count, limit}
"""
