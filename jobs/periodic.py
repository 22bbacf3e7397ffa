"""Periodic jobs on the RQ scheduler: each run schedules the next slot under a fixed id."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from config import Settings
from jobs import runtime as worker
from jobs.policy import PERIODIC
from ops.queues import Queues

log = logging.getLogger(__name__)
# Set while a task's next run is scheduled; gone when Redis lost its data (or the chain broke).
MARKER = "periodic:next:"


def _tasks() -> dict[str, Callable[[], object]]:
    from jobs.broadcasts import finish, redrive
    from jobs.promises import sweep_promises
    from jobs.reminders import send_reminders
    from jobs.retention import apply_retention
    from jobs.slots import open_slots
    from jobs.sms import sweep_outbox
    from jobs.visits import sweep_no_shows

    return {"sweep": sweep_outbox, "promises": sweep_promises, "fan-outs": redrive,
            "reminders": send_reminders, "slots": open_slots, "bulk": finish,
            "retention": apply_retention, "no-shows": sweep_no_shows}  # fmt: skip


def interval(name: str, settings: Settings) -> float:
    """Seconds between runs of periodic task `name`."""
    sweeps = settings.sms_sweep_seconds
    # Retention runs once a day, at midnight UTC (03:00 in Nairobi); no-shows every minute.
    others = {"slots": 3600.0, "retention": 86400.0, "no-shows": 60.0}
    return {"sweep": sweeps, "promises": sweeps, "fan-outs": sweeps, **others}.get(name, 600.0)


def schedule_next(queues: Queues, name: str, every: float) -> str:
    """Schedule the next run; the slot-based id makes duplicate schedulers harmless."""
    slot = int(time.time() // every) + 1
    job_id = f"periodic-{name}-{slot}"
    at = datetime.fromtimestamp(slot * every, tz=UTC)
    queue = queues[PERIODIC.queue]
    with queue.connection.pipeline() as pipe:
        queue.enqueue_at(at, PERIODIC.function, name, pipeline=pipe, **PERIODIC.options(job_id))
        # Outlives the wait, a late start and the run itself, then lapses if nothing renews it.
        pipe.set(MARKER + name, job_id, ex=int(2 * every + PERIODIC.timeout))
        pipe.execute()
    return job_id


def keep_scheduled(queues: Queues, settings: Settings, *, everything: bool = False) -> list[str]:
    """Schedule each periodic task that has no next run marked (or all of them); name them."""
    names = list(_tasks())
    connection = queues[PERIODIC.queue].connection
    present = cast(list[bytes | None], connection.mget([MARKER + name for name in names]))
    missing = [n for n, mark in zip(names, present, strict=True) if everything or mark is None]
    for name in missing:
        schedule_next(queues, name, interval(name, settings))
    return missing


def ensure_scheduled(queues: Queues, settings: Settings) -> None:
    """Schedule every periodic task (called when a worker starts)."""
    keep_scheduled(queues, settings, everything=True)


def run(name: str) -> object:
    """Run periodic task `name`, then schedule its next slot whatever happened."""
    found = worker.runtime()
    try:
        return _tasks()[name]()
    finally:
        schedule_next(found.queues, name, interval(name, found.settings))
