"""Hand committed message ids to RQ: batches of ids, deterministic job ids, two lanes."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from rq import Queue, Retry
from sqlalchemy.orm import Session, sessionmaker

from jobs.queues import BULK, TRANSACTIONAL
from sms.outbox import install_dispatch

log = logging.getLogger(__name__)

SEND_JOB = "jobs.sms.send_messages"
JOB_TIMEOUT = 900
RESULT_TTL = 600


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
        queue.enqueue_many(jobs)
    return len(jobs)


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
