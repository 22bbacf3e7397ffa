"""Failed staff logins counted per client address in Redis, against password spraying."""

from __future__ import annotations

import logging
from typing import cast

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
KEY = "staff:login:failures:{}"


def _key(address: str) -> str:
    return KEY.format(address[:45] or "unknown")


def refused(redis: Redis, address: str, limit: int) -> bool:
    """True when this address has failed `limit` times within the window."""
    try:
        count = cast(str | None, redis.get(_key(address)))
    except RedisError as exc:
        # The per-account lockout in the database still holds while Redis is away.
        log.warning("login throttle unavailable: %s", type(exc).__name__)
        return False
    return int(count or 0) >= limit


def count_failure(redis: Redis, address: str, window_seconds: int) -> None:
    """Count one failed login from this address; each failure restarts the window."""
    try:
        with redis.pipeline() as pipe:
            pipe.incr(_key(address))
            pipe.expire(_key(address), window_seconds)
            pipe.execute()
    except RedisError as exc:
        log.warning("login throttle unavailable: %s", type(exc).__name__)
