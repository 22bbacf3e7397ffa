"""Queue names, in the order a worker serves them."""

from __future__ import annotations

import redis
from rq import Queue

TRANSACTIONAL = "transactional"
BULK = "bulk"
DEFAULT = "default"
ALL = (TRANSACTIONAL, DEFAULT, BULK)


def make_queues(connection: redis.Redis) -> dict[str, Queue]:
    """Return every queue on one raw (undecoded) Redis connection."""
    return {name: Queue(name, connection=connection) for name in ALL}
