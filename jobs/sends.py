"""Hand committed message ids to RQ: batches of ids, deterministic job ids, two lanes."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from redis import Redis

from config import Settings
from jobs.policy import KEEP_PROMISE, SEND_MESSAGES
from models.work import Dispatch, Lane
from ops.queues import Queues

# Message ids whose send job waits in a queue, scored by enqueue time; the sweeper skips them.
WAITING = "sms:waiting"
# Each waiting message's job id: a job no longer in its queue was taken by a worker that died.
WAITING_JOBS = "sms:waiting:jobs"
LANES = {lane.value for lane in Lane}
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
    queues: Queues, ids: Sequence[int], lane: Lane, *, batch_size: int = 100
) -> int:
    """Enqueue send jobs for `ids` (safe to repeat: jobs re-read each row); return jobs made."""
    queue = queues[lane.value]
    batches = [(batch, batch_job_id(lane, batch)) for batch in chunks(ids, batch_size)]
    jobs = [SEND_MESSAGES.prepared(batch, job_id=job_id) for batch, job_id in batches]
    if jobs:
        with queue.connection.pipeline() as pipe:
            pipe.zadd(WAITING, dict.fromkeys(map(str, ids), time.time()))
            pipe.hset(WAITING_JOBS, mapping={str(i): job for batch, job in batches for i in batch})
            queue.enqueue_many(jobs, pipeline=pipe)
            pipe.execute()
    return len(jobs)


def started(redis: Redis, ids: Sequence[int]) -> None:
    """Note that a job took these ids off the queue."""
    if ids:
        names = [str(i) for i in ids]
        with redis.pipeline(transaction=False) as pipe:
            pipe.zrem(WAITING, *names)
            pipe.hdel(WAITING_JOBS, *names)
            pipe.execute()


def waiting(redis: Redis, ids: Sequence[int], now: float | None = None) -> set[int]:
    """The ids among `ids` whose job still waits in its queue."""
    if not ids:
        return set()
    since = (now or time.time()) - WAITING_GRACE
    names = [str(i) for i in ids]
    scores = cast(list[float | None], redis.zmscore(WAITING, names))
    recent = [
        i for i, score in zip(ids, scores, strict=True) if score is not None and score > since
    ]
    return _still_queued(redis, recent)


def _still_queued(redis: Redis, ids: list[int]) -> set[int]:
    """The ids whose job is still in its queue's list (not taken by a worker that then died)."""
    if not ids:
        return set()
    jobs = cast(list[bytes | str | None], redis.hmget(WAITING_JOBS, [str(i) for i in ids]))
    names = {i: j.decode() if isinstance(j, bytes) else j for i, j in zip(ids, jobs, strict=True)}
    queued = {job: _in_queue(redis, job) for job in set(names.values()) if job}
    return {i for i, job in names.items() if job and queued[job]}


def _in_queue(redis: Redis, job_id: str) -> bool:
    lane = job_id.split("-")[1] if job_id.count("-") >= 2 else ""
    if lane not in LANES:
        return False
    return redis.lpos(f"rq:queue:{lane}", job_id) is not None


def forget_stale(redis: Redis, now: float | None = None) -> None:
    """Drop ids that have waited past the grace, so the set stays small."""
    until = (now or time.time()) - WAITING_GRACE
    found = cast(list[bytes | str], redis.zrangebyscore(WAITING, "-inf", until))
    stale = [name.decode() if isinstance(name, bytes) else name for name in found]
    if stale:
        with redis.pipeline(transaction=False) as pipe:
            pipe.zrem(WAITING, *stale)
            pipe.hdel(WAITING_JOBS, *stale)
            pipe.execute()


@dataclass(frozen=True, slots=True)
class JobDispatch:
    """Hands committed work to its jobs: outbox messages in batches, promises one job each."""

    queues: Queues
    settings: Settings

    def messages(self, ids: Sequence[int], lane: Lane) -> None:
        """Enqueue send jobs for committed outbox messages."""
        enqueue_messages(self.queues, ids, lane, batch_size=self.settings.sms_batch_size)

    def promises(self, ids: Sequence[int]) -> None:
        """Enqueue a job per committed promise (its id names the job: enqueuing twice is one)."""
        for promise_id in ids:
            KEEP_PROMISE.enqueue(self.queues, promise_id, job_id=f"promise-{promise_id}")


def dispatcher(queues: Queues, settings: Settings) -> Dispatch:
    """The job layer's dispatch for a runtime's queues."""
    return JobDispatch(queues, settings)
