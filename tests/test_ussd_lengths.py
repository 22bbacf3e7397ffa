"""How many inputs each journey takes, counted from the dial (paging and language included).

Targets: at most 6 inputs to book for a returning caller, at most 8 for a new caller in any
county, Nairobi included; status, cancelling and feedback as short as they are today or shorter.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Booking, Centre, Slot, utcnow
from tests.ussd_dial import PHONE, Dial, known_language, ready_id_number

SERVICE = "Replacement ID card"


def _walk(dial: Dial, *steps: str) -> int:
    """Follow `steps` (an option's label, or `=text` typed as is); return the inputs used."""
    dial.start()
    for step in steps:
        if step.startswith("="):
            dial.send(step[1:])
        else:
            dial.pick(step)
    return len(dial.inputs)


def test_a_first_dial_offers_both_languages_at_once(client, seeded):
    dial = Dial(client, phone="+254711000301")
    first = dial.post("")
    assert "1. English" in first and "2. Kiswahili" in first
    assert "Angalia hali" in dial.send("2")


@pytest.mark.parametrize("county", ["Nairobi", "West Pokot", "Tharaka-Nithi"])
def test_a_new_caller_books_in_at_most_eight_inputs(client, seeded, county):
    dial = Dial(client, phone="+254711000302")
    steps = ("Book appointment", SERVICE, f"={county[:5]}", "Huduma Centre", "Earliest")
    if county == "West Pokot":  # one centre there: no list of centres
        steps = (*steps[:3], "Earliest")
    used = _walk(dial, *steps, "=12345678", "Confirm")
    assert "Booked" in dial.last and used <= 8, (used, dial.inputs)


def test_a_returning_caller_books_in_at_most_six_inputs(client, seeded):
    first = Dial(client, session_id="before", phone="+254711000303")
    _walk(first, "Book appointment", SERVICE, "=Nakur", "Earliest", "=12345678", "Confirm")
    assert "Booked" in first.last
    dial = Dial(client, session_id="again", phone="+254711000303")
    used = _walk(dial, "Book appointment", SERVICE, "Huduma Centre Nakuru", "Earliest", "Confirm")
    assert "Booked" in dial.last and used <= 6, (used, dial.inputs)


def test_status_takes_two_inputs(client, seeded, db_session):
    known_language(db_session)
    dial = Dial(client)
    used = _walk(dial, "Check document status", "=" + ready_id_number(db_session))
    assert "ready" in dial.last and used == 2


def test_cancelling_takes_four_inputs(client, seeded):
    _walk(Dial(client, session_id="b"), "Book appointment", SERVICE, "=Nakur", "Earliest",
          "=12345678", "Confirm")  # fmt: skip
    dial = Dial(client, session_id="c")
    used = _walk(dial, "My appointments", "HKA-", "Cancel appointment", "Yes")
    assert "cancelled" in dial.last and used == 4


def test_feedback_on_a_recent_visit_takes_four_inputs(client, seeded, db_session):
    centre = db_session.scalars(select(Centre).where(Centre.code == "NAKURU")).one()
    slot = Slot(centre=centre, service_id=1, starts_at=utcnow() - timedelta(days=2), capacity=1)
    db_session.add(Booking(reference="HKA-PAST1", phone=PHONE, slot=slot))
    db_session.commit()
    known_language(db_session)
    dial = Dial(client)
    used = _walk(dial, "Give feedback", "Nakuru", "Good", "=1")
    assert "Thank you" in dial.last and used == 4
