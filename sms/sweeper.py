"""The database is the source of truth: put stuck or due messages back on the queues."""

from __future__ import annotations

from datetime import datetime, timedelta

from rq import Queue
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import Broadcast, BroadcastStatus, Message, MessageStatus, utcnow
from sms.dispatch import chunks, enqueue_messages
from sms.outbox import is_bulk

S = MessageStatus


def sweep(
    factory: sessionmaker[Session],
    queues: dict[str, Queue],
    settings: Settings,
    now: datetime | None = None,
    limit: int = 50_000,
) -> int:
    """Re-enqueue messages left pending, due for a retry, or whose sending lease expired."""
    now = now or utcnow()
    lease = timedelta(seconds=settings.sms_lease_seconds)
    with factory.begin() as session:
        expire_leases(session, now)
        rows = session.execute(due_query(now, lease).limit(limit)).all()
        for batch in chunks([row.id for row in rows], 1000):
            session.execute(
                update(Message)
                .where(Message.id.in_(batch))
                .values(status=S.QUEUED, next_attempt_at=now + lease)
            )
    for bulk in (False, True):
        ids = [r.id for r in rows if is_bulk(r.message_class, r.broadcast_id) == bulk]
        enqueue_messages(queues, ids, bulk=bulk, batch_size=settings.sms_batch_size)
    return len(rows)


def expire_leases(session: Session, now: datetime) -> None:
    """A message still 'sending' after its lease belongs to a worker that died."""
    session.execute(
        update(Message)
        .where(Message.status == S.SENDING, Message.next_attempt_at <= now)
        .values(status=S.QUEUED)
    )


def due_query(now: datetime, lease: timedelta):  # type: ignore[no-untyped-def]
    """Pending rows older than a lease, and queued rows whose time has come."""
    stuck_pending = and_(Message.status == S.PENDING, Message.created_at <= now - lease)
    due_queued = and_(
        Message.status == S.QUEUED,
        or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
    )
    return (
        select(Message.id, Message.message_class, Message.broadcast_id)
        .outerjoin(Broadcast, Message.broadcast_id == Broadcast.id)
        .where(or_(stuck_pending, due_queued))
        .where(or_(Broadcast.status.is_(None), Broadcast.status != BroadcastStatus.PAUSED))
        .order_by(Message.id)
    )
