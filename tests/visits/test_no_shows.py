"""Bookings nobody checked in for become no-shows after the grace period; walk-ins get the seat."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import select

from jobs.visits import sweep_no_shows
from models import Booking, BookingStatus, Visit, utcnow
from services.checkin import Refused, WalkIn, check_in_booking, check_in_walk_in
from services.visits import mark_no_shows
from tests.dates import NAIROBI
from tests.visits.conftest import GRACE, build


def _sweep(floor, minutes: float):
    moment = floor.now + timedelta(minutes=minutes)
    return floor.run(lambda work: mark_no_shows(work.session, now=moment, grace=GRACE, tz=NAIROBI))


def _walk_in(floor, minutes: float, key: str):
    asked = WalkIn(floor.services["ID_REPLACEMENT"], None, "en", key)
    return floor.run(lambda work: check_in_walk_in(work, asked, floor.desk(minutes)))


def _check_in(floor, reference: str, minutes: float):
    return floor.run(lambda work: check_in_booking(work, reference, floor.desk(minutes)))


def test_a_booking_becomes_a_no_show_only_after_the_grace_period(floor):
    reference = floor.book("+254712000001", "15:00")
    assert _sweep(floor, 14).bookings == 0
    assert floor.booking(reference).status == BookingStatus.ACTIVE
    assert _sweep(floor, 16).bookings == 1
    assert floor.booking(reference).status == BookingStatus.NO_SHOW


def test_a_no_show_frees_the_seat_for_a_walk_in(floor):
    booked = [
        floor.book(f"+25471200001{n}", at) for n, at in enumerate(["15:00"] * 2 + ["16:00"] * 2)
    ]
    _check_in(floor, booked[0], minutes=5)
    with pytest.raises(Refused):
        _walk_in(floor, 20, "before")  # every seat of today's running slots is taken
    assert _sweep(floor, 20).bookings == 1
    assert floor.seats(floor.slot("15:00")) == 1
    visit = _walk_in(floor, 20, "after")
    assert visit.slot_id == floor.slot("15:00") and floor.seats(floor.slot("15:00")) == 2


def test_a_checked_in_booking_is_never_a_no_show(floor):
    reference = floor.book("+254712000001", "15:00")
    _check_in(floor, reference, minutes=-5)
    assert _sweep(floor, 60).bookings == 0
    assert floor.booking(reference).status == BookingStatus.ATTENDED


def test_a_no_show_who_comes_later_is_told_to_walk_in(floor):
    reference = floor.book("+254712000001", "15:00")
    _sweep(floor, 16)
    with pytest.raises(Refused) as refused:
        _check_in(floor, reference, minutes=20)
    assert refused.value.reason == "no_show"


def test_tickets_left_from_an_earlier_day_are_closed(floor):
    visit = _walk_in(floor, 0, "yesterday")
    assert _sweep(floor, 24 * 60).visits == 1
    assert floor.visit(visit.id).status == "no_show"


def test_the_periodic_task_sweeps_on_the_real_clock(app):
    moment = utcnow() - timedelta(minutes=20)
    floor = build(app, moment, (f"{moment.astimezone(NAIROBI):%H:%M}",))
    reference = floor.book("+254712000001", f"{moment.astimezone(NAIROBI):%H:%M}")
    assert sweep_no_shows(app.extensions["huduma"]) == 1
    assert floor.booking(reference).status == BookingStatus.NO_SHOW


def test_check_ins_racing_the_sweep_leave_each_booking_one_thing(floor):
    times = ("15:00", "15:00", "16:00", "16:00")
    references = [floor.book(f"+25471200002{n}", at) for n, at in enumerate(times)]
    barrier = Barrier(len(references) + 1)

    def check_in(reference: str) -> None:
        barrier.wait(timeout=30)
        try:
            _check_in(floor, reference, minutes=70)  # late for 15:00, on time for 16:00
        except Refused:
            pass

    def sweep() -> None:
        barrier.wait(timeout=30)
        _sweep(floor, 70)

    with ThreadPoolExecutor(len(references) + 1) as pool:
        done = [pool.submit(check_in, r) for r in references] + [pool.submit(sweep)]
        for future in done:
            future.result(timeout=60)
    with floor.session() as session:
        for booking in session.scalars(select(Booking)):
            has_visit = session.scalar(select(Visit.id).where(Visit.booking_id == booking.id))
            assert (booking.status == BookingStatus.ATTENDED) == (has_visit is not None)
            assert booking.status in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW)
