"""AT failing for a while, or answering slowly: every message arrives, duplicates as documented."""

from __future__ import annotations

import time
from functools import partial

import pytest
from prometheus_client import REGISTRY

from jobs.periodic import MARKER
from sms.delivery import Delivery, deliver
from sms.outbox import queue_message
from tests.sms.conftest import add_message, message, statuses, wait_for

pytestmark = pytest.mark.committed  # worker processes and delivery's own connection

TOTAL = 40


@pytest.mark.slow
def test_http_500s_for_a_few_seconds_then_recovery_delivers_each_exactly_once(app, fake_at,
                                                                            workers):  # fmt: skip
    workers.start(SMS_RETRY_BASE_SECONDS="0.5", SMS_RETRY_MAX_SECONDS="1",
                  SMS_SWEEP_SECONDS="1", SMS_SEND_CONCURRENCY="4")  # fmt: skip
    # The outage starts once the worker serves, however long a loaded machine takes to start it.
    redis = app.extensions["huduma"].redis_raw
    assert wait_for(lambda: redis.exists(MARKER + "sweep"), 60)
    fake_at.control(fail_seconds=3)
    with app.extensions["huduma"].transaction() as work:
        for n in range(TOTAL):
            queue_message(work, recipient=f"+2547002{n:05d}", body=f"Notice {n}",
                          kind="notice", idempotency_key=f"outage-{n}")  # fmt: skip
    assert wait_for(lambda: statuses(app)["sent"] == TOTAL, 120)
    stats = fake_at.stats()
    assert fake_at.app.state.calls > TOTAL  # the outage was met and retried through
    assert (stats["unique"], stats["duplicates"]) == (TOTAL, 0)


def test_an_answer_slower_than_the_timeout_is_retried_and_duplicated_once(app, delivery,
                                                                         fake_at):  # fmt: skip
    ids = [add_message(app, recipient=f"+25470000010{n}", body=f"Hi {n}") for n in range(5)]
    fake_at.control(delay=1.5, delay_calls=1)  # one call answers after the 0.5 s timeout
    impatient = Delivery(delivery.settings.with_overrides(sms_send_timeout=0.5),
                         delivery.session_factory, delivery.redis, delivery.sender)  # fmt: skip
    first = deliver(impatient, ids)
    assert (first["sent"], first["queued"]) == (4, 1)
    deliver(impatient, ids)
    assert statuses(app)["sent"] == 5
    stats = fake_at.stats()
    # The documented window: AT took the timed-out call, so its one number got a second copy.
    assert (stats["unique"], stats["duplicates"]) == (5, 1)


# (answer status, Content-Type, body): the SDK hands each back as a str, not a dict.
ODD_2XX = [
    (201, "application/json; charset=utf-8", ""),  # AT's JSON, under a longer header
    (200, "text/html", "<html><body>Proxy: request forwarded</body></html>"),
]


@pytest.mark.parametrize(("status", "content_type", "body"), ODD_2XX)
def test_a_2xx_the_sdk_does_not_read_as_json_is_never_sent_twice(app, delivery, fake_at, status,
                                                                 content_type, body):  # fmt: skip
    ids = [add_message(app, recipient=f"+25470000020{n}", body=f"Hi {n}") for n in range(4)]
    fake_at.control(answer_status=status, content_type=content_type, answer_body=body)
    for _ in range(3):  # retries are due at once in these settings
        deliver(delivery, ids)
    stats = fake_at.stats()
    assert (stats["accepted"], stats["unique"], stats["duplicates"]) == (4, 4, 0)
    assert statuses(app)["sent"] == 4


def _unconfirmed() -> float:
    labels = {"status": "sent", "reason": "SentUnconfirmed"}
    return REGISTRY.get_sample_value("huduma_sms_total", labels) or 0.0


def test_an_unreadable_2xx_is_recorded_as_sent_unconfirmed(app, delivery, fake_at, caplog):
    ids = [add_message(app, recipient=f"+25470000021{n}", body=f"Hi {n}") for n in range(2)]
    fake_at.control(answer_status=200, content_type="text/html", answer_body="<p>Welcome</p>")
    before = _unconfirmed()
    tally = deliver(delivery, ids)
    rows = {(m.status, m.failure_reason, m.at_message_id) for m in map(partial(message, app), ids)}
    assert rows == {("sent", "SentUnconfirmed", None)} and tally["sent"] == 2
    assert _unconfirmed() - before == 2
    assert any(r.levelname == "WARNING" and "unconfirmed" in r.getMessage() for r in caplog.records)


@pytest.mark.slow
def test_workers_retrying_fast_never_resend_an_unreadable_2xx(app, fake_at, workers):
    fake_at.control(content_type="application/json; charset=utf-8")
    workers.start(SMS_RETRY_BASE_SECONDS="0.2", SMS_RETRY_MAX_SECONDS="0.5",
                  SMS_SWEEP_SECONDS="1", SMS_SEND_CONCURRENCY="4")  # fmt: skip
    with app.extensions["huduma"].transaction() as work:
        for n in range(TOTAL):
            queue_message(work, recipient=f"+2547003{n:05d}", body=f"Notice {n}",
                          kind="notice", idempotency_key=f"charset-{n}")  # fmt: skip
    assert wait_for(lambda: statuses(app)["sent"] == TOTAL, 60)
    time.sleep(3)  # a few sweeps and backoffs: long enough for any retry to have gone out
    stats = fake_at.stats()
    assert (stats["accepted"], stats["unique"], stats["duplicates"]) == (TOTAL, TOTAL, 0)


def test_a_dribbled_answer_is_abandoned_at_the_deadline_and_recorded(app, delivery, fake_at):
    message_id = add_message(app)
    fake_at.control(dribble=0.05, dribble_bytes=2, dribble_calls=1)  # about 7 s in all
    started = time.monotonic()
    tally = deliver(delivery, [message_id])
    took = time.monotonic() - started
    timeout = delivery.settings.sms_send_timeout
    assert took < timeout + 1.0 and tally["queued"] == 1, tally
    queued = message(app, message_id)
    assert queued.status == "queued" and queued.last_error.startswith("Timeout")
