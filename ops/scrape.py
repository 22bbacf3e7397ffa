"""What one scrape of /metrics shows: this unit's metrics plus what is read at scrape time.

Read at scrape time: RQ queue depths (Redis) and how long the oldest due SMS has waited (the
database, the source of truth for messages), each bounded so a slow dependency cannot hang it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from models import utcnow
from models.messaging import Message, MessageClass
from models.messaging import MessageStatus as S
from ops.dbwatch import deadline
from ops.metrics import DEPENDENCY_ERRORS
from ops.queues import Queues
from ops.runtime import Runtime

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4"


class QueueDepthCollector(Collector):
    """Read RQ queue lengths at scrape time."""

    def __init__(self, queues: Queues) -> None:
        self.queues = queues

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("huduma_queue_depth", "Jobs waiting", labels=["queue"])
        failed = GaugeMetricFamily("huduma_queue_failed", "Failed jobs", labels=["queue"])
        for name, queue in self.queues.items():
            depth.add_metric([name], queue.count)
            failed.add_metric([name], queue.failed_job_registry.count)
        yield depth
        yield failed


def due_messages(session: Session, now: datetime) -> dict[str, tuple[int, datetime | None]]:
    """Per message class: how many messages are due to be sent, and since when the oldest."""
    waiting = Message.status.in_((S.PENDING, S.QUEUED))
    due = or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now)
    lapsed = (Message.status == S.SENDING) & (Message.next_attempt_at <= now)  # a dead worker's
    since = func.coalesce(Message.next_attempt_at, Message.created_at)
    rows = session.execute(
        select(Message.message_class, func.count(), func.min(since))
        .where(or_(waiting & due, lapsed))
        .group_by(Message.message_class)
    ).all()
    return {str(kind): (int(count), oldest) for kind, count, oldest in rows}


class SmsQueueCollector(Collector):
    """The oldest due SMS's age and the number due, per message class, from the database."""

    def __init__(self, engine: Engine, seconds: float) -> None:
        self.engine, self.seconds = engine, seconds

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        try:
            with deadline(self.seconds), Session(self.engine) as session:
                found = due_messages(session, now)
        except Exception as exc:  # a scrape must answer: leave the figures out this time
            log.warning("metrics: could not read the SMS queue: %s", type(exc).__name__)
            DEPENDENCY_ERRORS.labels("database", type(exc).__name__).inc()
            return
        age = GaugeMetricFamily(
            "huduma_sms_queue_age_seconds", "Age of the oldest SMS due to be sent", labels=["class"]
        )
        count = GaugeMetricFamily("huduma_sms_due", "SMS due to be sent", labels=["class"])
        for kind in MessageClass:
            due, oldest = found.get(kind.value, (0, None))
            age.add_metric([kind.value], _seconds_since(oldest, now) if oldest else 0.0)
            count.add_metric([kind.value], due)
        yield age
        yield count


def _seconds_since(moment: datetime, now: datetime) -> float:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite keeps no zone
    return max(0.0, (now - aware).total_seconds())


class _DefaultRegistry(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition(found: Runtime) -> bytes:
    """Build this scrape's registry (per-process or aggregated over workers) and render it."""
    registry = CollectorRegistry(auto_describe=False)
    if found.settings.metrics_dir:
        MultiProcessCollector(registry, path=found.settings.metrics_dir)  # type: ignore[no-untyped-call]
    else:
        registry.register(_DefaultRegistry())
    registry.register(QueueDepthCollector(found.queues))
    registry.register(SmsQueueCollector(found.reader_engine, found.settings.readiness_timeout))
    return generate_latest(registry)
