"""Limits shared by every process through Redis."""

from __future__ import annotations

import time

from redis import Redis


def take_send_tokens(redis: Redis, count: int, per_second: float, *, wait: float = 30.0) -> None:
    """Block until `count` sends fit in the account's per-second budget (fixed windows)."""
    deadline = time.monotonic() + wait
    while True:
        second = int(time.time())
        key = f"sms:rate:{second}"
        used = int(redis.incrby(key, count))
        redis.expire(key, 5)
        if used <= max(per_second, count) or time.monotonic() > deadline:
            return
        time.sleep(max(0.0, second + 1 - time.time()))


def allow_reply(redis: Redis, phone: str, per_hour: int) -> bool:
    """Count a keyword reply to `phone`; False once it passes `per_hour` this hour."""
    key = f"sms:replies:{phone}:{int(time.time() // 3600)}"
    used = int(redis.incr(key))
    redis.expire(key, 3700)
    return used <= per_hour
