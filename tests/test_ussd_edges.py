"""Strict edges: an ended session stays ended; a foreign service code is turned away."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Booking
from tests.conftest import TEST_TOKEN
from tests.ussd_dial import Dial

TO_CONFIRM = ("2", "1", "1", "1", "1", "12345678")


def test_a_session_that_answered_end_acts_on_nothing_after(seeded, client, db_session):
    dial = Dial(client)
    dial.start()
    dial.send(*TO_CONFIRM)
    goodbye = dial.send("9", "9", "9")
    assert goodbye.startswith("END ") and "Goodbye" in goodbye
    assert dial.send("1") == goodbye  # the same END, and no booking made
    assert db_session.scalar(select(func.count(Booking.id))) == 0


def test_a_session_ended_by_a_journey_replies_its_end_to_any_later_hop(seeded, client):
    dial = Dial(client)
    dial.start()
    dial.send("1")
    ended = dial.send("HK-ID-000000")  # a miss keeps the screen; three end it
    ended = dial.send("x", "y")
    assert ended.startswith("END ") and dial.send("1", "1") == ended


def test_a_foreign_service_code_gets_a_polite_end(seeded, client):
    form = {"sessionId": "s-foreign", "serviceCode": "*999#", "phoneNumber": "+254711000001",
            "networkCode": "63902", "text": ""}  # fmt: skip
    body = client.post(f"/ussd?token={TEST_TOKEN}", data=form).get_data(as_text=True)
    assert body.startswith("END ") and "Huduma Kenya" not in body
