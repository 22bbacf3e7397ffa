"""Every journey end to end over HTTP, in AT's form protocol, in both languages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import Booking, Document, DocumentStatus, Feedback, Message, Slot
from tests.ussd_dial import PHONE, Dial

BOOK = ("2", "1", "1", "1", "1", "1", "12345678")  # Replacement ID, first county/centre/day/time


def _book(client, session_id: str) -> str:
    dial = Dial(client, session_id=session_id)
    dial.start()
    return dial.send(*BOOK, "1")


def _ready_document(db_session):
    query = select(Document).where(Document.status == DocumentStatus.READY_FOR_COLLECTION)
    return db_session.scalars(query.where(Document.kind == "ID_CARD")).first()


@pytest.mark.parametrize(("lang", "word"), [("1", "ready for collection"), ("2", "kiko tayari")])
def test_status_of_a_ready_id_card_and_sms(client, seeded, db_session, lang, word):
    document = _ready_document(db_session)
    dial = Dial(client)
    dial.start()
    dial.send("6", lang, "1", "1", document.reference.removeprefix("HK-ID-"))
    assert word in dial.last and document.reference not in dial.last
    assert dial.send("1").startswith("END ")
    assert (
        db_session.scalar(select(func.count(Message.id)).where(Message.kind == "status_sms")) == 1
    )


def test_unknown_reference_says_not_found(client, seeded):
    dial = Dial(client)
    dial.start()
    assert "Not found" in dial.send("1", "1", "999999999")


def test_status_lookups_lock_out_after_misses(client, seeded):
    for n in range(3):
        dial = Dial(client, session_id=f"miss-{n}")
        dial.start()
        dial.send("1", "1", "1111", "2222")
    dial = Dial(client, session_id="after")
    dial.start()
    assert "Too many lookups" in dial.send("1", "1", "HK-ID-100001")


@pytest.mark.parametrize(("lang", "word"), [("1", "Booked"), ("2", "imethibitishwa")])
def test_booking_takes_a_seat_and_queues_a_receipt(client, seeded, db_session, lang, word):
    dial = Dial(client)
    dial.start()
    dial.send("6", lang, *BOOK)
    assert "****5678" in dial.last
    assert word in dial.send("1") and dial.last.startswith("END ")
    booking = db_session.scalars(select(Booking)).one()
    receipt = db_session.scalars(select(Message).where(Message.booking_id == booking.id)).one()
    assert booking.slot.booked == 1 and booking.reference in receipt.body
    assert len(receipt.body) <= 160 and booking.id_number_masked == "****5678"


def test_third_booking_is_refused(client, seeded):
    for n, time in enumerate(("1", "2", "3")):
        dial = Dial(client, session_id=f"b-{n}")
        dial.start()
        dial.send("2", "1", "1", "1", str(n + 1) if n < 2 else "1", time, "12345678", "1")
    assert "2 upcoming" in dial.last


def test_my_appointments_cancel_frees_the_seat(client, seeded, db_session):
    _book(client, "a")
    mine = Dial(client, session_id="b")
    mine.start()
    mine.send("3", "1", "1")
    assert "cancelled" in mine.send("1")
    assert db_session.scalar(select(func.sum(Slot.booked))) == 0
    kinds = set(db_session.scalars(select(Message.kind)))
    assert kinds == {"booking_receipt", "booking_cancelled"}


def test_feedback_for_another_centre(client, seeded, db_session):
    dial = Dial(client)
    dial.start()
    dial.send("4", "1", "1", "1", "5", "Quick service")
    assert "Thank you" in dial.last
    assert db_session.scalars(select(Feedback)).one().rating == 5


def test_verify_a_genuine_and_a_fake_code(client, seeded, db_session):
    _book(client, "sess-1")
    code = db_session.scalars(select(Message.verification_code)).one()
    check = Dial(client, session_id="v")
    check.start()
    assert "Genuine" in check.send("5", code.lower())
    fake = Dial(client, session_id="f")
    fake.start()
    assert "NOT from Huduma" in fake.send("5", "ZZZZZZ")


def test_language_is_remembered_per_phone(client, seeded):
    first = Dial(client, session_id="l1")
    first.start()
    first.send("6", "2")
    assert "Angalia hali" in Dial(client, session_id="l2").start()


def test_replayed_confirmation_books_once(client, seeded, db_session):
    dial = Dial(client)
    dial.start()
    dial.send(*BOOK)
    first = dial.send("1")
    assert dial.post("*".join(dial.inputs)) == first
    assert db_session.scalar(select(func.count(Booking.id))) == 1


def test_dropped_session_resumes_on_the_same_screen(client, seeded):
    dial = Dial(client, session_id="drop")
    dial.start()
    screen = dial.send("2", "1")
    again = Dial(client, session_id="redial")
    assert "Continue" in again.start()
    assert again.send("1") == screen


def test_callback_needs_the_token(client):
    response = client.post("/ussd", data={"sessionId": "x", "phoneNumber": PHONE, "text": ""})
    assert response.status_code == 403


def test_session_end_event_is_stored_once(client, seeded, db_session):
    from models import UssdSessionEvent

    dial = Dial(client, session_id="ev")
    dial.start()
    dial.send("2")
    form = {
        "sessionId": "ev",
        "phoneNumber": PHONE,
        "serviceCode": "*384*1919#",
        "networkCode": "63902",
        "status": "Incomplete",
        "date": "2026-11-23 10:00:00",
    }
    for _ in range(2):
        assert client.post("/ussd/events?token=test-callback-token", data=form).status_code == 200
    event = db_session.scalars(select(UssdSessionEvent)).one()
    assert event.last_screen == "book.service" and event.phone_hash != PHONE


def test_reschedule_moves_the_booking_with_choices_filled_in(client, seeded, db_session):
    _book(client, "r1")
    change = Dial(client, session_id="r2")
    change.start()
    change.send("3", "1", "2", "1", "2")
    assert "****5678" in change.last
    assert "Booked" in change.send("1")
    statuses = sorted(db_session.scalars(select(Booking.status)))
    assert (
        statuses == ["ACTIVE", "CANCELLED"]
        and db_session.scalar(select(func.sum(Slot.booked))) == 1
    )
