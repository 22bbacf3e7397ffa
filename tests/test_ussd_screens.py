"""Every screen that waits for input ends politely after three invalid inputs in a row."""

from __future__ import annotations

import uuid

import pytest

from menus.registry import nodes
from models import Document, utcnow
from tests.ussd_dial import Dial, ready_id_number
from ussd.store import store_for


def _store(app):
    found = app.extensions["huduma"]
    return store_for(found.settings, found.redis)


# The walker booked before (the owner's booking): the centre of last time comes first, the
# earliest time, and the ID number shown then is offered again on the confirm screen.
BOOK = ("2", "1", "1", "1")  # to the confirm screen
READY = "{ready}"  # replaced by the number of a ready ID card
TWIN = "990001"  # the number of an ID card and of a passport: the caller says which
# How to reach each screen from the main menu, and three inputs it must refuse.
WALKS = {
    "main": ((), ("99", "", "\u00b2")),
    "status.ref": (("1",), ("99", "", "HK-XX")),
    "status.kind": (("1", TWIN), ("7", "", "\u0661")),
    "status.result": (("1", READY), ("2", "", "\u00b9")),
    "book.service": (("2",), ("99", "", "\u00b2")),
    "book.county": (("2", "1"), ("99", "", "\u00b2")),
    "book.match": (("2", "1", "K"), ("99", "", "\u00b2")),
    "book.centre": (("2", "1", "2"), ("99", "", "\u00b2")),
    "book.day": (("2", "1", "1"), ("99", "", "\u00b2")),
    "book.time": (("2", "1", "1", "2"), ("99", "", "\u00b2")),
    "book.id": ((*BOOK, "3"), ("12", "", "\u0661\u0662\u0663\u0664\u0665\u0666")),
    "book.birth": (("2", "2", "1", "1"), ("12", "", "\u0661\u0662\u0663\u0664\u0665")),
    "book.confirm": (BOOK, ("4", "", "\u00b9")),
    "mine.list": (("3",), ("99", "", "\u00b2")),
    "mine.view": (("3", "1"), ("3", "", "\u00b9")),
    "mine.cancel": (("3", "1", "1"), ("3", "", "\u00b9")),
    "feedback.start": (("4",), ("99", "", "\u00b2")),
    "feedback.county": (("4", "1"), ("99", "", "\u00b2")),
    "feedback.centre": (("4", "1", "1"), ("99", "", "\u00b2")),
    "feedback.rate": (("4", "1", "1", "1"), ("6", "", "\u00b2")),
    "feedback.comment": (("4", "1", "1", "1", "1"), ("", " ", "")),
    "verify.code": (("5",), ("12", "", "\u0661\u0662\u0663\u0664")),
    "language": (("6",), ("3", "", "\u00b9")),
}


def _walk(app, screen, path, bad) -> list[str]:
    dial = Dial(app.test_client(), session_id=uuid.uuid4().hex)
    dial.start()
    dial.send(*path)
    state = _store(app).last_state(dial.session_id)
    assert state is not None and state.screen == screen, (path, dial.last)
    return [dial.send(value) for value in bad]


def test_every_input_screen_has_a_walk():
    input_screens = {id_ for id_, node in nodes().items() if node.handle is not None}
    assert input_screens <= set(WALKS)


@pytest.mark.parametrize("screen", sorted(WALKS))
def test_three_invalid_inputs_end_politely(seeded, db_session, screen):
    owner = Dial(seeded.test_client(), session_id="owner")
    owner.start()
    owner.send("2", "1", "1", "1", "1", "12345678", "1")  # an appointment to list and cancel
    for kind, prefix in (("ID_CARD", "HK-ID-"), ("PASSPORT", "HK-PP-")):
        db_session.add(Document(reference=prefix + TWIN, kind=kind, owner_phone=owner.phone,
                                status="PROCESSING", status_changed_at=utcnow()))  # fmt: skip
    db_session.commit()
    path, bad = WALKS[screen]
    path = tuple(ready_id_number(db_session) if step == READY else step for step in path)
    first, second, third = _walk(seeded, screen, path, bad)
    assert first.startswith("CON ") and second.startswith("CON "), (first, second)
    assert third.startswith("END ") and "Too many invalid" in third, third


def test_resume_screen_ends_after_three_invalid_inputs(client, seeded):
    dropped = Dial(client, session_id="dropped")
    dropped.start()
    dropped.send("2", "1")
    again = Dial(client, session_id="redial")
    assert "Continue" in again.start()
    screens = [again.send(value) for value in ("3", "", "\u00b2")]
    assert screens[1].startswith("CON ") and "Too many invalid" in screens[2]
