"""Kiswahili reads naturally: no clashing labels, nouns and verbs agree, resume says what."""

from __future__ import annotations

from sqlalchemy import select

from models import Centre, Document, Message, utcnow
from tests.conftest import TEST_TOKEN
from tests.ussd_dial import PHONE, Dial
from words.i18n import say


def test_verify_is_not_worded_like_confirm():
    assert not say("sw", "Verify an SMS").startswith(say("sw", "Confirm"))


def test_ready_for_collection_says_where_with_katika(client, seeded, db_session):
    centre = db_session.scalars(select(Centre).where(Centre.code == "NAKURU")).one()
    db_session.add(Document(reference="HK-ID-482913", kind="ID_CARD", owner_phone=PHONE,
                            status="READY_FOR_COLLECTION", centre=centre,
                            status_changed_at=utcnow()))  # fmt: skip
    db_session.commit()
    dial = Dial(client, lang="sw")
    dial.start()
    assert "kuchukuliwa katika Huduma Centre Nakuru" in dial.send("1", "HK-ID-482913")


def test_the_booking_limit_says_ghairi_moja():
    assert "Ghairi moja" in say("sw", "You already have {limit} upcoming appointments. "
                                      "Cancel one first.", limit=2)  # fmt: skip


def test_a_status_sms_agrees_with_its_subject(client, seeded, db_session):
    db_session.add(Document(reference="HK-ID-482914", kind="ID_CARD", owner_phone=PHONE,
                            status="SUBMITTED", status_changed_at=utcnow()))  # fmt: skip
    db_session.commit()
    form = {"from": PHONE, "to": "1919", "text": "HALI HK-ID-482914", "id": "in-1"}
    client.post(f"/sms/inbound?token={TEST_TOKEN}", data=form)
    reply = db_session.scalars(select(Message.body)).one()
    assert "Kitambulisho" not in reply or "kimepokelewa" in reply, reply
    assert "Ombi" not in reply or "limepokelewa" in reply, reply


def test_the_resume_screen_says_what_is_resumed_and_offers_the_menu(client, seeded):
    dropped = Dial(client, session_id="dropped", lang="sw")
    dropped.start()
    dropped.send("2", "1")
    again = Dial(client, session_id="redial").post("")
    assert "Weka miadi" in again and "00." in again, again


def test_the_navigation_under_a_page_is_in_kiswahili(client, seeded):
    dial = Dial(client, lang="sw")
    dial.start()
    services = dial.send("2")
    assert "98.Zaidi" in services and "00.Menyu" in services
    assert "0.Rudi" in dial.send("98")
