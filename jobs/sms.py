"""SMS jobs: they take ids, re-read the database and are safe to run twice."""

from __future__ import annotations

import time
from datetime import datetime
from functools import partial

from jobs import runtime as worker
from jobs.policy import SEND_MESSAGES
from jobs.sends import enqueue_messages, forget_stale, started, waiting
from models import utcnow
from ops.runtime import Runtime
from sms.delivery import deliver
from sms.sweeper import due_messages

# Stop starting calls this long before RQ's timeout would interrupt the job mid-call.
TIMEOUT_MARGIN = 60


def send_messages(ids: list[int]) -> dict[str, int]:
    """Send the messages `ids` that are still due."""
    delivery = worker.delivery()
    started(delivery.redis, ids)
    deadline = time.monotonic() + SEND_MESSAGES.timeout - TIMEOUT_MARGIN
    return dict(deliver(delivery, ids, deadline=deadline))


def sweep_outbox(found: Runtime | None = None, now: datetime | None = None) -> int:
    """Re-enqueue stuck and due messages, except those whose job still waits; return how many."""
    found = found or worker.runtime()
    redis = found.redis_raw
    due = due_messages(
        found.session_factory, found.settings, now or utcnow(), partial(waiting, redis)
    )
    forget_stale(redis)
    for lane, ids in due.items():
        enqueue_messages(found.queues, ids, lane, batch_size=found.settings.sms_batch_size)
    return sum(map(len, due.values()))
