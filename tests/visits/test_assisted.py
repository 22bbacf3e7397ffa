"""Assisted booking at the desk: USSD's rules and receipts, recorded with the agent's name."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, Booking, BookingStatus, Role, StaffUser
from tests.dates import NAIROBI
from tests.staff.conftest import csrf

PHONE = "+254712000001"


@pytest.fixture()
def agent(live_floor, staff_at):
    return staff_at(Role.AGENT, live_floor.centres["GPO"], "gpo-agent")


@pytest.fixture()
def tomorrow(live_floor):
    """Two slots of tomorrow at GPO, 09:00 and 10:00."""
    day = (live_floor.now + timedelta(days=1)).astimezone(NAIROBI).date()
    start = datetime.combine(day, time(9), NAIROBI)
    return live_floor.add_slot(start), live_floor.add_slot(start + timedelta(hours=1))


def _book(client, slot: int, nonce: str = "n1", **extra):
    data = {"phone": "0712000001", "slot": slot, "id_number": "12345678", "language": "sw",
            "nonce": nonce, **extra}  # fmt: skip
    token = csrf(client, "/staff/assisted/")
    return client.post("/staff/assisted/book", data={**data, "csrf_token": token})


def _bookings(floor) -> list[Booking]:
    with floor.session() as session:
        return list(session.scalars(select(Booking).order_by(Booking.id)))


def test_an_agent_books_with_the_receipt_and_their_name(agent, live_floor, tomorrow):
    assert _book(agent, tomorrow[0]).status_code == 302
    [booking] = _bookings(live_floor)
    assert (booking.channel, booking.phone, booking.id_number_masked) == ("desk", PHONE, "****5678")
    assert live_floor.seats(tomorrow[0]) == 1
    [receipt] = live_floor.texts(PHONE)
    assert receipt.kind == "booking_receipt" and "Miadi imethibitishwa" in receipt.body
    with live_floor.session() as session:
        agent_row = session.get(StaffUser, booking.booked_by_id)
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "desk_book")).one()
    assert agent_row.username == "gpo-agent" and audit.target == f"booking:{booking.reference}"
    page = agent.get("/staff/assisted/?phone=0712000001").get_data(as_text=True)
    assert "booked at the desk by Gpo-Agent" in page


def test_a_resubmitted_form_books_once(agent, live_floor, tomorrow):
    _book(agent, tomorrow[0], nonce="same"), _book(agent, tomorrow[0], nonce="same")
    assert len(_bookings(live_floor)) == 1 and live_floor.seats(tomorrow[0]) == 1


def test_the_desk_keeps_the_ussd_limits(agent, live_floor, tomorrow):
    _book(agent, tomorrow[0], nonce="a")
    answer = _book(agent, tomorrow[1], nonce="b")  # the same service on the same day
    page = agent.get(answer.headers["Location"]).get_data(as_text=True)
    assert "already has this service booked on that day" in page
    assert len(_bookings(live_floor)) == 1


def test_a_wrong_id_number_books_nothing(agent, live_floor, tomorrow):
    _book(agent, tomorrow[0], id_number="12ab")
    assert _bookings(live_floor) == []


def test_moving_keeps_the_id_and_frees_the_old_seat(agent, live_floor, tomorrow):
    _book(agent, tomorrow[0], nonce="a")
    [old] = _bookings(live_floor)
    _book(agent, tomorrow[1], nonce="b", id_number="", replaces=old.id)
    moved, new = _bookings(live_floor)
    assert moved.status == BookingStatus.CANCELLED and new.status == BookingStatus.ACTIVE
    assert new.id_number_hash == old.id_number_hash and new.booked_by_id == old.booked_by_id
    assert (live_floor.seats(tomorrow[0]), live_floor.seats(tomorrow[1])) == (0, 1)


def test_cancelling_frees_the_seat_and_sends_the_receipt(agent, live_floor, tomorrow):
    _book(agent, tomorrow[0])
    [booking] = _bookings(live_floor)
    token = csrf(agent, "/staff/assisted/")
    for _ in range(2):  # the second finds nothing active to cancel
        agent.post(
            f"/staff/assisted/{booking.id}/cancel", data={"phone": PHONE, "csrf_token": token}
        )
    assert _bookings(live_floor)[0].status == BookingStatus.CANCELLED
    assert live_floor.seats(tomorrow[0]) == 0
    kinds = [m.kind for m in live_floor.texts(PHONE)]
    assert kinds == ["booking_receipt", "booking_cancelled"]
