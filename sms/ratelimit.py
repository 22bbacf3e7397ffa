"""Limits shared by every process through Redis."""

from __future__ import annotations

import time
from typing import cast

from redis import Redis

# Sends are counted in tenth-of-a-second slots; a grant checks the last eleven slots, so any
# one-second interval (which touches at most eleven slots) holds at most the configured rate.
SLOT_MS = 100
SLOTS = 11
RATE_KEY = "sms:rate"
TAKE = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot_ms, slots = tonumber(ARGV[3]), tonumber(ARGV[4])
local slot = math.floor(now_ms / slot_ms)
local used = 0
for i = 0, slots - 1 do
  used = used + tonumber(redis.call('HGET', KEYS[1], slot - i) or '0')
end
if used + tonumber(ARGV[1]) > tonumber(ARGV[2]) then
  return (slot + 1) * slot_ms - now_ms
end
redis.call('HINCRBY', KEYS[1], slot, ARGV[1])
for i = slots, slots + 9 do
  redis.call('HDEL', KEYS[1], slot - i)
end
redis.call('PEXPIRE', KEYS[1], slot_ms * (slots + 2))
return 0
"""


class RateLimited(RuntimeError):
    """No send tokens could be had within the allowed wait."""


def take_send_tokens(redis: Redis, count: int, per_second: float, *, wait: float = 10.0) -> None:
    """Block until `count` sends fit the account's rate; raise RateLimited after `wait` seconds.

    A request larger than the whole rate can never fit: callers split calls to at most the rate.
    """
    if count > per_second:
        raise RateLimited(f"{count} sends exceed the rate of {per_second:g}/s")
    deadline = time.monotonic() + wait
    script = redis.register_script(TAKE)
    while True:
        pause_ms = int(script(keys=[RATE_KEY], args=[count, per_second, SLOT_MS, SLOTS]))
        if pause_ms <= 0:
            return
        if time.monotonic() + pause_ms / 1000 > deadline:
            raise RateLimited(f"no send tokens within {wait:g} s")
        time.sleep(pause_ms / 1000)


def allow_reply(redis: Redis, phone: str, per_hour: int) -> bool:
    """Count a keyword reply to `phone`; False once it passes `per_hour` this hour."""
    key = f"sms:replies:{phone}:{int(time.time() // 3600)}"
    used = int(cast(int, redis.incr(key)))
    redis.expire(key, 3700)
    return used <= per_hour
