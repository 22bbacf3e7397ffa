"""Check-in: booked citizens by reference, walk-ins with a seat of today's, the arrival rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from models import Booking, BookingStatus
from services.checkin import (
    Refused,
    WalkIn,
    check_in_booking,
    check_in_walk_in,
    normalise_reference,
)
from services.queueing import ahead_of

PHONE, OTHER = "+254712000001", "+254712000002"


def _walk_in(floor, minutes: float, service: str = "ID_REPLACEMENT", key: str = "w1", phone=None):
    asked = WalkIn(floor.services[service], phone, "en", key)
    return floor.run(lambda work: check_in_walk_in(work, asked, floor.desk(minutes)))


def _check_in(floor, reference: str, minutes: float = 0, centre: str = "GPO"):
    return floor.run(lambda work: check_in_booking(work, reference, floor.desk(minutes, centre)))


@pytest.mark.parametrize(
    ("slot", "arrives", "queued_from"),
    [("15:00", 10, "15:00"), ("16:00", 5, "16:00"), ("14:00", 0, "15:00")],
    ids=["on time keeps the slot's start", "early waits for the slot", "late queues on arrival"],
)
def test_a_booking_is_queued_by_the_arrival_rules(floor, slot, arrives, queued_from):
    reference = floor.book(PHONE, slot)
    visit = _check_in(floor, reference, minutes=arrives)
    assert f"{visit.priority_at.astimezone(floor.desk().tz):%H:%M}" == queued_from
    assert floor.booking(reference).status == BookingStatus.ATTENDED


def test_a_late_booking_goes_behind_a_walk_in_who_came_first(floor):
    reference = floor.book(PHONE, "14:00")
    walker = _walk_in(floor, -20)  # 14:40, in the 14:00 slot's last hour
    late = _check_in(floor, reference)  # 15:00, past 14:15
    with floor.session() as session:
        assert ahead_of(session, floor.visit(late.id)) == 1
        assert ahead_of(session, floor.visit(walker.id)) == 0


def test_an_early_arrival_does_not_overtake_an_earlier_slot(floor):
    early = _check_in(floor, floor.book(PHONE, "16:00"), minutes=-30)
    on_time = _check_in(floor, floor.book(OTHER, "15:00"), minutes=-10)
    with floor.session() as session:
        assert ahead_of(session, floor.visit(early.id)) == 1
        assert ahead_of(session, floor.visit(on_time.id)) == 0


def test_checking_in_twice_gives_the_same_ticket_and_one_sms(floor):
    reference = floor.book(PHONE, "15:00")
    first, second = _check_in(floor, reference), _check_in(floor, reference.lower(), minutes=2)
    assert (first.id, first.ticket) == (second.id, "001")
    texts = [m.body for m in floor.texts(PHONE) if m.kind == "visit_checked_in"]
    assert len(texts) == 1 and "Ticket 001 at Huduma Centre GPO" in texts[0]


def test_the_ticket_sms_says_how_many_are_ahead_in_the_citizens_language(floor):
    for n in range(2):
        _check_in(floor, floor.book(f"+25471200010{n}", "15:00"))
    asked = WalkIn(floor.services["ID_REPLACEMENT"], PHONE, "sw", "sw-walk-in")
    floor.run(lambda work: check_in_walk_in(work, asked, floor.desk()))  # seated at 16:00
    [text] = [m for m in floor.texts(PHONE) if m.kind == "visit_checked_in"]
    assert "Tiketi 003" in text.body and "Watu walio mbele yako: 2" in text.body
    assert text.verification_code and f"Msimbo {text.verification_code}" in text.body


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"centre": "NAKURU"}, "other_centre"),
        ({"status": BookingStatus.CANCELLED}, "cancelled"),
        ({"status": BookingStatus.NO_SHOW}, "no_show"),
        ({"reference": "HKA-XXXXX"}, "unknown"),
    ],
)
def test_a_booking_that_cannot_check_in_says_why(floor, change, reason):
    reference = floor.book(PHONE, "15:00", centre=change.get("centre", "GPO"))
    if "status" in change:
        with floor.app.extensions["huduma"].session_factory.begin() as session:
            session.execute(update(Booking).values(status=change["status"]))
    with pytest.raises(Refused) as refused:
        _check_in(floor, change.get("reference", reference))
    assert refused.value.reason == reason


def test_a_booking_of_another_day_is_refused(floor):
    reference = floor.book(PHONE, "15:00")
    with pytest.raises(Refused) as refused:
        _check_in(floor, reference, minutes=24 * 60)
    assert refused.value.reason == "other_day"


def test_a_walk_in_takes_a_seat_of_the_running_slot(floor):
    visit = _walk_in(floor, 10, phone=PHONE)
    assert visit.slot_id == floor.slot("15:00") and floor.seats(floor.slot("15:00")) == 1
    assert visit.priority_at == floor.now + timedelta(minutes=10)
    assert [m.kind for m in floor.texts(PHONE)] == ["visit_checked_in"]


def test_a_walk_in_waits_for_a_later_slot_when_the_running_one_is_full(floor):
    for n in range(2):
        floor.book(f"+25471200020{n}", "15:00")
    visit = _walk_in(floor, 10)
    assert visit.slot_id == floor.slot("16:00") and visit.priority_at > floor.now + timedelta(
        hours=0.9
    )


def test_no_seat_left_today_means_no_ticket(floor):
    for n, at in enumerate(("15:00", "15:00", "16:00", "16:00")):
        floor.book(f"+25471200030{n}", at)
    with pytest.raises(Refused) as refused:
        _walk_in(floor, 10)
    assert refused.value.reason == "no_seat"


def test_a_resubmitted_walk_in_form_gives_one_ticket_and_takes_one_seat(floor):
    first, again = _walk_in(floor, 0, key="same"), _walk_in(floor, 1, key="same")
    assert first.id == again.id and floor.seats(floor.slot("15:00")) == 1


def test_ticket_numbers_count_up_per_centre_and_day(floor):
    numbers = [_walk_in(floor, 0, key=f"k{n}").ticket for n in range(3)]
    other = floor.run(
        lambda work: check_in_walk_in(
            work, WalkIn(floor.services["KRA_PIN"], None, "en", "n1"), floor.desk(0, "NAKURU")
        )
    )
    assert numbers == ["001", "002", "003"] and other.ticket == "001"


@pytest.mark.parametrize("typed", ["HKA-7Q4M2", "hka7q4m2", " HKA 7Q4M2 ", "hka-7q4m2."])
def test_a_reference_is_read_however_typed(typed):
    assert normalise_reference(typed) == "HKA-7Q4M2"


def test_a_booking_checked_in_elsewhere_is_not_shown_at_this_desk(floor):
    reference = floor.book(PHONE, "15:00", centre="NAKURU")
    _check_in(floor, reference, centre="NAKURU")
    with pytest.raises(Refused) as refused:
        _check_in(floor, reference)
    assert refused.value.reason == "other_centre"
