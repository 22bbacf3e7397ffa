"""SMS jobs: they take ids, re-read the database and are safe to run twice."""

from __future__ import annotations

import time

from jobs.context import worker_delivery, worker_services
from sms.delivery import deliver
from sms.dispatch import JOB_TIMEOUT, started
from sms.sweeper import sweep

# Stop starting calls this long before RQ's timeout would interrupt the job mid-call.
TIMEOUT_MARGIN = 60


def send_messages(ids: list[int]) -> dict[str, int]:
    """Send the messages `ids` that are still due."""
    delivery = worker_delivery()
    started(delivery.redis, ids)
    deadline = time.monotonic() + JOB_TIMEOUT - TIMEOUT_MARGIN
    return dict(deliver(delivery, ids, deadline=deadline))


def sweep_outbox() -> int:
    """Re-enqueue stuck and due messages; return how many."""
    found = worker_services()
    return sweep(found.session_factory, found.queues, found.settings)
