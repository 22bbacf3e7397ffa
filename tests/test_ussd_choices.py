"""A typed number always means the option the caller saw, even when the data changed since."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from models import Booking, Centre, Slot
from tests.ussd_dial import Dial
from ussd.store import store_for


def _switch_off(db_session, code: str) -> None:
    centre = db_session.scalars(select(Centre).where(Centre.code == code)).one()
    centre.active = False
    db_session.commit()


def _to_centres(dial: Dial, county: str) -> str:
    dial.start()
    dial.send("2", "1")
    return dial.pick(county)


def test_a_centre_switched_off_while_listed_is_never_booked(client, seeded, db_session):
    dial = Dial(client)
    listed = _to_centres(dial, "Baringo")
    assert "1. Huduma Centre Baringo" in listed
    _switch_off(db_session, "BARINGO")
    again = dial.send("1")
    assert "no longer available" in again and "Huduma Centre Baringo" not in again
    assert "1. Huduma Centre Mogotio" in again
    dial.send("1")
    assert "Booked" in dial.book_rest()
    booking = db_session.scalars(select(Booking)).one()
    assert booking.slot.centre.code == "MOGOTIO"


def _shown_slot(app, session_id: str) -> int:
    found = app.extensions["huduma"]
    state = store_for(found.settings, found.redis).last_state(session_id)
    assert state is not None and state.screen == "book.time"
    return int(state.values[0])


@pytest.mark.parametrize("change", ["full", "removed"])
def test_a_time_gone_while_listed_is_refused_on_the_spot(client, seeded, db_session, change):
    dial = Dial(client)
    _to_centres(dial, "Baringo")
    dial.send("1", "2")  # the first centre and date (after the earliest time): the times
    slot_id = _shown_slot(seeded, dial.session_id)
    if change == "full":
        slot = db_session.get(Slot, slot_id)
        slot.booked = slot.capacity
    else:
        db_session.execute(delete(Slot).where(Slot.id == slot_id))
    db_session.commit()
    screen = dial.send("1")
    assert screen.startswith("CON ") and "no longer available" in screen, screen
    assert _shown_slot(seeded, dial.session_id) != slot_id
