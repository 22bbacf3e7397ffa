"""Feedback tied to the visit: one 1-5 rating per visit, by SMS reply or by USSD."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Feedback, InboundMessage, Outcome
from services.checkin import WalkIn, check_in_walk_in
from services.queueing import Counter, call_next, finish
from services.visit_ratings import parse_reply, take_reply
from tests.conftest import TEST_SECRET, TEST_TOKEN
from tests.ussd_dial import Dial

PHONE = "+254712000001"


def serve(floor, phone: str = PHONE, key: str = "w", lang: str = "en"):
    """Walk a citizen in, call them and serve them; return the visit."""
    asked = WalkIn(floor.services["ID_REPLACEMENT"], phone, lang, key)
    desk = floor.desk()
    counter = Counter(desk.centre_id, 1, None, floor.staff_id)
    day = desk.now.astimezone(desk.tz).date()
    visit = floor.run(lambda work: check_in_walk_in(work, asked, desk))
    floor.run(lambda work: call_next(work, counter, day, desk.now))
    return floor.run(lambda work: finish(work, visit.id, Outcome.DONE, staff_id=floor.staff_id,
                                         now=desk.now))  # fmt: skip


def _inbound(client, text: str, at_id: str, phone: str = PHONE):
    form = {"from": phone, "to": "1919", "text": text, "id": at_id, "date": "2026-12-02"}
    return client.post(f"/sms/inbound?token={TEST_TOKEN}", data=form).get_json()["result"]


def _ratings(floor) -> list[Feedback]:
    with floor.session() as session:
        return list(session.scalars(select(Feedback)))


def test_a_reply_rates_the_visit_once(client, live_floor):
    visit = serve(live_floor)
    assert _inbound(client, "4 quick and polite", "in-1") == "rating"
    assert _inbound(client, "5", "in-2") == "rating"
    assert _inbound(client, "1", "in-3") == "rating"
    [rating] = _ratings(live_floor)
    assert (rating.visit_id, rating.rating, rating.comment) == (visit.id, 4, "quick and polite")
    assert (rating.channel, rating.service_id) == ("sms", visit.service_id)
    kinds = [m.kind for m in live_floor.texts(PHONE)]
    assert kinds.count("visit_rated") == 1 and kinds.count("visit_already_rated") == 1
    with live_floor.session() as session:
        assert set(session.scalars(select(InboundMessage.keyword))) == {"RATING"}


def test_a_digit_without_a_served_visit_is_left_to_the_keywords(client, live_floor):
    assert _inbound(client, "4", "in-1") == "other"
    assert _ratings(live_floor) == []


def test_a_reply_after_the_rating_window_is_not_a_rating(live_floor):
    serve(live_floor)
    late = live_floor.now + timedelta(hours=49)
    answered = live_floor.run(lambda work: take_reply(work, PHONE, "5", now=late, hours=48,
                                                      hash_key=TEST_SECRET))  # fmt: skip
    assert answered is False and _ratings(live_floor) == []


@pytest.mark.parametrize(
    ("text", "read"),
    [("5", (5, "")), (" 3. slow queue ", (3, "slow queue")), ("1!", (1, "")),
     ("1919", None), ("12", None), ("6", None), ("STOP", None), ("", None)],
)  # fmt: skip
def test_a_rating_reply_is_read_from_its_first_digit(text, read):
    found = parse_reply(text)
    assert (None if found is None else (found.rating, found.comment)) == read


def test_ussd_offers_todays_visit_first_and_rates_it(client, live_floor):
    visit = serve(live_floor, lang="en")
    dial = Dial(client, session_id="fb-today", phone=PHONE)
    dial.start()
    screen = dial.send("4")
    assert screen.index("1. Your visit today at Huduma Centre GPO") < screen.index("Another")
    assert "Rate the service" in dial.send("1")
    assert "Thank you" in dial.send("4", "1")
    [rating] = _ratings(live_floor)
    assert (rating.visit_id, rating.rating, rating.channel) == (visit.id, 4, "ussd")
    assert _inbound(client, "5", "in-1") == "rating"  # already rated: answered, not counted
    assert len(_ratings(live_floor)) == 1


def test_ussd_in_kiswahili_names_todays_visit(client, live_floor):
    serve(live_floor, lang="sw")
    dial = Dial(client, session_id="fb-sw", phone=PHONE)
    dial.start()
    dial.send("6", "2")
    assert "Ziara yako leo Huduma Centre GPO" in dial.send("4")
