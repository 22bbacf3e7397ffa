"""Citizen reports and dashboards."""

from __future__ import annotations

from sqlalchemy import select

from models import Feedback, InboundMessage, Message, Role, Ticket
from tests.staff.conftest import post


def test_dashboard_draws_charts_from_seeded_data(seeded, as_role):
    page = as_role(Role.AGENT).get("/staff/dashboard?day=2026-11-24").get_data(as_text=True)
    assert page.count("<svg") >= 2
    assert "Documents uncollected per centre" in page


def test_feedback_average_per_centre(seeded, as_role, db_session):
    for rating in (2, 5):
        db_session.add(Feedback(centre_id=1, service_id=1, rating=rating, phone_hash="h"))
    db_session.commit()
    page = as_role(Role.AGENT).get("/staff/feedback?centre=1").get_data(as_text=True)
    assert "<td>3.5</td><td>2</td>" in page


def test_unmatched_inbound_is_listed(as_role, db_session):
    db_session.add_all(
        [
            InboundMessage(
                at_id="1", phone="+254712000001", to="1919", text="nisaidie", matched=False
            ),
            InboundMessage(at_id="2", phone="+254712000002", to="1919", text="STOP", matched=True),
        ]
    )
    db_session.commit()
    page = as_role(Role.AGENT).get("/staff/inbound").get_data(as_text=True)
    assert "nisaidie" in page and "STOP" not in page


def test_agent_closes_a_ticket_with_a_note(as_role, db_session):
    db_session.add(Ticket(reason="help", phone="+254712000001", summary="asked for help"))
    db_session.commit()
    client = as_role(Role.AGENT)
    post(client, "/staff/tickets/1/close", note="Called; will collect Friday.")
    db_session.expire_all()
    ticket = db_session.scalars(select(Ticket)).one()
    assert (ticket.status, ticket.note) == ("closed", "Called; will collect Friday.")


def test_ticket_close_needs_a_note(as_role, db_session):
    db_session.add(Ticket(reason="help", phone="+254712000001"))
    db_session.commit()
    post(as_role(Role.AGENT), "/staff/tickets/1/close", note=" ")
    assert db_session.scalars(select(Ticket.status)).one() == "open"


def test_agent_replies_once_per_form_to_a_ticket(as_role, db_session):
    db_session.add(Ticket(reason="help", phone="+254712000001"))
    db_session.commit()
    client = as_role(Role.AGENT)
    for _ in range(2):  # a double click sends one SMS
        post(client, "/staff/tickets/1/reply", body="We will call you today.", nonce="n1")
    messages = db_session.scalars(select(Message)).all()
    assert [(m.recipient, m.kind) for m in messages] == [("+254712000001", "staff_reply")]
