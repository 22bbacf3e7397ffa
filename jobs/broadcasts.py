"""The fan-out job: an approved broadcast becomes outbox messages, one committed batch at a time."""

from __future__ import annotations

import logging
from datetime import datetime

from jobs import runtime as worker
from jobs.policy import FAN_OUT
from models import Broadcast, MessageClass, utcnow
from ops.runtime import Runtime
from services import broadcasts
from sms.quiet import next_window_start

log = logging.getLogger(__name__)


def enqueue_fan_out(found: Runtime, broadcast_id: int, when: datetime | None = None) -> None:
    """Enqueue the fan-out of a committed broadcast, now or at `when` (one job per broadcast)."""
    at = when if when and when > utcnow() else None
    FAN_OUT.enqueue(found.queues, broadcast_id, job_id=f"fan-out-{broadcast_id}", at=at)


def _deferred(found: Runtime, broadcast_id: int) -> datetime | None:
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


def fan_out(broadcast_id: int, found: Runtime | None = None) -> int:
    """Queue every message of a broadcast in committed batches; return how many batches ran."""
    found = found or worker.runtime()
    later = _deferred(found, broadcast_id)
    if later is not None:
        log.info("broadcast %s deferred to %s", broadcast_id, later.isoformat())
        enqueue_fan_out(found, broadcast_id, later)
        return 0
    more, batches = True, 0
    while more:
        with found.transaction() as work:
            more = broadcasts.fan_out_batch(
                work,
                broadcast_id,
                size=found.settings.sms_batch_size,
                default_language=found.settings.default_language,
                now=utcnow(),
            )
        batches += 1
    log.info("broadcast %s fanned out in %s batches", broadcast_id, batches)
    return batches


def redrive(found: Runtime | None = None) -> int:
    """Start again every fan-out that is owed and has stalled; return how many (periodic)."""
    found = found or worker.runtime()
    with found.session_factory() as session:
        owed = broadcasts.owed_fan_outs(session, utcnow(), found.settings.broadcast_redrive_seconds)
    for broadcast_id in owed:
        log.warning("broadcast %s: fan-out stalled; starting it again", broadcast_id)
        enqueue_fan_out(found, broadcast_id)
    return len(owed)


def finish(found: Runtime | None = None) -> int:
    """Mark sending broadcasts with nothing left in flight as done (a periodic task)."""
    found = found or worker.runtime()
    with found.session_factory.begin() as session:
        finished = broadcasts.finish_all(session, utcnow())
    if finished:
        log.info("%s broadcasts finished", finished)
    return finished
