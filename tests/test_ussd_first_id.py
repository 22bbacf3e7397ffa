"""A first-time ID applicant has no ID number: the booking asks for the birth certificate's."""

from __future__ import annotations

from sqlalchemy import select

from models import Booking
from tests.ussd_dial import Dial


def _to_proof(dial: Dial, service: str) -> str:
    dial.start()
    dial.send("2")
    dial.pick(service)
    dial.pick("Nairobi")
    dial.send("1", "1")  # the first centre and date
    if "Choose a time" in dial.last:
        dial.send("1")
    return dial.last


def test_a_first_id_applicant_books_with_a_birth_certificate_number(client, seeded, db_session):
    dial = Dial(client)
    asked = _to_proof(dial, "First ID card")
    assert "birth certificate number" in asked and "ID number" not in asked
    confirm = dial.send("30012345")
    assert "Birth certificate ****2345" in confirm
    assert "Booked" in dial.send("1")
    booking = db_session.scalars(select(Booking)).one()
    assert booking.id_number_masked == "****2345" and booking.id_number_hash


def test_other_services_still_ask_for_the_id_number(client, seeded):
    assert "Enter your ID number" in _to_proof(Dial(client), "Replacement ID card")
