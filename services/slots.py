"""Appointment slots for the next working days, inside each centre's hours and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models import Centre, CentreService, Holiday, OpeningHours, Service, Slot

NAIROBI = ZoneInfo("Africa/Nairobi")


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


def _starts(day: date, hours: OpeningHours, minutes: int) -> list[datetime]:
    local = datetime.combine(day, hours.opens, NAIROBI)
    closes = datetime.combine(day, hours.closes, NAIROBI)
    starts = []
    while local + timedelta(minutes=minutes) <= closes:
        starts.append(local.astimezone(UTC))
        local += timedelta(minutes=minutes)
    return starts


def _existing(session: Session, first: date) -> set[tuple[int, int, datetime]]:
    since = datetime.combine(first, datetime.min.time(), NAIROBI)
    rows = session.execute(
        select(Slot.centre_id, Slot.service_id, Slot.starts_at).where(Slot.starts_at >= since)
    )
    return {(c, s, t) for c, s, t in rows}


def extend_slots(session: Session, *, start: date, count: int) -> int:
    """Insert every missing slot of the `count` working days after `start`; return how many."""
    days = working_days(session, start, count)
    existing = _existing(session, days[0]) if days else set()
    offers = session.execute(
        select(CentreService, Service.slot_minutes)
        .join(Service)
        .join(Centre)
        .where(Centre.active, CentreService.active)
    ).all()
    hours = {(h.centre_id, h.weekday): h for h in session.scalars(select(OpeningHours))}
    centre_holidays = select(Holiday.centre_id, Holiday.day).where(Holiday.centre_id.is_not(None))
    closed = {(centre_id, day) for centre_id, day in session.execute(centre_holidays)}
    rows = []
    for offer, minutes in offers:
        for day in days:
            opening = hours.get((offer.centre_id, day.weekday()))
            if opening is None or (offer.centre_id, day) in closed:
                continue
            for starts_at in _starts(day, opening, minutes):
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
