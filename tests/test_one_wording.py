"""USSD and SMS tell a document's status the same way, with the same limits on lookups."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Booking, Centre, Document, Message, utcnow
from tests.conftest import TEST_TOKEN
from tests.ussd_dial import PHONE, Dial


def _document(db_session, reference: str, kind: str, status: str) -> None:
    centre = db_session.scalars(select(Centre).where(Centre.code == "NAKURU")).one()
    db_session.add(Document(reference=reference, kind=kind, owner_phone="+254700000088",
                            status=status, centre=centre, status_changed_at=utcnow()))  # fmt: skip
    db_session.commit()


def _ussd(client, typed: str, session: str = "u") -> str:
    dial = Dial(client, session_id=session)
    dial.start()
    return dial.send("1", typed)[4:].split("\n")[0]


def _sms(client, db_session, text: str, n: int = 1) -> str:
    form = {"from": PHONE, "to": "1919", "text": text, "id": f"in-{n}"}
    assert client.post(f"/sms/inbound?token={TEST_TOKEN}", data=form).status_code == 200
    query = select(Message.body).where(Message.kind == "reply").order_by(Message.id.desc())
    return str(db_session.scalars(query).first())


CASES = [
    ("HK-ID-482913", "ID_CARD", "NEEDS_ACTION", "Huduma Centre Nakuru"),
    ("HK-PCC-55120", "GOOD_CONDUCT", "READY_FOR_COLLECTION", "eCitizen"),
    ("HK-PCC-55121", "GOOD_CONDUCT", "AVAILABLE_ON_ECITIZEN", "eCitizen"),
    ("HK-PP-700001", "PASSPORT", "READY_FOR_COLLECTION", "old passport"),
]


@pytest.mark.parametrize(("reference", "kind", "status", "says"), CASES)
def test_status_by_sms_is_the_ussd_answer(client, seeded, db_session, reference, kind, status,
                                          says):  # fmt: skip
    _document(db_session, reference, kind, status)
    screen = _ussd(client, reference)
    reply = _sms(client, db_session, f"STATUS {reference}")
    assert says in screen and screen in reply, (screen, reply)


def test_status_by_sms_takes_the_digits_alone(client, seeded, db_session):
    _document(db_session, "HK-ID-482913", "ID_CARD", "PROCESSING")
    assert "being processed" in _sms(client, db_session, "status 482913")


def test_misses_by_sms_and_ussd_lock_the_number_out_of_both(client, seeded, db_session):
    _document(db_session, "HK-ID-482913", "ID_CARD", "PROCESSING")
    limit = seeded.extensions["huduma"].settings.ussd_status_miss_limit
    for n in range(limit - 1):
        _sms(client, db_session, f"HALI HK-ID-99{n}", n)
    _ussd(client, "HK-ID-990")  # the last miss allowed, on USSD
    reply = _sms(client, db_session, "STATUS HK-ID-482913", 99)
    assert "being processed" not in reply and "min" in reply and "1919" in reply, reply


def test_a_reschedule_sends_one_sms_naming_both_references(client, seeded, db_session):
    booker = Dial(client, session_id="b")
    booker.start()
    booker.send("2", "1", "1", "1", "1", "12345678", "1")
    old = db_session.scalars(select(Booking.reference)).one()
    mover = Dial(client, session_id="m")
    mover.start()
    assert "Booked" in mover.send("3", "1", "2", "2", "2", "1")
    new = db_session.scalars(select(Booking.reference).where(Booking.reference != old)).one()
    sent = db_session.scalars(select(Message.body).order_by(Message.id)).all()
    assert len(sent) == 2 and new in sent[1] and old in sent[1] and "cancelled" in sent[1]
