"""Hand committed message ids to RQ: batches of ids, deterministic job ids, two lanes."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from typing import cast

from redis import Redis
from rq import Queue, Retry
from sqlalchemy.orm import Session, sessionmaker

from jobs.queues import BULK, TRANSACTIONAL
from sms.outbox import install_dispatch

log = logging.getLogger(__name__)

SEND_JOB = "jobs.sms.send_messages"
JOB_TIMEOUT = 900
RESULT_TTL = 600
# Message ids whose send job waits in a queue, scored by enqueue time; the sweeper skips them.
WAITING = "sms:waiting"
# An id waiting longer than this is treated as lost (e.g. someone emptied the queue).
WAITING_GRACE = 3600.0


def batch_job_id(lane: str, ids: Sequence[int]) -> str:
    """Name a batch by its ids, so enqueuing the same batch twice names one job."""
    digest = hashlib.sha1(",".join(map(str, sorted(ids))).encode()).hexdigest()[:20]
    return f"sms-{lane}-{digest}"


def chunks(ids: Sequence[int], size: int) -> list[list[int]]:
    """Split ids into batches of at most `size`."""
    ordered = sorted(ids)
    return [ordered[i : i + size] for i in range(0, len(ordered), max(1, size))]


def enqueue_messages(
    queues: dict[str, Queue], ids: Sequence[int], *, bulk: bool = False, batch_size: int = 100
) -> int:
    """Enqueue send jobs for `ids` (safe to repeat: jobs re-read each row); return jobs made."""
    lane = BULK if bulk else TRANSACTIONAL
    queue = queues[lane]
    batches = chunks(ids, batch_size)
    jobs = [
        Queue.prepare_data(
            SEND_JOB,
            args=(batch,),
            job_id=batch_job_id(lane, batch),
            timeout=JOB_TIMEOUT,
            result_ttl=RESULT_TTL,
            failure_ttl=7 * 86400,
            retry=Retry(max=3, interval=[10, 60, 300]),
        )  # fmt: skip
        for batch in batches
    ]
    if jobs:
        with queue.connection.pipeline() as pipe:
            pipe.zadd(WAITING, dict.fromkeys(map(str, ids), time.time()))
            queue.enqueue_many(jobs, pipeline=pipe)
            pipe.execute()
    return len(jobs)


def started(redis: Redis, ids: Sequence[int]) -> None:
    """Note that a job took these ids off the queue."""
    if ids:
        redis.zrem(WAITING, *map(str, ids))


def waiting(redis: Redis, ids: Sequence[int], now: float | None = None) -> set[int]:
    """The ids among `ids` whose job still waits in a queue."""
    if not ids:
        return set()
    since = (now or time.time()) - WAITING_GRACE
    scores = cast(list[float | None], redis.zmscore(WAITING, [str(i) for i in ids]))
    return {i for i, score in zip(ids, scores, strict=True) if score is not None and score > since}


def forget_stale(redis: Redis, now: float | None = None) -> None:
    """Drop ids that have waited past the grace, so the set stays small."""
    redis.zremrangebyscore(WAITING, "-inf", (now or time.time()) - WAITING_GRACE)


def install(factory: sessionmaker[Session], queues: dict[str, Queue], batch_size: int) -> None:
    """Enqueue every committed message of `factory`'s sessions, in its lane."""

    def transactional(ids: list[int]) -> None:
        _safely(queues, ids, bulk=False, batch_size=batch_size)

    def bulk(ids: list[int]) -> None:
        _safely(queues, ids, bulk=True, batch_size=batch_size)

    install_dispatch(factory, transactional, bulk=bulk)


def _safely(queues: dict[str, Queue], ids: list[int], *, bulk: bool, batch_size: int) -> None:
    # The rows are committed already; if Redis is down the sweeper enqueues them later.
    try:
        enqueue_messages(queues, ids, bulk=bulk, batch_size=batch_size)
    except Exception:
        log.exception("could not enqueue %d messages; the sweeper will", len(ids))
