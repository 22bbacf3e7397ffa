"""Replayed, late and doubled hops: each side effect happens once, and no stray text acts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from models import Booking, Feedback, Message
from tests.ussd_dial import Dial, known_language, ready_id_number
from ussd.engine import State
from ussd.store import HISTORY, Record

BOOK = ("2", "1", "1", "1", "1", "12345678")  # to the confirm screen
READY = "{ready}"  # replaced by the number of a ready ID card
TWINS = 4  # pairs of simultaneous identical hops, so a race shows up reliably


def _count(db_session, column) -> int:
    db_session.rollback()
    return int(db_session.scalar(select(func.count(column))))


def test_late_replay_of_an_older_hop_returns_its_old_screen(client, seeded, db_session):
    dial = Dial(client)
    dial.start()
    id_screen = dial.send(*BOOK[:-1])
    dial.send(BOOK[-1])
    assert "Confirm" in dial.last
    assert dial.post("*".join(dial.inputs[:-1])) == id_screen  # the time choice, arriving late
    assert _count(db_session, Booking.id) == 0
    assert "Booked" in dial.send("1")


def test_replayed_dial_returns_the_first_screen(client, seeded):
    dial = Dial(client)
    first = dial.post("")  # a first dial: the choice of language
    dial.send("1", "2", "1", "1")
    assert dial.post("") == first and "Invalid" not in first


def test_first_screen_survives_a_long_session(client, seeded):
    dial = Dial(client)
    first = dial.post("")
    dial.send("1")
    for _ in range(10):
        dial.send("2", "0")
    assert dial.post("") == first


def test_history_is_bounded_and_keeps_the_dial():
    record = Record(State(), "", "CON first")
    for n in range(20):
        record = record.then(State(), str(n), f"CON {n}")
    assert len(record.earlier) == HISTORY and record.reply_to("") == "CON first"
    assert record.reply_to("18") == "CON 18" and record.reply_to("0") is None
    assert Record.loads(record.dumps()) == record


def test_text_that_does_not_extend_the_last_hop_does_nothing(client, seeded, db_session):
    dial = Dial(client)
    dial.start()
    confirm = dial.send(*BOOK)
    assert dial.post("9*9*1") == confirm
    assert dial.post("2*1*1*1*1*1*1") == confirm  # another time, never shown to this session
    assert _count(db_session, Booking.id) == 0
    assert "Booked" in dial.send("1")


def _twins(app, inputs: tuple[str, ...], last: str) -> list[tuple[str, str]]:
    dials = [Dial(app.test_client(), session_id=f"twin-{n}", phone=f"+2547110002{n:02d}")
             for n in range(TWINS)]  # fmt: skip
    for dial in dials:
        dial.start()
        dial.send(*inputs)
    barrier = Barrier(2 * TWINS)

    def post(dial: Dial) -> str:
        barrier.wait(timeout=30)
        return dial.post("*".join([*dial.inputs, last]))

    with ThreadPoolExecutor(2 * TWINS) as pool:
        bodies = list(pool.map(post, [d for d in dials for _ in range(2)]))
    return list(zip(bodies[::2], bodies[1::2], strict=True))


@pytest.mark.committed  # hops race in threads
def test_simultaneous_identical_confirmations_book_once(seeded, db_session):
    pairs = _twins(seeded, BOOK, "1")
    for first, second in pairs:
        assert "Booked" in first and first == second
    assert _count(db_session, Booking.id) == TWINS


@pytest.mark.committed  # hops race in threads
def test_simultaneous_identical_feedback_is_stored_once(seeded, db_session):
    pairs = _twins(seeded, ("4", "1", "1", "1", "4"), "Friendly staff")
    for first, second in pairs:
        assert "Thank you" in first and "Thank you" in second
    assert _count(db_session, Feedback.id) == TWINS


LOST = {  # inputs up to a screen that acts, the input that would act, and what must not exist
    "booking": (BOOK, "1", Booking.id),
    "feedback": (("4", "1", "1", "1", "5"), "Great", Feedback.id),
    "status sms": (("1", READY), "1", Message.id),
}


@pytest.mark.parametrize("journey", sorted(LOST))
def test_a_lost_session_is_rebuilt_without_side_effects(seeded, db_session, journey):
    inputs, act, made = LOST[journey]
    inputs = tuple(ready_id_number(db_session) if step == READY else step for step in inputs)
    known_language(db_session)  # a caller who chose before: a rebuild starts at the main menu
    dial = Dial(seeded.test_client())
    dial.start()
    screen = dial.send(*inputs)
    seeded.extensions["huduma"].redis.flushdb()  # Redis lost every session
    assert dial.send(act) == screen
    assert _count(db_session, made) == 0
    dial.send(act)
    assert _count(db_session, made) == 1


def test_a_lost_cancellation_is_not_carried_out(client, seeded, db_session):
    booker = Dial(client, session_id="booker")
    booker.start()
    booker.send(*BOOK, "1")
    lost = Dial(client, session_id="lost")
    lost.inputs = ["3", "1", "1"]
    assert "Cancel" in lost.send("1") and _count(db_session, Booking.id) == 1
    assert db_session.scalars(select(Booking.status)).one() == "ACTIVE"
