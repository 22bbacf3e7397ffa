"""The database is the source of truth: put stuck or due messages back on the queues."""

from __future__ import annotations

from datetime import datetime, timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import Broadcast, BroadcastStatus, Message, MessageStatus, utcnow
from sms.dispatch import enqueue_messages, forget_stale, waiting
from sms.outbox import is_bulk

S = MessageStatus
PAGE = 5000
MAX_PAGES = 200


def sweep(
    factory: sessionmaker[Session],
    queues: dict[str, Queue],
    settings: Settings,
    now: datetime | None = None,
    limit: int = 50_000,
) -> int:
    """Re-enqueue messages left pending, due for a retry, or whose sending lease expired.

    Messages whose job still waits in a queue are left alone, so a backlog is not doubled.
    """
    now = now or utcnow()
    redis: Redis = queues[next(iter(queues))].connection
    with factory.begin() as session:
        expire_leases(session, now)
    forget_stale(redis)
    found = {False: list[int](), True: list[int]()}
    after, pages = 0, 0
    while sum(map(len, found.values())) < limit and pages < MAX_PAGES:
        with factory() as session:
            rows = session.execute(due_query(now, settings, after).limit(PAGE)).all()
        if not rows:
            break
        idle = waiting(redis, [row.id for row in rows])
        for row in rows:
            if row.id not in idle:
                found[is_bulk(row.message_class, row.broadcast_id)].append(row.id)
        after, pages = rows[-1].id, pages + 1
    for bulk, ids in found.items():
        enqueue_messages(queues, ids[:limit], bulk=bulk, batch_size=settings.sms_batch_size)
    return sum(len(ids[:limit]) for ids in found.values())


def expire_leases(session: Session, now: datetime) -> None:
    """A message still 'sending' after its lease belongs to a worker that died."""
    session.execute(
        update(Message)
        .where(Message.status == S.SENDING, Message.next_attempt_at <= now)
        .values(status=S.QUEUED)
    )


def due_query(now: datetime, settings: Settings, after: int = 0) -> Select[int, str, int | None]:
    """Pending rows older than a lease, and queued rows whose time has come, by id."""
    lease = timedelta(seconds=settings.sms_lease_seconds)
    stuck_pending = and_(Message.status == S.PENDING, Message.created_at <= now - lease)
    due_queued = and_(
        Message.status == S.QUEUED,
        or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
    )
    return (
        select(Message.id, Message.message_class, Message.broadcast_id)
        .outerjoin(Broadcast, Message.broadcast_id == Broadcast.id)
        .where(Message.id > after, or_(stuck_pending, due_queued))
        .where(or_(Broadcast.status.is_(None), Broadcast.status != BroadcastStatus.PAUSED))
        .order_by(Message.id)
    )
