"""Every journey end to end over HTTP, in AT's form protocol, in both languages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import create_app
from models import (
    Booking,
    Document,
    DocumentStatus,
    Feedback,
    LanguagePreference,
    Message,
    Slot,
)  # fmt: skip
from tests.ussd_dial import PHONE, Dial
from ussd.store import store_for


def _store(app):
    found = app.extensions["huduma"]
    return store_for(found.settings, found.redis)


NAIROBI = ZoneInfo("Africa/Nairobi")
LANGS = {"en": "1", "sw": "2"}  # choices on the language screen
# Replacement ID card, Nairobi (most centres), its first centre, the earliest time, an ID number
BOOK = ("2", "1", "1", "1", "1", "12345678")


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
    dial.send("6", lang, "1", document.reference.removeprefix("HK-ID-"))
    assert word in dial.last and document.reference not in dial.last
    assert dial.send("1").startswith("END ")
    assert (
        db_session.scalar(select(func.count(Message.id)).where(Message.kind == "status_sms")) == 1
    )


def test_unknown_reference_says_not_found(client, seeded):
    dial = Dial(client)
    dial.start()
    assert "Not found" in dial.send("1", "999999999")


def test_status_lookups_lock_out_after_misses(client, seeded):
    for n in range(3):
        dial = Dial(client, session_id=f"miss-{n}")
        dial.start()
        dial.send("1", "1111", "2222")
    dial = Dial(client, session_id="after")
    dial.start()
    assert "Too many lookups" in dial.send("1", "HK-ID-100001")


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


def test_third_booking_is_refused_when_booking_starts(client, seeded):
    assert "Booked" in _book(client, "b-1")
    dial = Dial(client, session_id="b-2")
    dial.start()
    # Birth certificate, the centre of last time, the earliest time, the same ID number
    assert "Booked" in dial.send("2", "3", "1", "1", "1")
    dial = Dial(client, session_id="b-3")
    dial.start()
    assert "2 upcoming" in dial.send("2")


def _dial_in(client, session_id: str, lang: str) -> Dial:
    """Start a session and choose the language first (it also proves the choice sticks)."""
    dial = Dial(client, session_id=session_id)
    dial.start()
    dial.send("6", LANGS[lang])
    return dial


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Your appointments", "Cancel HKA-", "is cancelled")),
    ("sw", ("Miadi yako", "Ghairi HKA-", "imeghairiwa")),
])  # fmt: skip
def test_my_appointments_cancel_frees_the_seat(client, seeded, db_session, lang, words):
    _book(client, "a")
    mine = _dial_in(client, "b", lang)
    listing, question, done = words
    assert listing in mine.send("3") and question in mine.send("1", "1")
    assert done in mine.send("1")
    assert db_session.scalar(select(func.sum(Slot.booked))) == 0
    cancelled = db_session.scalars(select(Message).where(Message.kind == "booking_cancelled")).one()
    assert cancelled.language == lang and (lang == "en") == ("cancelled" in cancelled.body)


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Feedback on which visit?", "Rate the service", "Thank you")),
    ("sw", ("Maoni kuhusu ziara ipi?", "Kadiria huduma", "Asante")),
])  # fmt: skip
def test_feedback_for_another_centre(client, seeded, db_session, lang, words):
    dial = _dial_in(client, "fb", lang)
    which, rate, thanks = words
    assert which in dial.send("4") and rate in dial.send("1", "1", "1")
    assert thanks in dial.send("5", "Quick service")
    feedback = db_session.scalars(select(Feedback)).one()
    assert feedback.rating == 5 and feedback.comment == "Quick service"


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Enter the code", "Genuine Huduma SMS", "it is fake")),
    ("sw", ("Weka msimbo", "SMS halali ya Huduma", "ni bandia")),
])  # fmt: skip
def test_verify_a_genuine_and_a_fake_code(client, seeded, db_session, lang, words):
    _book(client, "sess-1")
    code = db_session.scalars(select(Message.verification_code)).one()
    ask, genuine, fake = words
    check = _dial_in(client, "v", lang)
    assert ask in check.send("5") and genuine in check.send(code.lower())
    assert fake in _dial_in(client, "f", lang).send("5", "ZZZZZZ")


@pytest.mark.parametrize(("lang", "word"), [("en", "Check document status"),
                                            ("sw", "Angalia hali")])  # fmt: skip
def test_language_is_remembered_per_phone(client, seeded, db_session, lang, word):
    other = "sw" if lang == "en" else "en"
    _dial_in(client, "l0", other)
    assert word in _dial_in(client, "l1", lang).last
    assert word in Dial(client, session_id="l2").start()
    query = select(LanguagePreference.language).where(LanguagePreference.phone == PHONE)
    assert db_session.scalar(query) == lang


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


@pytest.mark.parametrize("path", ["/ussd", "/ussd/events", "/ussd?token=wrong"])
def test_callbacks_need_the_token(client, path):
    response = client.post(path, data={"sessionId": "x", "phoneNumber": PHONE, "text": ""})
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


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ("Choose a date", "Booked")),
    ("sw", ("Chagua tarehe", "imethibitishwa")),
])  # fmt: skip
def test_reschedule_moves_the_booking_with_choices_filled_in(
    client, seeded, db_session, lang, words
):
    _book(client, "r1")
    change = _dial_in(client, "r2", lang)
    dates, booked = words
    assert dates in change.send("3", "1", "2")
    assert "****5678" in change.send("2", "2")  # the first date, its second time
    assert booked in change.send("1")
    statuses = sorted(db_session.scalars(select(Booking.status)))
    assert (
        statuses == ["ACTIVE", "CANCELLED"]
        and db_session.scalar(select(func.sum(Slot.booked))) == 1
    )


RESCHEDULE = ("3", "1", "2")  # My appointments, the first, change date or time
# Birth certificate at the centre of last time, the earliest time: the ID number is known
OTHER_SERVICE = ("2", "3", "1", "1")
LEAVE = {
    "home": (*RESCHEDULE, "00"),
    "back": (*RESCHEDULE, "0", "0", "0"),
    "cancel on confirm": (*RESCHEDULE, "2", "2", "2"),
}


@pytest.mark.parametrize("leave", sorted(LEAVE))
def test_leaving_a_reschedule_leaves_nothing_behind(client, seeded, db_session, leave):
    _book(client, "first")
    dial = Dial(client, session_id="second")
    dial.start()
    dial.send(*LEAVE[leave])
    assert "Huduma Kenya" in dial.last
    assert "ID ****5678" in dial.send(*OTHER_SERVICE)
    assert "Booked" in dial.send("1")
    statuses = db_session.scalars(select(Booking.status))
    assert list(statuses) == ["ACTIVE", "ACTIVE"]


def test_a_day_that_fills_up_says_so_and_offers_the_other_dates(app, client, seeded, db_session):
    dial = Dial(client)
    dial.start()
    dial.send("2", "1", "1", "1", "2", "1", "12345678")  # the first date, its first time
    state = _store(app).last_state("sess-1")
    chosen = db_session.get(Slot, int(state.data["slot"]))
    same = (Slot.centre_id == chosen.centre_id, Slot.service_id == chosen.service_id)
    for slot in db_session.scalars(select(Slot).where(*same)):
        if slot.starts_at.astimezone(NAIROBI).date().isoformat() == state.data["day"]:
            slot.booked = slot.capacity
    db_session.commit()
    screen = dial.send("1")
    assert "just taken" in screen and "Choose a date" in screen
    assert state.data["day"] not in _store(app).last_state("sess-1").values


def test_a_taken_booking_reference_is_replaced(client, seeded, db_session, monkeypatch):
    _book(client, "first")
    taken = db_session.scalars(select(Booking.reference)).one()
    refs = iter([taken, taken, "HKA-NEW99"])
    monkeypatch.setattr("services.bookings.booking_reference", lambda: next(refs))
    dial = Dial(client, session_id="second")
    dial.start()
    # First ID card at the centre of last time, the earliest time, a birth certificate number
    assert "HKA-NEW99" in dial.send("2", "2", "1", "1", "12345678", "1")


@pytest.mark.parametrize(("lang", "rule"), [("1", "Type the code"), ("2", "Andika msimbo")])
def test_verify_says_what_to_type_when_it_is_no_code(client, seeded, lang, rule):
    dial = Dial(client)
    dial.start()
    dial.send("6", lang, "5")
    assert rule in dial.send("ABC")
    assert rule not in dial.send("ABCD") and dial.last.startswith("END ")


@pytest.mark.committed  # a second app, its own connections
def test_verify_checks_are_limited_per_phone(app, settings):
    limited = create_app(settings.with_overrides(ussd_verify_checks_per_hour=2))
    screens = []
    for n in range(3):
        dial = Dial(limited.test_client(), session_id=f"v-{n}")
        dial.start()
        screens.append(dial.send("5", "ZZZZZZ"))
    assert all("it is fake" in s for s in screens[:2])
    assert "Too many lookups" in screens[2]
    limited.extensions["huduma"].engine.dispose()
