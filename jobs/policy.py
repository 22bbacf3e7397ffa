"""Every job's name, queue, time limit and retries, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rq import Queue, Retry
from rq.job import Job

from ops.queues import DEFAULT, TRANSACTIONAL, Queues

DAY = 86400


@dataclass(frozen=True, slots=True)
class Policy:
    """How one kind of job runs: what it calls, where it waits, how long, how often it retries.

    Jobs re-read the database and are safe to run twice, so a retry never doubles an effect.
    """

    function: str
    queue: str
    timeout: int
    retry: tuple[int, ...] = ()  # seconds before each further attempt
    result_ttl: int = 600
    failure_ttl: int = 7 * DAY

    def options(self, job_id: str | None = None) -> dict[str, Any]:
        """The keyword arguments RQ takes for one job of this kind."""
        retry = Retry(max=len(self.retry), interval=list(self.retry)) if self.retry else None
        return {"job_id": job_id, "job_timeout": self.timeout, "retry": retry,
                "result_ttl": self.result_ttl, "failure_ttl": self.failure_ttl}  # fmt: skip

    def prepared(self, *args: Any, job_id: str | None = None) -> Any:
        """One job of this kind ready for `Queue.enqueue_many`."""
        options = self.options(job_id)
        options["timeout"] = options.pop("job_timeout")  # prepare_data's name for it
        return Queue.prepare_data(self.function, args=args, **options)

    def enqueue(
        self, queues: Queues, *args: Any, job_id: str | None = None, at: datetime | None = None
    ) -> Job:
        """Enqueue one job of this kind now, or at `at`."""
        queue: Queue = queues[self.queue]
        if at is not None:
            job: Job = queue.enqueue_at(at, self.function, *args, **self.options(job_id))
        else:
            job = queue.enqueue(self.function, *args, **self.options(job_id))
        return job


# The queue of a send job is its lane (transactional or bulk): `queue` is the default only.
SEND_MESSAGES = Policy("jobs.sms.send_messages", TRANSACTIONAL, timeout=900, retry=(10, 60, 300))
# A promise is kept by its job or, after any failure, by the promise sweeper: no RQ retry.
KEEP_PROMISE = Policy("jobs.promises.keep", TRANSACTIONAL, timeout=60)
FAN_OUT = Policy("jobs.broadcasts.fan_out", DEFAULT, timeout=3600)
PERIODIC = Policy("jobs.periodic.run", DEFAULT, timeout=600, result_ttl=60)
