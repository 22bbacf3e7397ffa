"""Periodic jobs on the RQ scheduler: each run schedules the next slot under a fixed id."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from rq import Queue

from config import Settings
from jobs.context import worker_services
from jobs.queues import DEFAULT

log = logging.getLogger(__name__)


def _tasks() -> dict[str, Callable[[], object]]:
    from jobs.reminders import send_reminders
    from jobs.slots import open_slots
    from jobs.sms import sweep_outbox

    return {"sweep": sweep_outbox, "reminders": send_reminders, "slots": open_slots}


def interval(name: str, settings: Settings) -> float:
    """Seconds between runs of periodic task `name`."""
    return {"sweep": settings.sms_sweep_seconds, "slots": 3600.0}.get(name, 600.0)


def schedule_next(queue: Queue, name: str, every: float) -> str:
    """Schedule the next run; the slot-based id makes duplicate schedulers harmless."""
    slot = int(time.time() // every) + 1
    job_id = f"periodic-{name}-{slot}"
    at = datetime.fromtimestamp(slot * every, tz=UTC)
    queue.enqueue_at(at, "jobs.periodic.run", name, job_id=job_id, job_timeout=600, result_ttl=60)
    return job_id


def ensure_scheduled(queues: dict[str, Queue], settings: Settings) -> None:
    """Schedule every periodic task (called when a worker starts)."""
    for name in _tasks():
        schedule_next(queues[DEFAULT], name, interval(name, settings))


def run(name: str) -> object:
    """Run periodic task `name`, then schedule its next slot whatever happened."""
    found = worker_services()
    try:
        return _tasks()[name]()
    finally:
        schedule_next(found.queues[DEFAULT], name, interval(name, found.settings))
