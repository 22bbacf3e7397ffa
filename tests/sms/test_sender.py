"""The real SDK against the fake AT over HTTP: every AT status code maps to our outcome."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from sms.sender import ATSender, Result, map_response

SENT, FAILED, RETRY = Result.SENT, Result.FAILED, Result.RETRY

NUMBER = "+254700000009"
CODES = [
    (100, SENT, None),
    (101, SENT, None),
    (102, SENT, None),
    (401, FAILED, "RiskHold"),
    (402, FAILED, "InvalidSenderId"),
    (403, FAILED, "InvalidPhoneNumber"),
    (404, FAILED, "UnsupportedNumberType"),
    (405, FAILED, "InsufficientBalance"),
    (406, FAILED, "UserInBlacklist"),
    (407, FAILED, "CouldNotRoute"),
    (409, FAILED, "DoNotDisturbRejection"),
    (500, RETRY, "InternalServerError"),
    (501, RETRY, "GatewayError"),
    (502, RETRY, "RejectedByGateway"),
]


@pytest.mark.parametrize(("code", "result", "reason"), CODES)
def test_every_status_code_maps(settings, fake_at, code, result, reason):
    fake_at.control(statuses={NUMBER: code})
    outcome = ATSender(settings).send("Hello", [NUMBER])[NUMBER]
    assert (outcome.result, outcome.reason, outcome.status_code) == (result, reason, code)


def test_accepted_message_has_id_and_cost(settings, fake_at):
    outcome = ATSender(settings).send("Hello", [NUMBER])[NUMBER]
    assert outcome.at_message_id.startswith("ATXid_")
    assert outcome.cost == Decimal("0.8000")


def test_one_call_carries_many_recipients(settings, fake_at):
    numbers = ["+254700000001", "+254700000002", "+254700000003"]
    outcomes = ATSender(settings).send("Same text", numbers)
    assert {o.result for o in outcomes.values()} == {SENT}
    assert fake_at.stats()["calls"] == 1


def test_http_500_is_transient_and_keeps_the_status(settings, fake_at):
    fake_at.control(fail_calls=1)
    outcome = ATSender(settings).send("Hello", [NUMBER])[NUMBER]
    assert (outcome.result, outcome.reason, outcome.status_code) == (RETRY, "HTTP 500", 500)


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_is_retried_and_logged_once_per_burst(settings, fake_at, caplog, status):
    fake_at.control(fail_calls=3, fail_status=status)
    sender = ATSender(settings)
    outcomes = [sender.send("Hello", [NUMBER])[NUMBER] for _ in range(3)]
    assert {(o.result, o.reason) for o in outcomes} == {(RETRY, f"HTTP {status}")}
    errors = [r for r in caplog.records if r.levelname == "ERROR" and "AT_API_KEY" in r.message]
    assert len(errors) == 1


def test_a_number_the_sdk_refuses_fails_alone(settings, fake_at):
    outcomes = ATSender(settings).send("Hello", [NUMBER, "0700000002", "+254700000003"])
    assert (outcomes["0700000002"].result, outcomes["0700000002"].reason) == (
        FAILED,
        "InvalidPhoneNumber",
    )
    assert outcomes[NUMBER].result == outcomes["+254700000003"].result == SENT
    assert fake_at.stats()["calls"] == 1 and fake_at.stats()["accepted"] == 2


def test_an_undocumented_status_code_fails_with_the_code(settings, fake_at):
    fake_at.control(statuses={NUMBER: 499})
    outcome = ATSender(settings).send("Hello", [NUMBER])[NUMBER]
    assert (outcome.result, outcome.reason) == (FAILED, "UnknownStatus499")


def test_recipients_are_matched_by_their_digits():
    answer = {"SMSMessageData": {"Recipients": [
        {"number": "254700000009", "statusCode": 101, "messageId": "ATXid_1"},
    ]}}  # fmt: skip
    assert map_response(answer, [NUMBER])[NUMBER].at_message_id == "ATXid_1"


@pytest.mark.parametrize(
    ("raw", "stored"), [(12345, "12345"), ("A" * 99, "A" * 80), ("None", None), (None, None)]
)
def test_message_ids_are_stored_as_short_text(raw, stored):
    answer = {"SMSMessageData": {"Recipients": [
        {"number": NUMBER, "statusCode": 101, "messageId": raw},
    ]}}  # fmt: skip
    assert map_response(answer, [NUMBER])[NUMBER].at_message_id == stored


def test_a_recipient_missing_from_a_2xx_answer_is_sent_unconfirmed():
    answer = {"SMSMessageData": {"Recipients": [{"number": "+254700000001", "statusCode": 101}]}}
    outcome = map_response(answer, [NUMBER])[NUMBER]
    assert (outcome.result, outcome.reason) == (Result.UNCONFIRMED, "NotInResponse")


@pytest.mark.parametrize("entries", [["+254700000009"], [None, 7], "none", {"number": NUMBER}])
def test_odd_recipient_entries_never_raise(entries):
    answer = {"SMSMessageData": {"Message": "Sent", "Recipients": entries}}
    assert map_response(answer, [NUMBER])[NUMBER].result in {Result.UNCONFIRMED, FAILED}


def test_calls_reuse_one_keep_alive_connection(settings, fake_at):
    sender = ATSender(settings)
    for n in range(5):
        sender.send(f"Hello {n}", [NUMBER])
    assert (fake_at.app.state.calls, fake_at.app.state.connections) == (5, 1)


def test_slow_answer_is_a_timeout_to_retry(settings, fake_at):
    fake_at.control(delay=1.5, delay_calls=1)
    outcome = ATSender(settings.with_overrides(sms_send_timeout=0.3)).send("Hi", [NUMBER])[NUMBER]
    assert (outcome.result, outcome.reason) == (RETRY, "Timeout")


@pytest.mark.parametrize(
    ("interval", "piece"),
    [(0.05, 2), (0.1, 12)],  # cut in the head (about 40 bytes by then), cut in the body
)
def test_a_dribbled_answer_ends_at_the_whole_call_deadline(settings, fake_at, interval, piece):
    # Each read is quick; the whole answer takes 2-7 s.
    fake_at.control(dribble=interval, dribble_bytes=piece, dribble_calls=1)
    sender = ATSender(settings.with_overrides(sms_send_timeout=1.0))
    started = time.monotonic()
    outcome = sender.send("Hi", [NUMBER])[NUMBER]
    took = time.monotonic() - started
    assert (outcome.result, outcome.reason) == (RETRY, "Timeout") and took < 1.0 + 0.3
    assert sender.send("Hi again", [NUMBER])[NUMBER].result == SENT  # the next call is fine


def test_concurrent_dribbled_calls_each_end_at_the_deadline(settings, fake_at):
    fake_at.control(dribble=0.05, dribble_bytes=4, dribble_calls=4)
    sender = ATSender(settings.with_overrides(sms_send_timeout=0.8))
    numbers = [f"+25470000005{n}" for n in range(4)]
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda n: sender.send("Hi", [n])[n], numbers))
    assert {o.reason for o in outcomes} == {"Timeout"}
    assert time.monotonic() - started < 0.8 + 0.4


def test_a_call_that_ended_in_time_keeps_its_connection_past_the_deadline(settings, fake_at):
    sender = ATSender(settings.with_overrides(sms_send_timeout=0.3))
    opened = fake_at.app.state.connections
    assert sender.send("Hi", [NUMBER])[NUMBER].result == SENT
    time.sleep(0.5)  # the first call's deadline passes while its connection waits in the pool
    assert sender.send("Hi again", [NUMBER])[NUMBER].result == SENT
    assert fake_at.app.state.connections - opened == 1


def test_a_stall_before_the_answer_ends_at_the_deadline(settings, fake_at):
    fake_at.control(delay=3.0, delay_calls=1)
    sender = ATSender(settings.with_overrides(sms_send_timeout=0.5))
    started = time.monotonic()
    assert sender.send("Hi", [NUMBER])[NUMBER].reason == "Timeout"
    assert time.monotonic() - started < 0.5 + 0.3


def test_nobody_listening_is_a_network_error(settings):
    closed = settings.with_overrides(at_api_base_url="http://127.0.0.1:9/version1")
    assert ATSender(closed).send("Hi", [NUMBER])[NUMBER].reason == "NetworkError"


def test_answer_without_recipients_fails_with_the_reason():
    answer = {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}
    assert map_response(answer, [NUMBER])[NUMBER].reason == "InvalidSenderId"


UNREADABLE = [
    (201, "application/json", "<html>Bad gateway</html>"),  # the exact type, not JSON
    (200, "text/html; charset=utf-8", "<html>Welcome</html>"),  # a proxy's page
    (201, "application/json", '{"status": "ok"}'),  # JSON, but not AT's answer
    (202, "text/plain", "Accepted"),
]


@pytest.mark.parametrize(("status", "content_type", "body"), UNREADABLE)
def test_an_unreadable_2xx_is_sent_unconfirmed_not_retried(settings, fake_at, status,
                                                            content_type, body):  # fmt: skip
    fake_at.control(answer_status=status, content_type=content_type, answer_body=body)
    outcome = ATSender(settings).send("Hello", [NUMBER])[NUMBER]
    assert (outcome.result, outcome.reason) == (Result.UNCONFIRMED, "SentUnconfirmed")
    assert fake_at.stats()["accepted"] == 1


def test_json_under_a_content_type_with_a_charset_is_read(settings, fake_at):
    fake_at.control(content_type="application/json; charset=utf-8")
    outcome = ATSender(settings).send("Hello", [NUMBER])[NUMBER]
    assert outcome.result == SENT and outcome.at_message_id.startswith("ATXid_")


def test_an_unreadable_answer_is_a_warning_without_numbers(settings, fake_at, caplog):
    fake_at.control(answer_status=200, content_type="text/html", answer_body="<p>hi</p>")
    ATSender(settings).send("Hello", [NUMBER, "+254700000008"])
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "HTTP 200" in warnings[0] and "2 numbers" in warnings[0]
    assert "254700000" not in warnings[0]
