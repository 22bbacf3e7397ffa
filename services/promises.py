"""Promises: a booking a hop could not finish is recorded, then kept by a job or the sweeper."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config import Settings
from models import Promise, PromiseStatus, Slot, utcnow
from models.work import Work
from services import bookings
from sms.receipts import Receipt, queue_not_booked, queue_receipt

log = logging.getLogger(__name__)
BOOKING = "booking"
RETRY_SECONDS = (5.0, 30.0, 60.0)  # then every minute until kept or expired
FIRST_SWEEP = timedelta(seconds=15)  # the job enqueued at commit normally keeps it before
SWEEP_PAGE = 500


def defer_booking(work: Work, request: bookings.Request) -> Promise:
    """Record that this booking is owed (once per hop), to be kept after the commit."""
    session = work.session
    found = session.scalars(select(Promise).where(Promise.key == request.idempotency_key)).first()
    if found is not None:
        return found
    slot = session.get(Slot, request.slot_id)
    expires = slot.starts_at if slot is not None else datetime.min
    promise = Promise(kind=BOOKING, key=request.idempotency_key, phone=request.phone,
                      payload=asdict(request), expires_at=expires,
                      next_attempt_at=utcnow() + FIRST_SWEEP)  # fmt: skip
    session.add(promise)
    session.flush()
    work.keep_after_commit([promise.id])
    return promise


def keep(work: Work, promise_id: int, settings: Settings, now: datetime) -> str:
    """Keep a pending promise: book and send the receipt, or apologise; return what happened.

    Safe to run twice or concurrently: the promise row is locked and kept only once. A database
    failure propagates; the promise stays pending and the sweeper tries again.
    """
    session = work.session
    promise = session.get(Promise, promise_id, with_for_update=True)
    if promise is None or promise.status != PromiseStatus.PENDING:
        return "not pending"
    request = bookings.Request(**promise.payload)
    if promise.expires_at <= now:
        return _broken(work, promise, "SlotPassed", settings, now)
    promise.attempts += 1
    try:
        booking = bookings.book(session, request, now=now, limit=settings.ussd_max_active_bookings,
                                tz=settings.tz)  # fmt: skip
    except bookings.Refused as refused:
        return _broken(work, promise, f"Refused:{refused.reason}", settings, now)
    old = bookings.reference_of(session, request.replaces)
    receipt = Receipt.MOVED if old else Receipt.CONFIRMED
    queue_receipt(work, booking, receipt, request.language, settings, old)
    promise.status, promise.outcome, promise.finished_at = PromiseStatus.KEPT, "booked", now
    return "kept"


def _broken(work: Work, promise: Promise, why: str, settings: Settings, now: datetime) -> str:
    request = bookings.Request(**promise.payload)
    queue_not_booked(work, request.phone, request.language, request.idempotency_key, settings)
    promise.status, promise.outcome, promise.finished_at = PromiseStatus.BROKEN, why, now
    return "broken"


def postpone(session: Session, promise_id: int, now: datetime) -> None:
    """After a failed attempt, say when the sweeper should try again."""
    promise = session.get(Promise, promise_id)
    if promise is None or promise.status != PromiseStatus.PENDING:
        return
    wait = RETRY_SECONDS[min(promise.attempts, len(RETRY_SECONDS) - 1)]
    session.execute(
        update(Promise).where(Promise.id == promise_id)
        .values(attempts=Promise.attempts + 1, next_attempt_at=now + timedelta(seconds=wait))
    )  # fmt: skip


def due(session: Session, now: datetime) -> list[int]:
    """Pending promises whose next attempt has come, oldest first."""
    query = (
        select(Promise.id)
        .where(Promise.status == PromiseStatus.PENDING, Promise.next_attempt_at <= now)
        .order_by(Promise.id)
        .limit(SWEEP_PAGE)
    )
    return list(session.scalars(query))
