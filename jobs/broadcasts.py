"""The fan-out job: an approved broadcast becomes outbox messages, one committed batch at a time."""

from __future__ import annotations

import logging
from datetime import datetime

from jobs.context import worker_services
from jobs.queues import DEFAULT
from models import Broadcast, MessageClass, utcnow
from ops.wiring import Services
from services import broadcasts
from sms.quiet import next_window_start

log = logging.getLogger(__name__)
JOB = "jobs.broadcasts.fan_out"


def enqueue_fan_out(found: Services, broadcast_id: int, when: datetime | None = None) -> None:
    """Enqueue the fan-out of a committed broadcast, now or at `when`."""
    queue = found.queues[DEFAULT]
    if when is not None and when > utcnow():
        queue.enqueue_at(when, JOB, broadcast_id, job_timeout=3600)
    else:
        queue.enqueue(JOB, broadcast_id, job_timeout=3600)


def _deferred(found: Services, broadcast_id: int) -> datetime | None:
    """Return when to try again if the broadcast is scheduled later or in quiet hours."""
    with found.session_factory() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        if broadcast is None:
            return None
        now = utcnow()
        if broadcast.scheduled_for is not None and broadcast.scheduled_for > now:
            return broadcast.scheduled_for
        if broadcast.message_class != MessageClass.AWARENESS:
            return None
        settings = found.settings
        return next_window_start(now, settings.sms_awareness_window, settings.timezone)


def fan_out(broadcast_id: int, services: Services | None = None) -> int:
    """Queue every message of a broadcast in committed batches; return how many batches ran."""
    found = services or worker_services()
    later = _deferred(found, broadcast_id)
    if later is not None:
        log.info("broadcast %s deferred to %s", broadcast_id, later.isoformat())
        enqueue_fan_out(found, broadcast_id, later)
        return 0
    start: int | None = 0
    batches = 0
    while start is not None:
        with found.session_factory.begin() as session:
            start = broadcasts.fan_out_batch(
                session,
                broadcast_id,
                start=start,
                size=found.settings.sms_batch_size,
                default_language=found.settings.default_language,
                now=utcnow(),
            )
        batches += 1
    log.info("broadcast %s fanned out in %s batches", broadcast_id, batches)
    return batches


def finish(services: Services | None = None) -> int:
    """Mark sending broadcasts with nothing left in flight as done (a periodic task)."""
    found = services or worker_services()
    with found.session_factory.begin() as session:
        finished = broadcasts.finish_all(session, utcnow())
    if finished:
        log.info("%s broadcasts finished", finished)
    return finished
