"""What a hop spends: no repeated lookup, no cookie session on the callbacks, light web workers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from flask.sessions import NullSession
from sqlalchemy import select

from app import create_app
from config import PROJECT_ROOT
from models import Document, DocumentStatus, LanguagePreference
from ops.deadlines import TICK, Watchdog
from services import status
from sms.languages import preferred, remember
from tests.ussd_dial import Dial
from web.sessionless import Sessionless


def test_the_status_answer_shows_the_application_its_lookup_just_read(
    client, seeded, db_session, monkeypatch
):
    query = select(Document).where(Document.status == DocumentStatus.READY_FOR_COLLECTION)
    document = db_session.scalars(query.where(Document.kind == "ID_CARD")).first()
    reads: list[int] = []
    by_id = status.by_id

    def counted(session, document_id):
        reads.append(document_id)
        return by_id(session, document_id)

    monkeypatch.setattr(status, "by_id", counted)
    dial = Dial(client)
    dial.start()
    answer = dial.send("1", document.reference)
    assert "ready for collection" in answer
    assert reads == []  # the lookup's own row made the answer: no second query for it
    assert dial.send("1").startswith("END ")  # a later hop reads it afresh before acting
    assert reads == [document.id]


def test_the_callbacks_open_no_cookie_session(settings):
    callbacks = create_app(settings.with_overrides(web_surface="callbacks"))
    console = create_app(settings.with_overrides(web_surface="console"))
    try:
        assert isinstance(callbacks.session_interface, Sessionless)
        assert not isinstance(console.session_interface, Sessionless)
        with callbacks.test_request_context("/ussd", method="POST"):
            opened = callbacks.session_interface.open_session(callbacks, None)
            assert isinstance(opened, NullSession)
        response = callbacks.test_client().post(
            f"/ussd?token={settings.at_callback_token}",
            data={"sessionId": "s-cookie", "serviceCode": "*384*1919#",
                  "phoneNumber": "+254711000077", "networkCode": "63902", "text": ""},
        )  # fmt: skip
        assert response.status_code == 200 and response.get_data(as_text=True)[:4] == "CON "
        assert "Set-Cookie" not in response.headers
    finally:
        for app in (callbacks, console):
            found = app.extensions["huduma"]
            found.redis.flushdb()
            found.engine.dispose()
            found.reader_engine.dispose()


def test_a_language_chosen_again_replaces_the_first(app):
    found = app.extensions["huduma"]
    phone = "+254711000088"
    with found.session_factory() as session:
        remember(session, phone, "sw")
        remember(session, phone, "en")  # the same phone: the upsert updates its row
        assert preferred(session, phone) == "en"
        rows = session.scalars(select(LanguagePreference).where(LanguagePreference.phone == phone))
        assert len(rows.all()) == 1
        session.rollback()


def test_watches_due_within_one_tick_expire_together():
    expired: dict[int, float] = {}
    done = threading.Event()

    class Watch:
        def __init__(self, number: int) -> None:
            self.number = number

        def expire(self) -> None:
            expired[self.number] = time.monotonic()
            if len(expired) == 5:
                done.set()

    dog = Watchdog("test-ticks")
    start = time.monotonic()
    first = (int(start / TICK) + 2) * TICK + 0.001  # just past a tick: the rest of it is shared
    for number in range(5):
        dog.schedule(first + number * TICK / 5, Watch(number))  # spread over 0.8 of a tick
    assert done.wait(2.0)
    moments = sorted(expired.values())
    assert moments[0] >= first  # never before its deadline
    assert moments[-1] - moments[0] < TICK / 2  # one wake-up served all five
    assert moments[-1] - first < TICK + 0.5  # and none waited much past the tick


def test_the_callbacks_process_loads_no_migration_tooling(settings):
    script = (
        "import sys\n"
        "from app import create_app\n"
        "create_app()\n"
        "print(sorted(m for m in ('alembic', 'mako', 'pygments') if m in sys.modules))\n"
    )
    env = dict(os.environ, APP_ENV="test", WEB_SURFACE="callbacks", LOG_LEVEL="WARNING",
               DATABASE_URL=settings.database_url, REDIS_URL=settings.redis_url,
               SECRET_KEY="x", AT_CALLBACK_TOKEN="x")  # fmt: skip
    ran = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.strip().splitlines()[-1] == "[]"
