"""Bad input, random input, replays and outages never break a session: always 200 CON/END."""

from __future__ import annotations

import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from tests.conftest import TEST_TOKEN
from tests.ussd_dial import PHONE, Dial

GOOD = {"sessionId": "bad-1", "serviceCode": "*384*1919#", "phoneNumber": PHONE,
        "networkCode": "63902", "text": ""}  # fmt: skip
BAD = [
    {"text": "1*" + "9" * 500},
    {"text": "2*ñé漢字"},
    {"text": "*****"},
    {"text": "1*1*abc"},
    {"text": "x" * 3000},
    {"sessionId": ""},
    {"phoneNumber": ""},
    {"sessionId": "s" * 500},
]


@pytest.mark.parametrize("change", BAD)
def test_bad_input_gets_a_polite_screen(client, seeded, change):
    response = client.post(f"/ussd?token={TEST_TOKEN}", data=GOOD | change)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body[:4] in ("CON ", "END ")
    assert len(body) <= 164


def test_missing_fields_get_a_polite_end(client):
    response = client.post(f"/ussd?token={TEST_TOKEN}", data={})
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("END ")


INPUTS = st.sampled_from(["1", "2", "3", "4", "5", "6", "0", "00", "98", "7", "x", "12345678", "*"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(INPUTS, max_size=12))
def test_random_inputs_always_give_a_valid_screen(client, seeded, inputs):
    dial = Dial(client, session_id=uuid.uuid4().hex, phone="+254711000777")
    dial.start()
    for value in inputs:
        if dial.last.startswith("END "):
            break
        dial.send(value)


def _time(client) -> tuple[str, float]:
    began = time.monotonic()
    response = client.post(f"/ussd?token={TEST_TOKEN}", data=GOOD)
    assert response.status_code == 200
    return response.get_data(as_text=True), time.monotonic() - began


def test_redis_down_ends_politely_and_fast(settings, stoppable_redis):
    url, process = stoppable_redis
    app = create_app(settings.with_overrides(redis_url=url))
    process.terminate()
    process.wait(timeout=10)
    body, took = _time(app.test_client())
    assert body.startswith("END Service busy") and took < 2


def test_database_down_ends_politely_and_fast(settings):
    down = settings.with_overrides(database_url="postgresql+psycopg://x@127.0.0.1:1/x")
    body, took = _time(create_app(down).test_client())
    assert body.startswith("END Service busy") and took < 2
