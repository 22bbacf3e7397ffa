"""Citizen reports and dashboards."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import Booking, Feedback, InboundMessage, Message, Role, Slot, Ticket, UssdSessionEvent
from services.reports import (
    bookings_by_day,
    feedback_by_week,
    seat_use_by_day,
    ussd_by_language,
    ussd_by_network,
    ussd_funnel,
)
from tests.dates import MONDAY, TUESDAY, WEDNESDAY
from tests.staff.conftest import post


def test_dashboard_draws_charts_from_seeded_data(seeded, as_role):
    page = as_role(Role.AGENT).get(f"/staff/dashboard?day={TUESDAY}").get_data(as_text=True)
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


def test_a_closed_ticket_gets_no_reply(as_role, db_session):
    db_session.add(Ticket(reason="help", phone="+254712000001", status="closed", note="done"))
    db_session.commit()
    client = as_role(Role.AGENT)
    answer = post(client, "/staff/tickets/1/reply", body="Hello again", nonce="n1")
    assert db_session.scalars(select(Message)).all() == []
    assert "Ticket 1 is closed" in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_feedback_trend_follows_the_service_filter(seeded, db_session):
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    for service_id, rating in ((1, 5), (2, 1)):
        db_session.add(Feedback(centre_id=1, service_id=service_id, rating=rating,
                                phone_hash="h", created_at=now - timedelta(days=1)))  # fmt: skip
    db_session.commit()
    trend = feedback_by_week(db_session, centre_id=None, service_id=2, weeks=2, now=now)
    assert [value for _, value in trend] == [0.0, 1.0]
    everything = feedback_by_week(db_session, centre_id=None, service_id=None, weeks=1, now=now)
    assert everything[0][1] == 3.0


def test_the_feedback_page_trend_uses_the_service(seeded, as_role, db_session):
    db_session.add_all([Feedback(centre_id=1, service_id=s, rating=r, phone_hash="h")
                        for s, r in ((1, 5), (2, 1))])  # fmt: skip
    db_session.commit()
    page = as_role(Role.AGENT).get("/staff/feedback?service=2").get_data(as_text=True)
    start = page.index("Average rating per week")
    bars = page[start : page.index("</svg>", start)]
    assert ">1</text>" in bars and ">3</text>" not in bars


NAIROBI = ZoneInfo("Africa/Nairobi")


def _book_first_slot_on(db_session, day: date, phone: str):
    start = datetime.combine(day, time.min, NAIROBI)
    slot = db_session.scalars(
        select(Slot).where(Slot.starts_at >= start, Slot.centre_id == 1).order_by(Slot.starts_at)
    ).first()
    slot.booked += 1
    db_session.add(Booking(reference=f"HKA-{phone[-4:]}", phone=phone, slot_id=slot.id))
    db_session.commit()
    return slot


def test_bookings_and_seat_use_form_a_week_per_centre(seeded, db_session):
    slot = _book_first_slot_on(db_session, TUESDAY, "+254700000001")
    _book_first_slot_on(db_session, WEDNESDAY, "+254700000002")
    week = bookings_by_day(db_session, TUESDAY, 7, NAIROBI)
    assert week[0] == (slot.centre.name, [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    use = dict(seat_use_by_day(db_session, TUESDAY, 7, NAIROBI))[slot.centre.name]
    assert 0 < use[0] < 100 and use[2:] == [None] * 5  # seeded slots cover two days


def test_the_dashboard_shows_seven_days(seeded, as_role, db_session):
    _book_first_slot_on(db_session, WEDNESDAY, "+254700000002")
    page = as_role(Role.AGENT).get(f"/staff/dashboard?day={TUESDAY}").get_data(as_text=True)
    monday = MONDAY + timedelta(days=7)
    assert f"Bookings per centre, {TUESDAY:%d/%m} to {monday:%d/%m/%Y}" in page
    assert f"{TUESDAY:%a %d}" in page and f"{monday:%a %d}" in page


def _ussd_event(db_session, n: int, language: str, network: str, status: str) -> None:
    db_session.add(
        UssdSessionEvent(
            session_id=f"s{n}", service_code="*384*1919#", network_code=network,
            phone_hash="h", status=status, last_screen="main", language=language,
            ended_at=datetime.now(UTC),
        )
    )  # fmt: skip


def test_the_ussd_funnel_breaks_down_by_language_and_network(db_session):
    for n, (language, network, status) in enumerate(
        [("sw", "63902", "Success"), ("sw", "63903", "Incomplete"), ("en", "63902", "Success")]
    ):
        _ussd_event(db_session, n, language, network, status)
    db_session.commit()
    since = datetime.now(UTC) - timedelta(days=1)
    assert dict(ussd_by_language(db_session, since)) == {
        "English (Success)": 1.0, "Kiswahili (Incomplete)": 1.0, "Kiswahili (Success)": 1.0,
    }  # fmt: skip
    assert dict(ussd_by_network(db_session, since)) == {
        "Safaricom (Success)": 2.0, "Airtel (Incomplete)": 1.0,
    }  # fmt: skip
    assert ussd_funnel(db_session, since, language="sw", network="63903") == [
        ("main (Incomplete)", 1.0)
    ]
