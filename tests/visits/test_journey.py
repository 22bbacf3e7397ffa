"""A visit end to end over HTTP: check-in, call, serve, SMS through the real SDK, rating reply."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import Feedback, Message, Role
from sms.delivery import deliver
from tests.conftest import TEST_TOKEN
from tests.sms.conftest import delivery, fake_at
from tests.staff.conftest import csrf
from tests.ussd_dial import Dial

__all__ = ["delivery", "fake_at"]
PHONE = "+254712000001"


@pytest.fixture()
def settings(settings, fake_at):
    """Send through the real SDK to the fake AT, at once."""
    return settings.with_overrides(at_api_key="test-at-key", sms_rate_per_second=10_000.0,
                                   at_api_base_url=f"{fake_at.url}/version1")  # fmt: skip


def _send_all(floor, delivery, fake_at) -> list[str]:
    """Send every queued SMS through the SDK; return the first sentence of each that reached
    the citizen's phone (sent side by side: in no particular order)."""
    with floor.session() as session:
        ids = list(session.scalars(select(Message.id)))
    deliver(delivery, ids)
    return sorted(text.split(".")[0] for _, text, _ in fake_at.app.state.inbox[PHONE])


def test_a_booked_citizen_is_checked_in_called_served_and_rates_the_visit(
    client, live_floor, staff_at, delivery, fake_at
):
    reference = live_floor.book(PHONE, next(iter(key[2] for key in live_floor.slots)))
    agent = staff_at(Role.AGENT, live_floor.centres["GPO"], "gpo-agent")
    token = csrf(agent, "/staff/desk/")
    agent.post("/staff/desk/check-in", data={"q": reference, "csrf_token": token})
    agent.post("/staff/counter/call", data={"counter": "2", "csrf_token": token})
    page = agent.get("/staff/counter/?counter=2").get_data(as_text=True)
    visit = re.search(r"/staff/counter/(\d+)/finish", page).group(1)
    agent.post(
        f"/staff/counter/{visit}/finish",
        data={"counter": "2", "action": "served", "outcome": "done", "csrf_token": token},
    )
    assert _send_all(live_floor, delivery, fake_at) == [
        "HUDUMA: Thank you for visiting Huduma Centre GPO",
        "HUDUMA: Ticket 001 at Huduma Centre GPO", "HUDUMA: Ticket 001, please go to counter 2 now",
    ]  # fmt: skip
    form = {"from": PHONE, "to": "1919", "text": "5 very fast", "id": "in-1", "date": "2026-12-02"}
    answer = client.post(f"/sms/inbound?token={TEST_TOKEN}", data=form).get_json()
    assert answer["result"] == "rating"
    assert "HUDUMA: Thank you" in _send_all(live_floor, delivery, fake_at)
    assert any("Your rating of 5" in text for _, text, _ in fake_at.app.state.inbox[PHONE])
    with live_floor.session() as session:
        feedback = session.scalars(select(Feedback)).one()
        code = session.scalar(
            select(Message.verification_code).where(Message.kind == "visit_called")
        )
    assert (feedback.visit_id, feedback.rating, feedback.comment) == (int(visit), 5, "very fast")
    dial = Dial(client, session_id="after-visit", phone=PHONE)
    dial.start()
    assert "Your visit today" not in dial.send("4")  # rated already: not offered again
    check = Dial(client, session_id="verify-ticket", phone=PHONE)
    check.start()
    assert "Genuine Huduma SMS" in check.send("2", "5", code)  # start again, then verify
