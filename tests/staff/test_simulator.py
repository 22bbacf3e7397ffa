"""The simulator plays our own /ussd for training numbers only, with server-made session ids."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEvent, Role
from tests.conftest import TEST_TOKEN
from tests.staff.conftest import csrf

TRAINING = "0700000111"


def _post(client, path: str, body: dict[str, object]):
    headers = {"X-CSRFToken": csrf(client, "/staff/simulator/")}
    return client.post(f"/staff/simulator/{path}", json=body, headers=headers)


def _dial(client, phone: str = TRAINING):
    return _post(client, "start", {"phone": phone})


def test_simulator_plays_the_real_main_menu(seeded, as_role):
    answer = _dial(as_role(Role.AGENT))
    assert answer.status_code == 200
    assert answer.json["text"].startswith("CON ")
    assert answer.json["session"].startswith("sim-")


def test_each_reply_follows_the_real_menus(seeded, as_role):
    client = as_role(Role.AGENT)
    session = _dial(client).json["session"]
    answer = _post(client, "hop", {"session": session, "input": "2"})
    assert answer.json["text"].startswith("CON ")
    assert answer.json["text"] != _dial(client).json["text"]  # a menu below the main one


@pytest.mark.parametrize("phone", ["0712000111", "+254722000001", "0110000001"])
def test_simulator_refuses_real_numbers(as_role, phone):
    answer = _dial(as_role(Role.AGENT), phone)
    assert answer.status_code == 400
    assert "training numbers starting +25470000" in answer.json["error"]


def test_simulator_refuses_a_bad_phone(as_role):
    assert _dial(as_role(Role.AGENT), "12").status_code == 400


def test_an_empty_prefix_switches_the_simulator_off(app, as_role):
    app.extensions["huduma"].settings = app.extensions["huduma"].settings.with_overrides(
        simulator_phone_prefix=""
    )
    assert _dial(as_role(Role.AGENT)).status_code == 400


def test_a_session_id_made_up_by_the_browser_is_refused(seeded, as_role):
    answer = _post(as_role(Role.AGENT), "hop", {"session": "sim-mine", "input": "1"})
    assert answer.status_code == 400


def test_another_agents_session_cannot_be_continued(seeded, as_role):
    session = _dial(as_role(Role.AGENT, "amina")).json["session"]
    answer = _post(as_role(Role.AGENT, "juma"), "hop", {"session": session, "input": "1"})
    assert answer.status_code == 400


def test_one_audit_event_per_session_not_per_hop(seeded, as_role, db_session):
    client = as_role(Role.AGENT)
    session = _dial(client).json["session"]
    for value in ("2", "1"):
        _post(client, "hop", {"session": session, "input": value})
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "simulator_start")
    ).all()
    assert [(e.target, e.detail["phone"]) for e in events] == [(f"ussd:{session}", "+2547*****111")]


def test_simulator_page_never_carries_the_callback_token(as_role):
    page = as_role(Role.AGENT).get("/staff/simulator/").get_data(as_text=True)
    assert TEST_TOKEN not in page
    assert 'value="0700001111"' in page  # a training number is offered, not a real one
