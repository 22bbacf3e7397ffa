"""The fake AT answers like AT, counts what it accepted per number, and misbehaves on request."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
import requests

from sms.sender import ATSender
from tests.sms.conftest import wait_for

NUMBER = "+254700000001"


def _post(
    fake_at, text: str, to: str = NUMBER, session: requests.Session | None = None
) -> requests.Response:
    data = {"username": "sandbox", "to": to, "message": text}
    url = f"{fake_at.url}/version1/messaging"
    if session is None:
        return requests.post(url, headers={"apiKey": "k"}, data=data, timeout=5)
    return session.post(url, headers={"apiKey": "k"}, data=data, timeout=5)


def test_messaging_answers_201_with_exact_json_content_type(fake_at):
    response = _post(fake_at, "Hi")
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["SMSMessageData"]["Recipients"][0]["statusCode"] == 101


def test_missing_api_key_is_401(fake_at):
    response = requests.post(f"{fake_at.url}/version1/messaging", data={"to": NUMBER}, timeout=5)
    assert response.status_code == 401


def test_keep_alive_serves_many_calls_on_one_connection(fake_at):
    with requests.Session() as session:
        for n in range(5):
            assert _post(fake_at, f"m{n}", session=session).status_code == 201
    state = fake_at.app.state
    assert (state.calls, state.connections) == (5, 1)


def test_duplicates_are_counted_per_number_whatever_the_text(fake_at):
    _post(fake_at, "first")
    _post(fake_at, "second")
    _post(fake_at, "first", to="+254700000002")
    stats = fake_at.stats()
    assert (stats["accepted"], stats["unique"], stats["duplicates"]) == (3, 2, 1)


def test_inbox_lists_what_was_sent_per_number(fake_at):
    _post(fake_at, "Your ID is ready")
    page = requests.get(f"{fake_at.url}/inbox", timeout=5).text
    assert NUMBER in page and "Your ID is ready" in page


def test_fail_for_a_while_then_recover(fake_at):
    fake_at.control(fail_seconds=0.3)
    assert _post(fake_at, "x").status_code == 500
    assert wait_for(lambda: _post(fake_at, "x").status_code == 201, 5)


def test_failure_status_is_configurable(fake_at):
    fake_at.control(fail_calls=1, fail_status=401)
    assert _post(fake_at, "x").status_code == 401


def test_empty_answer_is_2xx_without_recipients(settings, fake_at):
    fake_at.control(empty_answer="InvalidSenderId")
    response = _post(fake_at, "x")
    assert response.status_code == 201
    assert response.json()["SMSMessageData"] == {"Message": "InvalidSenderId", "Recipients": []}
    assert ATSender(settings).send("x", [NUMBER])[NUMBER].reason == "InvalidSenderId"
    assert fake_at.stats()["accepted"] == 0


def test_reset_clears_counts_statuses_failures_and_delays(fake_at):
    fake_at.control(
        statuses={NUMBER: 406}, fail_calls=5, delay=0.2, delay_calls=5,
        empty_answer="InvalidSenderId", reports={NUMBER: {"status": "Failed"}},
    )  # fmt: skip
    _post(fake_at, "x", to="+254700000002")  # fails: counted as a call only
    fake_at.control(reset=1)
    response = _post(fake_at, "x")
    assert response.status_code == 201
    assert response.json()["SMSMessageData"]["Recipients"][0]["statusCode"] == 101
    assert fake_at.stats()["calls"] == 1
    assert fake_at.app.state.final_report(NUMBER) == {"status": "Success"}


class _Reports(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.received.append({k: v[0] for k, v in parse_qs(body).items()})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture()
def report_sink():
    _Reports.received = []
    server = HTTPServer(("127.0.0.1", 0), _Reports)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/dlr", _Reports.received
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        ({}, {"status": "Success"}),
        ({"status": "Failed", "failureReason": "UserInBlackList"},
         {"status": "Failed", "failureReason": "UserInBlackList"}),
    ],
)  # fmt: skip
def test_delivery_report_carries_the_chosen_final_status(fake_at, report_sink, report, expected):
    url, received = report_sink
    fake_at.control(callback_url=url, reports={NUMBER: report} if report else {})
    message_id = _post(fake_at, "x").json()["SMSMessageData"]["Recipients"][0]["messageId"]
    assert wait_for(lambda: len(received) == 1, 10)
    assert received[0]["id"] == message_id and received[0]["phoneNumber"] == NUMBER
    assert {k: received[0].get(k) for k in expected} == expected


def test_slow_answer_still_counts_the_message_as_accepted(fake_at):
    fake_at.control(delay=1.0, delay_calls=1)
    with pytest.raises(requests.Timeout):
        requests.post(f"{fake_at.url}/version1/messaging", headers={"apiKey": "k"},
                      data={"to": NUMBER, "message": "x"}, timeout=0.2)  # fmt: skip
    assert fake_at.stats()["accepted"] == 1


def test_a_taken_call_can_be_answered_under_another_content_type(fake_at):
    fake_at.control(content_type="application/json; charset=utf-8")
    response = _post(fake_at, "Hi")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["SMSMessageData"]["Recipients"][0]["statusCode"] == 101


def test_a_taken_call_can_be_answered_with_a_page_that_is_not_json(fake_at):
    fake_at.control(answer_status=200, content_type="text/html", answer_body="<p>proxy</p>")
    response = _post(fake_at, "Hi")
    assert (response.status_code, response.text) == (200, "<p>proxy</p>")
    assert fake_at.stats()["accepted"] == 1


def test_a_bad_order_is_refused_and_changes_nothing(fake_at):
    response = requests.post(f"{fake_at.url}/control", json={"fail_calls": "many"}, timeout=5)
    assert response.status_code == 400
    assert _post(fake_at, "x").status_code == 201


def test_an_answer_can_be_dribbled_a_few_bytes_at_a_time(fake_at):
    fake_at.control(dribble=0.02, dribble_bytes=16, dribble_calls=1)
    opened, started = fake_at.app.state.connections, time.monotonic()
    with requests.Session() as session:
        slow = _post(fake_at, "x", session=session)  # each read waits 0.02 s: no read timeout
        took = time.monotonic() - started
        fast = _post(fake_at, "y", session=session)  # the same connection, at full speed again
    pieces = len(slow.content) // 16  # the body's pieces alone, not counting the head
    assert slow.status_code == 201 and slow.json()["SMSMessageData"]["Recipients"]
    assert took >= pieces * 0.02 and fast.status_code == 201
    assert fake_at.app.state.connections - opened == 1
