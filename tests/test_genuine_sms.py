"""Every SMS carries a short code and says how to check it; a genuine SMS always checks out."""

from __future__ import annotations

from sqlalchemy import select

from models import Booking, Message
from tests.conftest import TEST_TOKEN
from tests.ussd_dial import PHONE, Dial

BOOK = ("2", "1", "1", "1", "1", "12345678", "1")  # Nairobi, first centre, earliest time
DIAL = "*384*1919*5*{code}#"  # straight to "Verify an SMS" with the code typed in


def _feed_ready(app, client, phone: str = "0711000001") -> None:
    key = app.test_cli_runner().invoke(args=["agency", "create-key", "NRB"]).stdout.split()[0]
    update = {"reference": "HK-ID-733001", "kind": "ID_CARD", "status": "READY_FOR_COLLECTION",
              "phone": phone, "centre": "NAKURU"}  # fmt: skip
    answer = client.post("/api/v1/documents/status", json={"updates": [update]},
                         headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert answer.json["accepted"] == 1


def _every_kind_of_sms(app, client) -> None:
    booker = Dial(client, session_id="book")
    booker.start()
    assert "Booked" in booker.send(*BOOK)
    canceller = Dial(client, session_id="cancel")
    canceller.start()
    assert "cancelled" in canceller.send("3", "1", "1", "1")
    form = {"from": PHONE, "to": "1919", "text": "HELP", "id": "in-1"}
    client.post(f"/sms/inbound?token={TEST_TOKEN}", data=form)
    _feed_ready(app, client)


def test_every_sms_carries_a_code_and_how_to_check_it(seeded, client, db_session):
    _every_kind_of_sms(seeded, client)
    messages = db_session.scalars(select(Message)).all()
    assert {m.kind for m in messages} >= {"booking_receipt", "booking_cancelled", "reply", "notice"}
    for message in messages:
        code = message.verification_code
        assert code and DIAL.format(code=code) in message.body, (message.kind, message.body)


def _verify(client, typed: str, phone: str = PHONE, session: str = "v") -> str:
    dial = Dial(client, session_id=session, phone=phone)
    dial.start()
    return dial.send("5", typed)


def test_a_receipt_checks_out_by_its_code_and_by_its_reference(seeded, client, db_session):
    booker = Dial(client, session_id="book")
    booker.start()
    booker.send(*BOOK)
    booking = db_session.scalars(select(Booking)).one()
    code = db_session.scalars(select(Message.verification_code)).one()
    assert "Genuine" in _verify(client, code, session="by-code")
    assert "Genuine" in _verify(client, booking.reference, session="by-ref")
    assert "Genuine" in _verify(client, booking.reference.replace("-", "").lower(), session="x")


def test_the_dial_string_printed_on_an_sms_answers_in_one_go(seeded, client, db_session):
    booker = Dial(client, session_id="book")
    booker.start()
    booker.send(*BOOK)
    code = db_session.scalars(select(Message.verification_code)).one()
    direct = Dial(client, session_id="direct")
    assert "Genuine" in direct.post(f"5*{code}")  # what AT sends for *384*1919*5*CODE#


def test_a_notice_checks_out_by_the_reference_it_names(seeded, client, db_session):
    _feed_ready(seeded, client)
    notice = db_session.scalars(select(Message).where(Message.kind == "notice")).one()
    assert "HK-ID-733001" in notice.body
    assert "Genuine" in _verify(client, "HK-ID-733001")


def test_a_code_never_sent_to_this_number_is_not_confirmed(seeded, client, db_session):
    _feed_ready(seeded, client, phone="0711000777")
    code = db_session.scalars(select(Message.verification_code)).one()
    answer = _verify(client, code)
    assert "Genuine" not in answer and "1919" in answer
