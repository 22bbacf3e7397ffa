"""The USSD simulator proxies to our own /ussd with AT's fields; the token stays on the server."""

from __future__ import annotations

from models import Role
from tests.conftest import TEST_TOKEN
from tests.staff.conftest import csrf


def _hop(client, text: str):
    headers = {"X-CSRFToken": csrf(client, "/staff/simulator/")}
    body = {"session": "t1", "phone": "0711000001", "text": text}
    return client.post("/staff/simulator/hop", json=body, headers=headers)


def test_simulator_plays_the_real_main_menu(seeded, as_role):
    answer = _hop(as_role(Role.AGENT), "")
    assert answer.json["status"] == 200
    assert answer.json["text"].startswith("CON ")


def test_simulator_page_never_carries_the_callback_token(as_role):
    page = as_role(Role.AGENT).get("/staff/simulator/").get_data(as_text=True)
    assert TEST_TOKEN not in page


def test_simulator_refuses_a_bad_phone(as_role):
    client = as_role(Role.AGENT)
    headers = {"X-CSRFToken": csrf(client, "/staff/simulator/")}
    answer = client.post("/staff/simulator/hop", json={"phone": "12"}, headers=headers)
    assert answer.status_code == 400
