"""A worker killed with SIGKILL in the middle of a bulk batch whose identical texts share calls.

After a restart every message is sent; the duplicates stay within the documented window
(at most SMS_SEND_CONCURRENCY calls of SMS_BATCH_SIZE numbers per dead worker).
"""

from __future__ import annotations

import os
import signal

import pytest

from models import Broadcast, StaffUser
from sms.outbox import queue_messages
from tests.sms.conftest import statuses, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.committed]  # worker processes
TOTAL = 300
BATCH = 10
CONCURRENCY = 4
WORKER = {"SMS_BATCH_SIZE": str(BATCH), "SMS_SEND_CONCURRENCY": str(CONCURRENCY),
          "SMS_LEASE_SECONDS": "5", "SMS_SWEEP_SECONDS": "1", "SMS_SEND_TIMEOUT": "1",
          "SMS_RATE_WAIT_SECONDS": "1"}  # fmt: skip


def _broadcast(app) -> None:
    """One broadcast's messages: the bulk lane, one text for everyone."""
    with app.extensions["huduma"].transaction() as work:
        session = work.session
        staff = StaffUser(username="s", full_name="S", password_hash="x", role="supervisor")
        session.add(staff)
        session.flush()
        broadcast = Broadcast(title="t", body_en="b", body_sw="b", message_class="transactional",
                              status="sending", created_by_id=staff.id)  # fmt: skip
        session.add(broadcast)
        session.flush()
        queue_messages(work, [
            {"recipient": f"+2547000{n:05d}", "body": "Huduma centres open on Saturday.",
             "kind": "broadcast", "idempotency_key": f"crash-{n}", "broadcast_id": broadcast.id}
            for n in range(TOTAL)
        ])  # fmt: skip


def test_sigkill_mid_bulk_batch_then_restart_sends_everything(app, fake_at, workers):
    _broadcast(app)
    assert app.extensions["huduma"].queues["bulk"].count >= 1
    fake_at.control(delay=0.05, delay_seconds=600)
    first = workers.start(**WORKER)
    assert wait_for(lambda: fake_at.stats()["accepted"] >= TOTAL // 3, 120)
    first.send_signal(signal.SIGKILL)  # the worker only: its scheduler child is orphaned
    first.wait(timeout=10)
    assert statuses(app)["sent"] < TOTAL
    workers.start(**WORKER)
    assert wait_for(lambda: statuses(app)["sent"] == TOTAL, 180)
    stats = fake_at.stats()
    assert stats["unique"] == TOTAL
    assert stats["calls"] < TOTAL  # identical texts shared calls
    assert stats["duplicates"] <= CONCURRENCY * BATCH  # the documented window
    groups = [process.pid for process in workers.started]
    workers.stop_all()
    for group in groups:  # nothing of either worker (nor its scheduler) outlives the test
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)
