"""/ussd/events checks every field: bad values get a 400 and a warning, nothing is stored."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from models import UssdSessionEvent
from tests.conftest import TEST_TOKEN

GOOD = {"sessionId": "ev-1", "phoneNumber": "+254711000001", "serviceCode": "*384*1919#",
        "networkCode": "63902", "status": "Success", "cost": "KES 1.2500",
        "durationInMillis": "35210", "hopsCount": "6", "input": "1*1*123456",
        "lastAppResponse": "END Not found.", "date": "2026-11-23 10:00:00"}  # fmt: skip


def _post(client, **changes: str):
    return client.post(f"/ussd/events?token={TEST_TOKEN}", data=GOOD | changes)


def _stored(db_session) -> int:
    return int(db_session.scalar(select(func.count(UssdSessionEvent.id))))


@pytest.mark.parametrize(
    "changes",
    [
        {"durationInMillis": "99999999999999999999"},
        {"hopsCount": "4294967296"},
        {"hopsCount": "-1"},
        {"durationInMillis": "1e9"},
        {"errorMessage": "boom\x00"},
        {"lastAppResponse": "END \x00"},
        {"sessionId": "s\x00"},
        {"cost": "KES 1e999999"},
        {"cost": "KES NaN"},
        {"cost": "KES -1"},
        {"date": "9999-12-31 23:59:59"},
        {"date": "yesterday"},
        {"status": "Exploded"},
        {"sessionId": "x" * 101},
        {"phoneNumber": ""},
    ],
)
def test_a_bad_value_gets_a_400_and_stores_nothing(client, db_session, caplog, changes):
    with caplog.at_level(logging.WARNING):
        response = _post(client, **changes)
    assert response.status_code == 400 and "bad event" in response.get_data(as_text=True)
    assert _stored(db_session) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_good_event_is_stored_with_its_values(client, db_session):
    assert _post(client).status_code == 200
    event = db_session.scalars(select(UssdSessionEvent)).one()
    assert (event.duration_ms, event.hops_count, str(event.cost)) == (35210, 6, "1.2500")
