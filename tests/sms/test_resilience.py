"""AT failing for a while, or answering slowly: every message arrives, duplicates as documented."""

from __future__ import annotations

import pytest
from rq import Worker

from sms.delivery import Delivery, deliver
from sms.outbox import queue_message
from tests.sms.conftest import add_message, statuses, wait_for

pytestmark = pytest.mark.committed  # worker processes and delivery's own connection

TOTAL = 40


@pytest.mark.slow
def test_http_500s_for_a_few_seconds_then_recovery_delivers_each_exactly_once(app, fake_at,
                                                                            workers):  # fmt: skip
    workers.start(SMS_RETRY_BASE_SECONDS="0.5", SMS_RETRY_MAX_SECONDS="1",
                  SMS_SWEEP_SECONDS="1", SMS_SEND_CONCURRENCY="4")  # fmt: skip
    # The outage starts once the worker serves, however long a busy machine takes to start it.
    raw = app.extensions["huduma"].redis_raw
    assert wait_for(lambda: Worker.count(connection=raw) > 0, 60)
    fake_at.control(fail_seconds=3)
    with app.extensions["huduma"].session_factory.begin() as session:
        for n in range(TOTAL):
            queue_message(session, recipient=f"+2547002{n:05d}", body=f"Notice {n}",
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
