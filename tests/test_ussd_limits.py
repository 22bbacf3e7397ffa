"""Per-phone booking limits hold under simultaneous confirmations and count local days."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from threading import Barrier
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import Booking, BookingStatus, Slot
from services import bookings
from tests.ussd_dial import Dial

NAIROBI = ZoneInfo("Africa/Nairobi")
PHONE = "+254711000555"


def _confirm_together(app, paths: list[tuple[str, ...]]) -> list[str]:
    dials = [Dial(app.test_client(), f"limit-{n}", PHONE) for n in range(len(paths))]
    for dial, path in zip(dials, paths, strict=True):
        if "Continue" in dial.start():  # the same phone left another session mid-way
            dial.send("2")
        assert "Confirm" in dial.send(*path, "12345678"), dial.last
    barrier = Barrier(len(dials))

    def confirm(dial: Dial) -> str:
        barrier.wait(timeout=30)
        return dial.send("1")

    with ThreadPoolExecutor(len(dials)) as pool:
        return list(pool.map(confirm, dials))


def _active(db_session) -> int:
    db_session.rollback()
    query = select(func.count(Booking.id)).where(Booking.status == BookingStatus.ACTIVE)
    return int(db_session.scalar(query))


@pytest.mark.committed  # callers race in threads
def test_simultaneous_confirmations_respect_two_active_bookings(seeded, db_session):
    paths = [("2", str(service), "1", "1", "1", "1") for service in (1, 2, 3, 4)]
    screens = _confirm_together(seeded, paths)
    assert sum("Booked" in s for s in screens) == 2, screens
    assert sum("2 upcoming" in s for s in screens) == 2
    assert _active(db_session) == 2


@pytest.mark.committed  # callers race in threads
def test_simultaneous_confirmations_book_a_service_once_a_day(seeded, db_session):
    paths = [("2", "1", "1", "1", "1", str(time)) for time in (1, 2, 3)]
    screens = _confirm_together(seeded, paths)
    assert sum("Booked" in s for s in screens) == 1, screens
    assert sum("booked that day" in s for s in screens) == 2
    assert _active(db_session) == 1


def _slot(db_session, starts_at: datetime) -> Slot:
    first = db_session.scalars(select(Slot).order_by(Slot.id)).first()
    slot = Slot(centre_id=first.centre_id, service_id=first.service_id, starts_at=starts_at,
                capacity=5)  # fmt: skip
    db_session.add(slot)
    db_session.flush()
    return slot


def _book(db_session, slot: Slot, key: str) -> Booking:
    request = bookings.Request(PHONE, slot.id, "****5678", "h", "en", key)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    return bookings.book(db_session, request, now=now, limit=2, tz=NAIROBI)


LOCAL_DAYS = [  # two start times in UTC; whether they fall on the same day in Nairobi
    (datetime(2026, 12, 1, 21, 30, tzinfo=UTC), datetime(2026, 12, 2, 6, tzinfo=UTC), True),
    (datetime(2026, 12, 2, 20, 30, tzinfo=UTC), datetime(2026, 12, 2, 21, 30, tzinfo=UTC), False),
]


@pytest.mark.parametrize(("first", "second", "same_day"), LOCAL_DAYS)
def test_one_service_a_day_counts_local_days(seeded, db_session, first, second, same_day):
    _book(db_session, _slot(db_session, first), "a")
    later = _slot(db_session, second)
    if same_day:
        with pytest.raises(bookings.Refused, match="same_day"):
            _book(db_session, later, "b")
    else:
        assert _book(db_session, later, "b").slot_id == later.id


def _two_bookings(db_session) -> None:
    first = db_session.scalars(select(Slot).order_by(Slot.id)).first()
    other = select(Slot).where(Slot.service_id != first.service_id).order_by(Slot.id)
    for n, slot in enumerate((first, db_session.scalars(other).first())):
        _book(db_session, slot, f"early-{n}")
    db_session.commit()


def test_the_booking_limit_is_told_when_booking_starts(seeded, db_session):
    _two_bookings(db_session)
    dial = Dial(seeded.test_client(), "early", PHONE)
    dial.start()
    screen = dial.send("2")
    assert "2 upcoming" in screen and "Choose a service" not in screen
    assert "Your appointments" in dial.pick("My appointments")


def _miss(app, n: int, limit: int) -> None:
    for attempt in range(limit):
        dial = Dial(app.test_client(), f"miss-{n}-{attempt}", PHONE)
        dial.start()
        dial.send("1", f"HK-ID-99{attempt}")


def test_a_status_lockout_is_told_when_the_journey_starts_with_its_length(seeded):
    limit = seeded.extensions["huduma"].settings.ussd_status_miss_limit
    _miss(seeded, 0, limit)
    dial = Dial(seeded.test_client(), "locked", PHONE)
    dial.start()
    screen = dial.send("1")
    assert screen.startswith("END ") and "30 min" in screen, screen


def test_the_verify_limit_is_told_when_the_journey_starts(seeded):
    limit = seeded.extensions["huduma"].settings.ussd_verify_checks_per_hour
    for n in range(limit):
        dial = Dial(seeded.test_client(), f"v-{n}", PHONE)
        dial.start()
        dial.send("5", "ZZZZZZ")
    dial = Dial(seeded.test_client(), "v-last", PHONE)
    dial.start()
    screen = dial.send("5")
    assert screen.startswith("END ") and "Too many" in screen and " min" in screen, screen
