"""A real worker process: it survives Redis losing its data and logs at LOG_LEVEL."""

from __future__ import annotations

import pytest

from jobs.periodic import MARKER
from sms.outbox import queue_message
from tests.sms.conftest import statuses, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.committed]  # worker processes
TOTAL = 5


def _queue(app, first: int) -> None:
    with app.extensions["huduma"].transaction() as work:
        for n in range(first, first + TOTAL):
            queue_message(work, recipient=f"+2547001{n:05d}", body=f"Notice {n}",
                          kind="notice", idempotency_key=f"worker-{n}")  # fmt: skip


def test_after_redis_loses_its_data_pending_messages_still_go_out(app, fake_at, workers):
    redis = app.extensions["huduma"].redis_raw
    workers.start(SMS_SWEEP_SECONDS="1", SMS_LEASE_SECONDS="2", SMS_SEND_TIMEOUT="0.5",
                  SMS_RATE_WAIT_SECONDS="0.5")  # fmt: skip
    assert wait_for(lambda: redis.exists(MARKER + "sweep"), 60)
    _queue(app, 0)
    assert wait_for(lambda: fake_at.stats()["unique"] == TOTAL, 60)
    _queue(app, TOTAL)
    redis.flushdb()  # the queued jobs and the periodic schedule are gone
    assert wait_for(lambda: fake_at.stats()["unique"] == 2 * TOTAL, 90)
    # AT counts a call before the worker commits its outcome: wait for the rows too.
    assert wait_for(lambda: statuses(app)["sent"] == 2 * TOTAL, 30)
    assert fake_at.stats()["duplicates"] == 0
    # The worker may have taken the jobs before the flush: the check runs on its own clock.
    assert wait_for(lambda: "periodic tasks were missing" in workers.log(0), 30)


def test_the_worker_logs_at_log_level(app, fake_at, workers):
    workers.start(LOG_LEVEL="WARNING")
    _queue(app, 0)
    assert wait_for(lambda: fake_at.stats()["unique"] == TOTAL, 60)
    assert " INFO " not in workers.log(0)
