"""Every hop is counted once, by outcome and by the screen it ended on."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from app import create_app
from menus.main import ROOT
from tests.conftest import TEST_TOKEN
from tests.ussd_dial import Dial, known_language

GOOD = {"sessionId": "count-1", "serviceCode": "*384*1919#", "phoneNumber": "+254711000001",
        "networkCode": "63902", "text": ""}  # fmt: skip


def _count(outcome: str, screen: str = "") -> float:
    labels = {"outcome": outcome, "screen": screen}
    return REGISTRY.get_sample_value("huduma_ussd_hops_total", labels) or 0.0


@pytest.mark.parametrize(
    ("inputs", "outcome", "screen"),
    [((), "served", ROOT), (("9",), "invalid", ROOT), (("9", "9", "9"), "invalid", ROOT)],
)
def test_a_hop_is_counted_by_outcome_and_screen(client, seeded, db_session, inputs, outcome,
                                                screen):  # fmt: skip
    known_language(db_session)  # a caller who chose before: the dial opens on the main menu
    dial = Dial(client)
    if inputs:
        dial.start()
        dial.send(*inputs[:-1])
    before = _count(outcome, screen)
    dial.post("*".join(inputs))
    assert _count(outcome, screen) == before + 1


def test_a_final_screen_counts_as_ended(client, seeded):
    dial = Dial(client)  # a caller with no appointments: "My appointments" says so and ends
    dial.start()
    before = _count("ended", "mine.list")
    assert dial.send("3").startswith("END ")
    assert _count("ended", "mine.list") == before + 1


def test_a_replayed_hop_counts_as_replayed(client, seeded):
    dial = Dial(client)
    dial.start()
    before = _count("replayed", ROOT)
    dial.start()
    assert _count("replayed", ROOT) == before + 1


@pytest.mark.parametrize(
    ("form", "outcome"),
    [({**GOOD, "serviceCode": "*999#"}, "foreign"), ({"text": ""}, "unreadable")],
)
def test_foreign_codes_and_unreadable_hops_are_counted(client, form, outcome):
    before = _count(outcome)
    body = client.post(f"/ussd?token={TEST_TOKEN}", data=form).get_data(as_text=True)
    assert body.startswith("END ") and _count(outcome) == before + 1


def test_a_hop_that_meets_a_stopped_redis_is_busy_then_shed(settings, stoppable_redis):
    url, process = stoppable_redis
    app = create_app(settings.with_overrides(redis_url=url, breaker_open_seconds=30))
    process.terminate()
    process.wait(timeout=10)
    busy, shed = _count("busy"), _count("shed")
    for session_id in ("down-1", "down-2"):
        app.test_client().post(f"/ussd?token={TEST_TOKEN}", data={**GOOD, "sessionId": session_id})
    app.extensions["huduma"].dispose()
    assert (_count("busy"), _count("shed")) == (busy + 1, shed + 1)
