"""The queue at a centre: tickets in order of slot time then arrival, called by counters.

Two counters calling at the same moment never get the same ticket: a counter claims its ticket
with a conditional UPDATE (still waiting?) and, on PostgreSQL, picks it with FOR UPDATE SKIP
LOCKED so simultaneous callers take different rows instead of queueing behind one; SQLite has a
single writer, taken before the pick, so the pick already sees every earlier claim.
A counter has at most one ticket called at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from models import Booking, BookingStatus, Outcome, Service, Visit, VisitStatus
from models.db import serialise
from models.work import Work
from services.visits import addressee, free_seats
from sms.visits import Event, queue_visit_sms

ORDER = (Visit.priority_at, Visit.arrived_at, Visit.id)
NEAR = 3  # people ahead when a citizen is told their turn is near
CLAIM_TRIES = 20  # picks a caller may lose to others before it reports the queue busy


class QueueError(Exception):
    """A counter action that cannot be done; `reason` says why in one word."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Counter:
    """Who calls from where, for which service (None: every service of the centre)."""

    centre_id: int
    number: int
    service_id: int | None
    staff_id: int


def waiting(centre_id: int, day: date, service_id: int | None = None) -> Select[Any]:
    """The waiting tickets of a centre's day (for one service or all), first in line first."""
    query = select(Visit).where(
        Visit.centre_id == centre_id, Visit.day == day, Visit.status == VisitStatus.WAITING
    )
    if service_id is not None:
        query = query.where(Visit.service_id == service_id)
    return query.order_by(*ORDER)


def ahead_of(session: Session, visit: Visit) -> int:
    """How many waiting tickets of the same centre, day and service come before `visit`."""
    before = or_(
        Visit.priority_at < visit.priority_at,
        and_(Visit.priority_at == visit.priority_at, Visit.arrived_at < visit.arrived_at),
        and_(Visit.priority_at == visit.priority_at, Visit.arrived_at == visit.arrived_at,
             Visit.id < visit.id),
    )  # fmt: skip
    query = waiting(visit.centre_id, visit.day, visit.service_id).where(before)
    return session.scalar(query.with_only_columns(func.count()).order_by(None)) or 0


def at_counter(session: Session, centre_id: int, day: date, number: int) -> Visit | None:
    """The ticket a counter has called and not finished yet."""
    query = select(Visit).where(
        Visit.centre_id == centre_id, Visit.day == day, Visit.counter == number,
        Visit.status == VisitStatus.CALLED,
    )  # fmt: skip
    return session.scalars(query).first()


def call_next(work: Work, counter: Counter, day: date, now: datetime) -> Visit | None:
    """Call the first waiting ticket to `counter`; None when nobody waits."""
    session = work.session
    # One call at a time per counter (a double click); on SQLite this takes the single writer.
    serialise(session, f"counter:{counter.centre_id}:{counter.number}", Visit)
    if at_counter(session, counter.centre_id, day, counter.number) is not None:
        raise QueueError("busy")
    for _ in range(CLAIM_TRIES):
        picked = _pick(session, counter, day)
        if picked is None:
            return None
        if _claim(session, picked, counter, now):
            visit = session.get(Visit, picked, populate_existing=True)
            assert visit is not None
            _tell_called(work, visit)
            tell_near(work, visit.centre_id, day, visit.service_id)
            return visit
    raise QueueError("contended")


def _pick(session: Session, counter: Counter, day: date) -> int | None:
    query = waiting(counter.centre_id, day, counter.service_id).with_only_columns(Visit.id)
    return session.scalar(query.limit(1).with_for_update(skip_locked=True))


def _claim(session: Session, visit_id: int, counter: Counter, now: datetime) -> bool:
    result = session.execute(
        update(Visit)
        .where(Visit.id == visit_id, Visit.status == VisitStatus.WAITING)
        .values(status=VisitStatus.CALLED, counter=counter.number, called_at=now,
                called_by_id=counter.staff_id)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def _tell_called(work: Work, visit: Visit) -> None:
    who = addressee(work.session, visit)
    if who is not None:
        queue_visit_sms(work, Event.CALLED, who, counter=visit.counter)


def tell_near(work: Work, centre_id: int, day: date, service_id: int) -> None:
    """Tell each of the first few in a queue, once, that their turn is near.

    No waiting row is locked here: a counter picking its ticket would skip a row held, and call
    someone later in line. The SMS's key says it went once; a counter telling the same citizen at
    the same moment loses the insert and leaves it.
    """
    session = work.session
    query = waiting(centre_id, day, service_id).limit(NEAR + 1)
    for ahead, visit in enumerate(session.scalars(query).all()):
        who = addressee(session, visit) if not visit.told_near else None
        if who is None:
            continue
        try:
            with session.begin_nested():
                queue_visit_sms(work, Event.NEAR, who, ahead=ahead)
        except IntegrityError:
            continue


def finish(
    work: Work, visit_id: int, outcome: Outcome | None, *, staff_id: int, now: datetime
) -> Visit:
    """Mark a called ticket served with `outcome`, or absent when `outcome` is None."""
    session = work.session
    status = VisitStatus.SERVED if outcome is not None else VisitStatus.NO_SHOW
    result = session.execute(
        update(Visit)
        .where(Visit.id == visit_id, Visit.status == VisitStatus.CALLED)
        .values(status=status, outcome=outcome, finished_at=now, finished_by_id=staff_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise QueueError("not_called")
    visit = session.get(Visit, visit_id, populate_existing=True)
    assert visit is not None
    if outcome is None:
        _absent(session, visit)
    else:
        _invite_rating(work, visit)
    return visit


def _absent(session: Session, visit: Visit) -> None:
    """A citizen called who did not come: the booking is a no-show and the seat goes back."""
    if visit.booking_id is not None:
        session.execute(
            update(Booking)
            .where(Booking.id == visit.booking_id, Booking.status == BookingStatus.ATTENDED)
            .values(status=BookingStatus.NO_SHOW)
            .execution_options(synchronize_session=False)
        )
    if visit.slot_id is not None:
        free_seats(session, visit.slot_id)


def _invite_rating(work: Work, visit: Visit) -> None:
    who = addressee(work.session, visit)
    if who is not None:
        queue_visit_sms(work, Event.RATE, who)


@dataclass(frozen=True, slots=True)
class Called:
    """A ticket on the waiting-hall display."""

    ticket: str
    counter: int
    service: str
    called_at: datetime


def board(session: Session, centre_id: int, day: date, limit: int = 8) -> list[Called]:
    """The tickets called most recently at a centre (still at the counter or just served)."""
    query = (
        select(Visit.number, Visit.counter, Service.name_en, Visit.called_at)
        .join(Service, Service.id == Visit.service_id)
        .where(Visit.centre_id == centre_id, Visit.day == day, Visit.called_at.is_not(None))
        .order_by(Visit.called_at.desc(), Visit.id.desc())
        .limit(limit)
    )
    return [Called(f"{n:03d}", c or 0, s, at) for n, c, s, at in session.execute(query) if at]


def todays_tickets(session: Session, centre_id: int, day: date, limit: int = 20) -> list[Visit]:
    """A centre's tickets of the day, latest first."""
    query = select(Visit).where(Visit.centre_id == centre_id, Visit.day == day)
    query = query.options(joinedload(Visit.service)).order_by(Visit.number.desc()).limit(limit)
    return list(session.scalars(query))


def count_waiting(
    session: Session, centre_id: int, day: date, service_id: int | None = None
) -> int:
    """How many tickets of a centre's day (for one service or all) wait."""
    query = waiting(centre_id, day, service_id).with_only_columns(func.count()).order_by(None)
    return session.scalar(query) or 0
