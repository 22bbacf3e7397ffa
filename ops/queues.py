"""Queue names, in the order a worker serves them."""

from __future__ import annotations

import redis
from rq import Queue

from models.work import Lane

TRANSACTIONAL = Lane.TRANSACTIONAL.value
BULK = Lane.BULK.value
DEFAULT = "default"
ALL = (TRANSACTIONAL, DEFAULT, BULK)
Queues = dict[str, Queue]


def make_queues(connection: redis.Redis) -> Queues:
    """Return every queue on one raw (undecoded) Redis connection."""
    return {name: Queue(name, connection=connection) for name in ALL}
