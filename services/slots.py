"""Appointment slots: opened ahead within each centre's hours, kept in line as the rules change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, delete, exists, insert, select, update
from sqlalchemy.orm import Session

from models import (
    Booking,
    BookingStatus,
    Centre,
    CentreService,
    Holiday,
    OpeningHours,
    Service,
    Slot,
)

CHUNK = 500
WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def working_days(session: Session, start: date, count: int) -> list[date]:
    """Return the next `count` weekdays from `start` (exclusive) that are not national holidays."""
    holidays = set(session.scalars(select(Holiday.day).where(Holiday.centre_id.is_(None))))
    days: list[date] = []
    day = start
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            days.append(day)
    return days


def horizon_days(session: Session, start: date, count: int) -> list[date]:
    """Return every day up to the `count`-th working day after `start`, weekends included.

    Weekend days get slots only at centres with weekend hours; national holidays get none.
    """
    working = working_days(session, start, count)
    if not working:
        return []
    holidays = set(session.scalars(select(Holiday.day).where(Holiday.centre_id.is_(None))))
    span = (working[-1] - start).days
    days = (start + timedelta(days=n) for n in range(1, span + 1))
    return [day for day in days if day not in holidays]


def _starts(day: date, hours: OpeningHours, minutes: int, tz: ZoneInfo) -> list[datetime]:
    local = datetime.combine(day, hours.opens, tz)
    closes = datetime.combine(day, hours.closes, tz)
    starts = []
    while local + timedelta(minutes=minutes) <= closes:
        starts.append(local.astimezone(UTC))
        local += timedelta(minutes=minutes)
    return starts


def _existing(
    session: Session, days: list[date], tz: ZoneInfo, centre_id: int | None, service_id: int | None
) -> set[tuple[int, int, datetime]]:
    since = datetime.combine(days[0], datetime.min.time(), tz)
    until = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tz)
    query = select(Slot.centre_id, Slot.service_id, Slot.starts_at).where(
        Slot.starts_at >= since, Slot.starts_at < until
    )
    if centre_id is not None:
        query = query.where(Slot.centre_id == centre_id)
    if service_id is not None:
        query = query.where(Slot.service_id == service_id)
    return {(c, s, t) for c, s, t in session.execute(query)}


def _open_offers(
    centre_id: int | None = None, service_id: int | None = None
) -> Select[CentreService, int]:
    query = (
        select(CentreService, Service.slot_minutes)
        .join(Service)
        .join(Centre)
        .where(Centre.active, CentreService.active, Service.active)
    )
    if centre_id is not None:
        query = query.where(CentreService.centre_id == centre_id)
    if service_id is not None:
        query = query.where(CentreService.service_id == service_id)
    return query


def extend_slots(
    session: Session,
    *,
    start: date,
    count: int,
    tz: ZoneInfo,
    centre_id: int | None = None,
    day: date | None = None,
    service_id: int | None = None,
) -> int:
    """Insert every missing slot up to the `count`-th working day after `start`; return how many.

    `centre_id`, `day` and `service_id` narrow the work to one centre, day or service.
    """
    days = [d for d in horizon_days(session, start, count) if day is None or d == day]
    existing = _existing(session, days, tz, centre_id, service_id) if days else set()
    offers = session.execute(_open_offers(centre_id, service_id)).all()
    hours = {(h.centre_id, h.weekday): h for h in session.scalars(select(OpeningHours))}
    centre_holidays = select(Holiday.centre_id, Holiday.day).where(Holiday.centre_id.is_not(None))
    closed = {(cid, shut) for cid, shut in session.execute(centre_holidays)}
    rows = []
    for offer, minutes in offers:
        for each in days:
            opening = hours.get((offer.centre_id, each.weekday()))
            if opening is None or (offer.centre_id, each) in closed:
                continue
            for starts_at in _starts(each, opening, minutes, tz):
                if (offer.centre_id, offer.service_id, starts_at) not in existing:
                    rows.append(
                        {
                            "centre_id": offer.centre_id,
                            "service_id": offer.service_id,
                            "starts_at": starts_at,
                            "capacity": offer.capacity_per_slot,
                            "booked": 0,
                        }
                    )
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(Slot), rows[chunk : chunk + 5000])
    return len(rows)


@dataclass(slots=True)
class SlotChanges:
    """What bringing future slots in line with the rules did."""

    resized: int = 0
    removed: int = 0
    closed: int = 0
    stranded: list[tuple[Booking, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Rules:
    """Everything that decides whether a slot may take bookings, loaded once."""

    offers: dict[tuple[int, int], int]
    minutes: dict[int, int]
    hours: dict[tuple[int, int], OpeningHours]
    holidays: dict[tuple[int | None, date], str]
    tz: ZoneInfo

    def why_closed(self, slot: Slot) -> str | None:
        """Return why `slot` may take no bookings, or None when it is open."""
        if (slot.centre_id, slot.service_id) not in self.offers:
            return "the service is no longer offered there"
        local = slot.starts_at.astimezone(self.tz)
        holiday = self.holidays.get((None, local.date())) or self.holidays.get(
            (slot.centre_id, local.date())
        )
        if holiday:
            return f"holiday: {holiday}"
        opening = self.hours.get((slot.centre_id, local.weekday()))
        if opening is None:
            return f"the centre is closed on {WEEKDAYS[local.weekday()]}"
        ends = local + timedelta(minutes=self.minutes.get(slot.service_id, 30))
        if (
            local.time() < opening.opens
            or ends.time() > opening.closes
            or ends.date() > local.date()
        ):
            return "outside the new opening hours"
        return None


def _rules(session: Session, tz: ZoneInfo) -> _Rules:
    offers = {
        (offer.centre_id, offer.service_id): offer.capacity_per_slot
        for offer, _ in session.execute(_open_offers())
    }
    minutes = {sid: m for sid, m in session.execute(select(Service.id, Service.slot_minutes))}
    hours = {(h.centre_id, h.weekday): h for h in session.scalars(select(OpeningHours))}
    holidays = {(h.centre_id, h.day): h.name for h in session.scalars(select(Holiday))}
    return _Rules(offers, minutes, hours, holidays, tz)


def reconcile_slots(
    session: Session,
    *,
    now: datetime,
    tz: ZoneInfo,
    centre_id: int | None = None,
    day: date | None = None,
    service_id: int | None = None,
) -> SlotChanges:
    """Bring future slots in line with hours, holidays, offers and seats.

    Open slots take the offer's seats (never fewer than are booked); closed ones with no booking
    at all are removed, the others keep only their booked seats, and their active bookings are
    returned with the reason, for staff to call.
    """
    query = select(Slot).where(Slot.starts_at > now)
    if centre_id is not None:
        query = query.where(Slot.centre_id == centre_id)
    if service_id is not None:
        query = query.where(Slot.service_id == service_id)
    if day is not None:
        start = datetime.combine(day, datetime.min.time(), tz)
        query = query.where(Slot.starts_at >= start, Slot.starts_at < start + timedelta(days=1))
    rules, changes = _rules(session, tz), SlotChanges()
    closing: dict[int, str] = {}
    resize: dict[int, list[int]] = {}
    for slot in session.scalars(query.order_by(Slot.id)):
        reason = rules.why_closed(slot)
        if reason is not None:
            closing[slot.id] = reason
            continue
        seats = max(rules.offers[(slot.centre_id, slot.service_id)], slot.booked)
        if seats != slot.capacity:
            resize.setdefault(seats, []).append(slot.id)
    for seats, ids in resize.items():
        for chunk in _chunks(ids):
            changes.resized += _execute(
                session,
                update(Slot).where(Slot.id.in_(chunk)).values(capacity=_at_least_booked(seats)),
            )
    _close(session, closing, changes)
    _forget_slots(session)
    return changes


def _at_least_booked(seats: int) -> ColumnElement[int]:
    # Relative to the row's own `booked`, so a seat taken meanwhile is never undercut.
    return case((Slot.booked > seats, Slot.booked), else_=seats)


def _execute(session: Session, statement: Any) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _forget_slots(session: Session) -> None:
    """Drop slot objects the bulk statements made stale (or deleted) from the session."""
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Slot):
            session.expunge(instance)


def _close(session: Session, closing: dict[int, str], changes: SlotChanges) -> None:
    unused = ~exists().where(Booking.slot_id == Slot.id)
    for chunk in _chunks(list(closing)):
        changes.removed += _execute(
            session, delete(Slot).where(Slot.id.in_(chunk), Slot.booked == 0, unused)
        )
        changes.closed += _execute(
            session,
            update(Slot)
            .where(Slot.id.in_(chunk), Slot.capacity != Slot.booked)
            .values(capacity=Slot.booked),
        )
        stranded = session.scalars(
            select(Booking)
            .where(Booking.slot_id.in_(chunk), Booking.status == BookingStatus.ACTIVE)
            .order_by(Booking.id)
        )
        changes.stranded.extend((booking, closing[booking.slot_id]) for booking in stranded)


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    return (ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK))
