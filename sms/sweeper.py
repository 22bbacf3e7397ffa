"""The database is the source of truth: put stuck or due messages back on the queues."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import Broadcast, BroadcastStatus, Message, MessageStatus
from models.work import Lane
from sms.outbox import lane_of

S = MessageStatus
PAGE = 5000
MAX_PAGES = 200
# The ids among a page whose send job still waits in a queue: left alone, not doubled.
Waiting = Callable[[list[int]], set[int]]


def due_messages(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    waiting: Waiting,
    limit: int = 50_000,
) -> dict[Lane, list[int]]:
    """Messages left pending, due for a retry, or whose sending lease expired, by lane."""
    with factory.begin() as session:
        expire_leases(session, now)
    found: dict[Lane, list[int]] = {lane: [] for lane in Lane}
    after, pages = 0, 0
    while sum(map(len, found.values())) < limit and pages < MAX_PAGES:
        with factory() as session:
            rows = session.execute(due_query(now, settings, after).limit(PAGE)).all()
        if not rows:
            break
        idle = waiting([row.id for row in rows])
        for row in rows:
            if row.id not in idle:
                found[lane_of(row.message_class, row.broadcast_id)].append(row.id)
        after, pages = rows[-1].id, pages + 1
    return {lane: ids[:limit] for lane, ids in found.items()}


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
