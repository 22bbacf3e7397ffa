"""Tickets for the contact centre: repeated failures and inbound help, one open per number."""

from __future__ import annotations

from sqlalchemy import select, update

from models import InboundMessage, Message, Ticket
from tests.conftest import TEST_TOKEN
from tests.sms.conftest import add_message

PHONE = "+254700000041"


def _fail(app, client, db_session, n: int) -> None:
    message_id = add_message(app, recipient=PHONE, idempotency_key=f"fail-{n}")
    db_session.execute(
        update(Message).where(Message.id == message_id).values(status="sent",
                                                               at_message_id=f"ATXid_f{n}")
    )  # fmt: skip
    db_session.commit()
    form = {"id": f"ATXid_f{n}", "status": "Failed", "failureReason": "UserIsInactive"}
    client.post(f"/sms/delivery-reports?token={TEST_TOKEN}", data=form)


def _tickets(db_session, reason: str) -> list[Ticket]:
    db_session.expire_all()
    return list(db_session.scalars(select(Ticket).where(Ticket.reason == reason)))


def test_repeated_delivery_failures_open_one_ticket(app, client, db_session):
    _fail(app, client, db_session, 1)
    _fail(app, client, db_session, 2)
    assert _tickets(db_session, "sms_failing") == []
    _fail(app, client, db_session, 3)
    _fail(app, client, db_session, 4)
    tickets = _tickets(db_session, "sms_failing")
    assert [(t.phone, t.status) for t in tickets] == [(PHONE, "open")]
    assert PHONE not in tickets[0].summary  # the console shows it masked


def _inbound(client, text: str, at_id: str):
    form = {"from": PHONE, "to": "1919", "text": text, "id": at_id, "date": "2026-11-23"}
    return client.post(f"/sms/inbound?token={TEST_TOKEN}", data=form)


def test_help_opens_a_ticket_linked_to_the_inbound_message(client, db_session):
    _inbound(client, "MSAADA", "in-1")
    ticket = _tickets(db_session, "sms_help")[0]
    inbound = db_session.scalars(select(InboundMessage)).one()
    assert (ticket.phone, ticket.inbound_id) == (PHONE, inbound.id)


def test_unmatched_texts_share_the_open_ticket_until_it_is_closed(client, db_session):
    _inbound(client, "my ID is lost", "in-1")
    _inbound(client, "HELP", "in-2")
    assert len(_tickets(db_session, "sms_help")) == 1
    db_session.execute(update(Ticket).values(status="closed"))
    db_session.commit()
    _inbound(client, "still lost", "in-3")
    assert [t.status for t in _tickets(db_session, "sms_help")] == ["closed", "open"]


def test_keywords_that_act_open_no_ticket(client, db_session):
    _inbound(client, "STOP", "in-1")
    _inbound(client, "STATUS HK-ID-1", "in-2")
    assert _tickets(db_session, "sms_help") == []
