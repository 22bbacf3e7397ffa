"""Bad input, random input, replays and outages never break a session: always 200 CON/END."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app import create_app
from models import LanguagePreference
from sms.languages import preferred
from tests.conftest import TEST_TOKEN
from tests.ussd_dial import PHONE, Dial

GOOD = {"sessionId": "bad-1", "serviceCode": "*384*1919#", "phoneNumber": PHONE,
        "networkCode": "63902", "text": ""}  # fmt: skip
BAD_FORMS = [
    {"text": "x" * 3000},
    {"sessionId": ""},
    {"phoneNumber": ""},
    {"sessionId": "s" * 500},
]
ID_SCREEN = ("2", "1", "1", "1", "1", "1")
ARABIC_INDIC = "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"
# (inputs typed one hop at a time, what the last screen says)
BAD_INPUTS = [
    (("2", "9" * 500), "Invalid choice"),
    (("1", "9" * 500), "Not found"),
    (("2", "\u00f1\u00e9\u6f22\u5b57"), "Invalid choice"),
    (("*****",), "Invalid choice"),
    (("1", "abc"), "Not found"),
    (("1", ""), "Not found"),
    (("\u00b2",), "Invalid choice"),
    (("4", "\u00b2"), "Invalid choice"),
    (("4", "\u0661"), "Invalid choice"),
    (("6", "\u00b9"), "Invalid choice"),
    ((*ID_SCREEN, ARABIC_INDIC), "ID number is"),
    ((*ID_SCREEN, "1234567\u00b2"), "ID number is"),
    (("5", ARABIC_INDIC), "Type the code"),
]


@pytest.mark.parametrize("change", BAD_FORMS)
def test_bad_form_gets_a_polite_screen(client, seeded, change):
    response = client.post(f"/ussd?token={TEST_TOKEN}", data=GOOD | change)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body[:4] in ("CON ", "END ")
    assert len(body) <= 164


RAW_BODIES = [
    ("application/x-www-form-urlencoded", b"sessionId=r1&phoneNumber=" + b"%FF%FE" * 3),
    ("application/x-www-form-urlencoded", b"&".join(b"f%d=1" % n for n in range(50))),
    ("application/x-www-form-urlencoded", b"sessionId=r1&text=" + b"1" * 20_000),
    ("application/json", b'{"sessionId": "r1", "phoneNumber": "+254700000001"}'),
    ("text/plain", b"\x00\xff garbage"),
]


@pytest.mark.parametrize(("mimetype", "body"), RAW_BODIES)
def test_unreadable_body_gets_a_polite_end(client, mimetype, body):
    response = client.post(f"/ussd?token={TEST_TOKEN}", data=body, content_type=mimetype)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert text.startswith("END ") and "busy" not in text, text


def test_a_plus_sent_unencoded_is_restored(client, seeded):
    url = f"/ussd?token={TEST_TOKEN}"
    body = b"sessionId=plus-1&serviceCode=*384*1919%23&phoneNumber=+254799000123&text="
    form = "application/x-www-form-urlencoded"
    for text in (b"", b"6", b"6*2"):  # choose Kiswahili: stored against the number the hop carried
        client.post(url, data=body + text, content_type=form)
    with seeded.extensions["huduma"].session_factory() as session:
        assert preferred(session, "+254799000123") == "sw"
        assert preferred(session, "254799000123") is None


def test_multipart_hop_is_served_like_a_urlencoded_one(client, seeded):
    url = f"/ussd?token={TEST_TOKEN}"
    response = client.post(url, data=GOOD, content_type="multipart/form-data")
    assert response.get_data(as_text=True).startswith("CON Huduma Kenya")


@pytest.mark.parametrize(("inputs", "says"), BAD_INPUTS)
def test_bad_input_is_refused_on_its_screen(client, seeded, inputs, says):
    dial = Dial(client, session_id=uuid.uuid4().hex)
    dial.start()
    body = dial.send(*inputs)
    assert body.startswith("CON ") and says in body, body


def test_missing_fields_get_a_polite_end(client):
    response = client.post(f"/ussd?token={TEST_TOKEN}", data={})
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("END ")


BUSY = ("Service busy", "Huduma ina shughuli")
ODD = "0123456789*#abcXYZ \u00b2\u00b3\u00b9\u0660\u0661\u0662\u06f3\u00f1\u00e9\u6f22\U0001f642"
KEYS = st.sampled_from(["1", "2", "3", "4", "5", "6", "7", "0", "00", "98", "12345678", "ZZZZZZ"])
ODD_KEYS = st.sampled_from(
    ["", "*", "***", "\u00b2", "\u0661", "\u0663\u0664\u0665\u0666\u0667\u0668"]
)
INPUTS = st.one_of(  # mostly menu keys, so walks go deep before something odd arrives
    KEYS, KEYS, KEYS, ODD_KEYS, st.text(alphabet=st.sampled_from(ODD), max_size=30),
    st.text(max_size=200),
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(INPUTS, max_size=12), st.sampled_from(["1", "2"]))
@example(inputs=["4", "\u00b2"], lang="1")
@example(inputs=[*ID_SCREEN, ARABIC_INDIC, "1"], lang="2")
@example(inputs=["***", "*", "00", "98", "0", "98"], lang="1")
@example(inputs=["5", "x" * 200], lang="2")
def test_random_inputs_always_give_a_valid_screen(client, seeded, caplog, inputs, lang):
    caplog.clear()
    phone = f"+25471{uuid.uuid4().int % 10**7:07d}"  # a new caller: no resume offer or limits
    dial = Dial(client, session_id=uuid.uuid4().hex, phone=phone)
    dial.start()
    dial.send("6", lang)  # English or Kiswahili
    for value in inputs:
        if dial.last.startswith("END "):
            break
        dial.send(value)
        assert not any(word in dial.last for word in BUSY), (dial.inputs, dial.last)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, (dial.inputs, errors)


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


@pytest.fixture()
def silent_port() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def test_database_that_never_answers_ends_politely_within_two_seconds(settings, silent_port):
    silent = f"postgresql+psycopg://x@127.0.0.1:{silent_port}/x"
    app = create_app(settings.with_overrides(database_url=silent))
    body, took = _time(app.test_client())
    assert body.startswith("END Service busy") and took < 2, (body, took)


@pytest.mark.committed  # a second app, its own connections
def test_redis_down_apologises_in_the_callers_language(app, settings, stoppable_redis):
    with app.extensions["huduma"].session_factory.begin() as session:
        session.add(LanguagePreference(phone=PHONE, language="sw"))
    url, process = stoppable_redis
    down = create_app(settings.with_overrides(redis_url=url))
    process.terminate()
    process.wait(timeout=10)
    body, took = _time(down.test_client())
    assert body.startswith("END Mfumo una shughuli nyingi") and took < 2, body
    # The same caller with the "+" sent unencoded (it arrives as a space): still Kiswahili.
    raw = f"sessionId=down-2&serviceCode=*384*1919%23&phoneNumber={PHONE}&text=".encode()
    answer = down.test_client().post(f"/ussd?token={TEST_TOKEN}", data=raw,
                                     content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert answer.get_data(as_text=True).startswith("END Mfumo una shughuli nyingi")
    down.extensions["huduma"].engine.dispose()


def _hold_the_lock(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE language_preferences IN ACCESS EXCLUSIVE MODE")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # SQLite's one writer lock


@pytest.mark.committed  # a second app, its own connections
def test_a_hop_behind_a_lock_ends_politely_within_the_statement_timeout(app, settings):
    quick = create_app(settings.with_overrides(ussd_statement_timeout=0.3))
    found = quick.extensions["huduma"]
    dial = Dial(quick.test_client(), session_id="locked")
    dial.start()
    dial.send("6")
    with found.engine.connect() as blocker:
        _hold_the_lock(blocker)
        began = time.monotonic()
        body = dial.send("2")  # saving the language must wait for the lock
        took = time.monotonic() - began
        blocker.rollback()
    assert body.startswith("END Service busy") and took < 2, (body, took)
    found.engine.dispose()
