"""A centre's own agent sees and acts on that centre only; supervisors choose any centre."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import Booking, Role, Visit
from services.checkin import WalkIn, check_in_walk_in
from tests.staff.conftest import csrf


@pytest.fixture()
def gpo_agent(live_floor, staff_at):
    return staff_at(Role.AGENT, live_floor.centres["GPO"], "gpo-agent")


def _post(client, path: str, **data):
    return client.post(path, data={**data, "csrf_token": csrf(client, "/staff/assisted/")})


def _count(floor, model) -> int:
    with floor.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _nakuru_visit(floor):
    asked = WalkIn(floor.services["KRA_PIN"], None, "en", "nakuru")
    return floor.run(lambda work: check_in_walk_in(work, asked, floor.desk(0, "NAKURU")))


def test_an_agent_opens_only_their_centres_desk_and_counter(gpo_agent, live_floor):
    gpo, nakuru = live_floor.centres["GPO"], live_floor.centres["NAKURU"]
    assert "Huduma Centre GPO" in gpo_agent.get("/staff/desk/").get_data(as_text=True)
    assert gpo_agent.get(f"/staff/desk/?centre={gpo}").status_code == 200
    for path in (f"/staff/desk/?centre={nakuru}", f"/staff/counter/?centre={nakuru}&counter=1",
                 f"/staff/visits/?centre={nakuru}"):  # fmt: skip
        assert gpo_agent.get(path).status_code == 403, path


def test_an_agent_cannot_check_in_or_call_at_another_centre(gpo_agent, live_floor):
    nakuru = live_floor.centres["NAKURU"]
    service = live_floor.services["KRA_PIN"]
    assert _post(gpo_agent, "/staff/desk/walk-in", centre=nakuru, service=service,
                 nonce="x").status_code == 403  # fmt: skip
    assert _count(live_floor, Visit) == 0
    visit = _nakuru_visit(live_floor)
    assert _post(gpo_agent, "/staff/counter/call", centre=nakuru, counter=1).status_code == 403
    assert _post(gpo_agent, f"/staff/counter/{visit.id}/finish", counter=1,
                 action="absent").status_code == 403  # fmt: skip
    assert live_floor.visit(visit.id).status == "waiting"


def test_an_agent_books_only_at_their_centre(gpo_agent, live_floor):
    slot = live_floor.add_slot(live_floor.now + timedelta(days=1), centre="NAKURU")
    answer = _post(gpo_agent, "/staff/assisted/book", phone="0712000001", slot=slot,
                   id_number="12345678", nonce="n")  # fmt: skip
    assert answer.status_code == 302 and _count(live_floor, Booking) == 0


def test_an_agent_sees_only_their_centres_bookings_and_figures(gpo_agent, live_floor):
    at = next(iter(key[2] for key in live_floor.slots))
    reference = live_floor.book("+254712000001", at, centre="NAKURU")
    page = gpo_agent.get("/staff/assisted/?phone=0712000001").get_data(as_text=True)
    assert reference not in page and "No upcoming appointments" in page
    dashboard = gpo_agent.get("/staff/visits/").get_data(as_text=True)
    assert 'id="centre"' not in dashboard  # no centre to choose: their own only


def test_an_agent_without_a_centre_runs_no_desk_but_books_anywhere(live_floor, staff_at):
    contact = staff_at(Role.AGENT, None, "contact-agent")
    assert contact.get("/staff/desk/").status_code == 403
    assert contact.get("/staff/counter/").status_code == 403
    slot = live_floor.add_slot(live_floor.now + timedelta(days=1), centre="NAKURU")
    _post(contact, "/staff/assisted/book", phone="0712000001", slot=slot, id_number="12345678",
          nonce="n")  # fmt: skip
    assert _count(live_floor, Booking) == 1


def test_a_supervisor_runs_any_centre(live_floor, staff_at):
    boss = staff_at(Role.SUPERVISOR, None, "boss")
    nakuru = live_floor.centres["NAKURU"]
    assert "Desk: choose a centre" in boss.get("/staff/desk/").get_data(as_text=True)
    page = boss.get(f"/staff/counter/?centre={nakuru}&counter=2").get_data(as_text=True)
    assert "Huduma Centre Nakuru" in page
    _nakuru_visit(live_floor)
    assert _post(boss, "/staff/counter/call", centre=nakuru, counter=2).status_code == 302
    with live_floor.session() as session:
        assert session.scalar(select(Visit.counter)) == 2
