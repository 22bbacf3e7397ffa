"""SMS jobs: they take ids, re-read the database and are safe to run twice."""

from __future__ import annotations

from jobs.context import worker_delivery, worker_services
from sms.delivery import deliver
from sms.sweeper import sweep


def send_messages(ids: list[int]) -> dict[str, int]:
    """Send the messages `ids` that are still due."""
    return dict(deliver(worker_delivery(), ids))


def sweep_outbox() -> int:
    """Re-enqueue stuck and due messages; return how many."""
    found = worker_services()
    return sweep(found.session_factory, found.queues, found.settings)
