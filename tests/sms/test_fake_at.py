"""The fake AT answers like AT and shows an inbox."""

from __future__ import annotations

import time

import requests


def test_messaging_answers_201_with_exact_json_content_type(fake_at):
    response = requests.post(
        f"{fake_at.url}/version1/messaging",
        data={"username": "sandbox", "to": "+254700000001", "message": "Hi"},
        headers={"apiKey": "k", "Accept": "application/json"},
        timeout=5,
    )
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["SMSMessageData"]["Recipients"][0]["statusCode"] == 101


def _post(fake_at, text: str) -> requests.Response:
    data = {"to": "+254700000001", "message": text}
    return requests.post(f"{fake_at.url}/version1/messaging", headers={"apiKey": "k"}, data=data)


def test_inbox_lists_what_was_sent_per_number(fake_at):
    _post(fake_at, "Your ID is ready")
    page = requests.get(f"{fake_at.url}/inbox", timeout=5).text
    assert "+254700000001" in page and "Your ID is ready" in page


def test_fail_for_a_while_then_recover(fake_at):
    fake_at.control(fail_seconds=0.3)
    assert _post(fake_at, "x").status_code == 500
    time.sleep(0.35)
    assert _post(fake_at, "x").status_code == 201
