"""The real SDK against the fake AT over HTTP: every AT status code maps to our outcome."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sms.sender import FAILED, RETRY, SENT, ATSender, map_response

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


def test_http_500_is_transient(settings, fake_at):
    fake_at.control(fail_calls=1)
    assert ATSender(settings).send("Hello", [NUMBER])[NUMBER].reason == "HttpError"


def test_bad_key_is_an_http_error_to_retry(settings, fake_at):
    sender = ATSender(settings.with_overrides(at_api_key=""))
    sender.service._headers["apiKey"] = ""
    assert ATSender.send(sender, "Hello", [NUMBER])[NUMBER].result == RETRY


def test_slow_answer_is_a_timeout_to_retry(settings, fake_at):
    fake_at.control(delay=1.5, delay_calls=1)
    outcome = ATSender(settings.with_overrides(sms_send_timeout=0.3)).send("Hi", [NUMBER])[NUMBER]
    assert (outcome.result, outcome.reason) == (RETRY, "Timeout")


def test_nobody_listening_is_a_network_error(settings):
    closed = settings.with_overrides(at_api_base_url="http://127.0.0.1:9/version1")
    assert ATSender(closed).send("Hi", [NUMBER])[NUMBER].reason == "NetworkError"


def test_answer_without_recipients_fails_with_the_reason():
    answer = {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}
    assert map_response(answer, [NUMBER])[NUMBER].reason == "InvalidSenderId"


def test_text_answer_is_retried():
    assert map_response("<html>proxy error</html>", [NUMBER])[NUMBER].result == RETRY
