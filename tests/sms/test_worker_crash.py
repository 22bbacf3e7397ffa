"""A worker killed with SIGKILL mid-batch: after a restart and a sweep every message is sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import PROJECT_ROOT
from models import Message
from sms.outbox import queue_message
from sms.sweeper import sweep

pytestmark = pytest.mark.slow
TOTAL = 150


def _worker(settings, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        APP_ENV="test",
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        VAR_DIR=str(tmp_path),
        AT_API_KEY="k",
        AT_API_BASE_URL=settings.at_api_base_url,
        SMS_LEASE_SECONDS="2",
        SMS_RATE_PER_SECOND="10000",
        NO_PROXY="127.0.0.1,localhost",
    )
    log = (tmp_path / "worker.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "jobs.worker"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _sent(db_session) -> int:
    db_session.expire_all()
    query = select(func.count()).select_from(Message).where(Message.status == "sent")
    return int(db_session.scalar(query) or 0)


def test_sigkill_mid_batch_then_restart_sends_everything(
    app, settings, fake_at, db_session, tmp_path
):
    with app.extensions["huduma"].session_factory.begin() as session:
        for n in range(TOTAL):
            queue_message(
                session,
                recipient=f"+2547000{n:05d}",
                body=f"Notice {n}",
                kind="notice",
                idempotency_key=f"crash-{n}",
            )
    fake_at.control(delay=0.02, delay_calls=10_000)
    worker = _worker(settings, tmp_path)
    assert _wait(lambda: fake_at.stats()["accepted"] >= 40, 60)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    assert _sent(db_session) < TOTAL
    worker = _worker(settings, tmp_path)
    try:
        time.sleep(2.5)  # the dead worker's sending lease expires
        found = app.extensions["huduma"]
        sweep(found.session_factory, found.queues, found.settings)
        assert _wait(lambda: _sent(db_session) == TOTAL, 90)
    finally:
        worker.terminate()
        worker.wait(timeout=15)
    stats = fake_at.stats()
    # The documented window: calls in flight (SMS_SEND_CONCURRENCY) when the worker died.
    assert stats["unique"] == TOTAL and stats["duplicates"] <= settings.sms_send_concurrency
