"""Counters: call in order, tell the citizen, finish served or absent; turn-near SMS once."""

from __future__ import annotations

import pytest

from models import BookingStatus, Outcome, VisitStatus
from services.checkin import WalkIn, check_in_booking, check_in_walk_in
from services.queueing import Counter, QueueError, call_next, finish

PHONE = "+254712000001"


def _counter(floor, number: int = 1, service: str | None = None) -> Counter:
    service_id = floor.services[service] if service else None
    return Counter(floor.centres["GPO"], number, service_id, floor.staff_id)


def _call(floor, number: int = 1, service: str | None = None, minutes: float = 0):
    desk, counter = floor.desk(minutes), _counter(floor, number, service)
    day = desk.now.astimezone(desk.tz).date()
    return floor.run(lambda work: call_next(work, counter, day, desk.now))


def _finish(floor, visit_id: int, outcome: Outcome | None):
    return floor.run(lambda work: finish(work, visit_id, outcome, staff_id=floor.staff_id,
                                         now=floor.now))  # fmt: skip


def _walk_in(floor, key: str, minutes: float = 0, phone=None, service="ID_REPLACEMENT", lang="en"):
    asked = WalkIn(floor.services[service], phone, lang, key)
    return floor.run(lambda work: check_in_walk_in(work, asked, floor.desk(minutes)))


def _check_in(floor, reference: str, minutes: float = 0):
    return floor.run(lambda work: check_in_booking(work, reference, floor.desk(minutes)))


def test_counters_call_by_slot_time_then_arrival(floor):
    walker = _walk_in(floor, "w", minutes=-50)  # 14:10, seated at 14:00
    later = _check_in(floor, floor.book("+254712000011", "16:00"), minutes=-40)
    on_time = _check_in(floor, floor.book("+254712000012", "15:00"), minutes=-30)
    called = [_call(floor, number).id for number in (1, 2, 3)]
    assert called == [walker.id, on_time.id, later.id]
    assert _call(floor, 4) is None


def test_a_counter_serving_one_service_calls_only_that_queue(floor):
    _walk_in(floor, "id", minutes=-5)
    pin = _walk_in(floor, "pin", service="KRA_PIN")
    assert _call(floor, 1, "KRA_PIN").id == pin.id


def test_a_counter_finishes_its_ticket_before_calling_again(floor):
    _walk_in(floor, "a"), _walk_in(floor, "b")
    _call(floor, 1)
    with pytest.raises(QueueError) as problem:
        _call(floor, 1)
    assert problem.value.reason == "busy"


def test_the_called_citizen_is_sent_to_the_counter_in_their_language(floor):
    _walk_in(floor, "sw", phone=PHONE, lang="sw")
    _call(floor, 7)
    [called] = [m.body for m in floor.texts(PHONE) if m.kind == "visit_called"]
    assert "Tiketi 001, tafadhali nenda dirisha 7 sasa" in called


def test_served_keeps_the_booking_attended_and_invites_one_rating(floor):
    reference = floor.book(PHONE, "15:00")
    visit = _check_in(floor, reference)
    _call(floor)
    done = _finish(floor, visit.id, Outcome.DONE)
    assert (done.status, done.outcome) == (VisitStatus.SERVED, Outcome.DONE)
    assert floor.booking(reference).status == BookingStatus.ATTENDED
    [invite] = [m.body for m in floor.texts(PHONE) if m.kind == "visit_rate"]
    assert "Reply 1 (very bad) to 5 (very good)" in invite
    with pytest.raises(QueueError):
        _finish(floor, visit.id, Outcome.DONE)  # a second click changes nothing


def test_absent_when_called_frees_the_seat_and_marks_the_booking(floor):
    reference = floor.book(PHONE, "15:00")
    visit = _check_in(floor, reference)
    _call(floor)
    _finish(floor, visit.id, None)
    assert floor.visit(visit.id).status == VisitStatus.NO_SHOW
    assert floor.booking(reference).status == BookingStatus.NO_SHOW
    assert floor.seats(floor.slot("15:00")) == 0
    assert not [m for m in floor.texts(PHONE) if m.kind == "visit_rate"]


def test_only_called_tickets_can_be_finished(floor):
    visit = _walk_in(floor, "w")
    with pytest.raises(QueueError) as problem:
        _finish(floor, visit.id, Outcome.DONE)
    assert problem.value.reason == "not_called"


def test_each_citizen_hears_once_that_their_turn_is_near(floor):
    phones = [f"+25471200005{n}" for n in range(6)]
    for n, phone in enumerate(phones):  # seated two by two at 14:00, 15:00 and 16:00
        _walk_in(floor, f"n{n}", minutes=-55 + n, phone=phone)
    assert not any(_near(floor, p) for p in phones)  # the first four heard it at check-in
    for number in range(1, 4):
        _call(floor, number)
    near = {p: _near(floor, p) for p in phones}
    assert [p for p in phones if near[p]] == phones[4:]
    assert all(texts == [texts[0]] and "People ahead of you: 3" in texts[0]
               for texts in (near[phones[4]], near[phones[5]]))  # fmt: skip


def _near(floor, phone: str) -> list[str]:
    return [m.body for m in floor.texts(phone) if m.kind == "visit_near"]
