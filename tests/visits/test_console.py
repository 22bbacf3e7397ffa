"""The centre pages over HTTP: desk check-in, counter, display board, dashboard, centre staff."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import Role, StaffUser, Visit, VisitStatus
from tests.staff.conftest import csrf

PHONE = "+254712000001"


@pytest.fixture()
def clerk(live_floor, staff_at):
    """An agent of GPO, logged in."""
    return staff_at(Role.AGENT, live_floor.centres["GPO"], "gpo-agent")


def _post(client, path: str, **data):
    return client.post(path, data={**data, "csrf_token": csrf(client, "/staff/desk/")})


def _visits(floor) -> list[Visit]:
    with floor.session() as session:
        return list(session.scalars(select(Visit).order_by(Visit.id)))


def test_the_desk_checks_a_booking_in_and_shows_the_ticket(clerk, live_floor):
    at = next(iter(key[2] for key in live_floor.slots))
    reference = live_floor.book(PHONE, at)
    answer = _post(clerk, "/staff/desk/check-in", q=reference.lower())
    assert answer.status_code == 302 and "ticket=" in answer.headers["Location"]
    page = clerk.get(answer.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="ticket-number"[^>]*>001<', page)
    assert 'id="ticket-ahead">0<' in page and "+2547*****001" in page and PHONE not in page


def test_a_phone_number_lists_todays_bookings_to_check_in(clerk, live_floor):
    at = next(iter(key[2] for key in live_floor.slots))
    reference = live_floor.book(PHONE, at)
    answer = _post(clerk, "/staff/desk/check-in", q="0712 000 001")
    page = clerk.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'aria-label="Check in {reference}"' in page


def test_the_desk_gives_a_walk_in_a_ticket(clerk, live_floor):
    service = live_floor.services["KRA_PIN"]
    answer = _post(clerk, "/staff/desk/walk-in", service=service, phone="0712000001",
                   language="sw", nonce="n1")  # fmt: skip
    assert answer.status_code == 302
    [visit] = _visits(live_floor)
    assert (visit.phone, visit.language, visit.service_id) == (PHONE, "sw", service)


@pytest.mark.parametrize(
    ("path", "data"),
    [("/staff/desk/check-in", {"q": "x" * 5000}), ("/staff/desk/check-in", {"q": "\x00'"}),
     ("/staff/desk/walk-in", {"service": "abc"}), ("/staff/desk/walk-in", {"service": "9" * 30}),
     ("/staff/desk/walk-in", {"service": "999", "phone": "12"}),
     ("/staff/counter/call", {"counter": "0"}), ("/staff/counter/call", {"counter": "-1"}),
     ("/staff/counter/999999/finish", {"counter": "1", "action": "served"})],
)  # fmt: skip
def test_bad_input_is_refused_politely(clerk, live_floor, path, data):
    answer = _post(clerk, path, **data)
    assert answer.status_code in (302, 400, 404)
    assert _visits(live_floor) == []


def test_the_counter_calls_serves_and_the_board_shows_it(clerk, live_floor):
    _post(clerk, "/staff/desk/walk-in", service=live_floor.services["KRA_PIN"], nonce="n1")
    gpo = live_floor.centres["GPO"]
    answer = _post(clerk, "/staff/counter/call", counter="3", service="")
    assert answer.headers["Location"].endswith(f"/staff/counter/?centre={gpo}&counter=3")
    page = clerk.get(answer.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="current-ticket"[^>]*>001<', page)
    display = re.search(r'href="(/staff/display/\d+\?key=\w+)"', page).group(1)
    board = clerk.get(display.replace("?key", "/board?key")).get_json()
    assert board["called"][0] == {"ticket": "001", "counter": 3, "service": "KRA PIN"}
    [visit] = _visits(live_floor)
    _post(clerk, f"/staff/counter/{visit.id}/finish", counter="3", action="served", outcome="done")
    assert _visits(live_floor)[0].status == VisitStatus.SERVED


def test_the_display_needs_its_key(client, clerk, live_floor):
    gpo = live_floor.centres["GPO"]
    assert client.get(f"/staff/display/{gpo}").status_code == 404
    assert client.get(f"/staff/display/{gpo}/board?key=wrong").status_code == 404
    page = clerk.get("/staff/counter/?counter=1").get_data(as_text=True)
    display = re.search(r'href="(/staff/display/\d+\?key=\w+)"', page).group(1)
    shown = client.get(display)  # no login: the wall screen's browser
    assert shown.status_code == 200 and "Now serving" in shown.get_data(as_text=True)


def test_the_dashboard_draws_each_chart_with_its_figures(clerk, live_floor):
    page = clerk.get("/staff/visits/").get_data(as_text=True)
    for title in ("Waiting time p50", "Waiting time p90", "Service time p50", "Service time p90",
                  "No-show rate", "Satisfaction"):  # fmt: skip
        assert title in page
    assert "Waiting and service times per centre, service and day" in page


def test_an_admin_ties_an_agent_to_a_centre(as_role, make_staff, live_floor):
    make_staff("new-agent", Role.AGENT)
    admin = as_role(Role.ADMIN)
    with live_floor.session() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == "new-agent")).one()
    nakuru = live_floor.centres["NAKURU"]
    token = csrf(admin, "/staff/centre-staff/")
    answer = admin.post(
        f"/staff/centre-staff/{user.id}", data={"centre": nakuru, "csrf_token": token}
    )
    assert answer.status_code == 302
    with live_floor.session() as session:
        assert session.get(StaffUser, user.id).centre_id == nakuru
