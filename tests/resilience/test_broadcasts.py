"""A broadcast's fan-out is owed in the database: lost jobs and a Redis outage lose no recipient."""

from __future__ import annotations

from functools import partial

import pytest
from sqlalchemy import func, select

from jobs.broadcasts import enqueue_fan_out
from models import Broadcast, Message, Role, utcnow
from services.audiences import Audience
from services.broadcasts import compose, submit
from services.staff_accounts import create_user
from tests.faults.processes import kill, wait_until
from tests.faults.service import Service
from tests.staff.conftest import PASSWORD, enable_two_factor, login, post

pytestmark = pytest.mark.committed  # the service's own processes

TOTAL = 2000
WORKER = {"SMS_BATCH_SIZE": "10", "BROADCAST_REDRIVE_SECONDS": "2", "SMS_SWEEP_SECONDS": "1",
          "SMS_RATE_PER_SECOND": "10000", "SMS_SEND_TIMEOUT": "2", "SMS_RATE_WAIT_SECONDS": "2",
          "SMS_LEASE_SECONDS": "10"}  # fmt: skip


@pytest.fixture()
def settings(settings, redis_server, fake_at):
    """The app on a Redis this test stops, sending to the fake AT."""
    return settings.with_overrides(
        redis_url=redis_server.url, at_api_key="k", at_api_base_url=f"{fake_at.url}/version1",
        broadcast_approval_threshold=2, sms_batch_size=10,
    )  # fmt: skip


def _supervisor(session, username: str):
    user = create_user(session, username=username, full_name="S", password=PASSWORD,
                       role=Role.SUPERVISOR)  # fmt: skip
    enable_two_factor(session, user)  # supervisors sign in with a second factor
    return user


def _broadcast(app, supervisor: str) -> int:
    phones = [f"+2547{n:08d}" for n in range(1, TOTAL + 1)]
    with app.extensions["huduma"].transaction() as work:
        author = _supervisor(work.session, supervisor)
        broadcast = compose(work.session, title="Closed", body_en="GPO is closed on Friday.",
                            body_sw="GPO imefungwa Ijumaa.", message_class="transactional",
                            audience=Audience("csv", "list", phones), creator_id=author.id,
                            scheduled_for=None)  # fmt: skip
    return broadcast.id


def _messages(app) -> int:
    with app.extensions["huduma"].session_factory() as session:
        return int(session.scalar(select(func.count(Message.id))))


def _fanned_out(app, broadcast_id: int) -> bool:
    with app.extensions["huduma"].session_factory() as session:
        return bool(session.get(Broadcast, broadcast_id).audience.get("fanned_out"))


def _workers(app, tmp_path, fake_at) -> Service:
    found = app.extensions["huduma"].settings
    service = Service(found.database_url, found.redis_url, tmp_path)
    service.env.update(WORKER, AT_API_BASE_URL=f"{fake_at.url}/version1")
    return service


def _everyone_once(fake_at) -> None:
    wait_until(lambda: fake_at.stats()["unique"] == TOTAL, 120, "every recipient sent", every=0.5)
    assert fake_at.stats()["duplicates"] == 0


def test_all_workers_killed_mid_fan_out_still_reach_everyone_once(app, tmp_path, fake_at):
    broadcast_id, found = _broadcast(app, "sup"), app.extensions["huduma"]
    service = _workers(app, tmp_path, fake_at)
    # These workers only fan out: a send in flight at a SIGKILL is the README's one window for a
    # second copy, and this test is about the fan-out, which must lose and double nothing.
    service.env["WORKER_QUEUES"] = "default"
    workers = [service.start_worker(), service.start_worker()]
    del service.env["WORKER_QUEUES"]
    with found.transaction() as work:
        broadcast = work.session.get(Broadcast, broadcast_id)
        assert submit(work.session, broadcast, actor_id=broadcast.created_by_id, now=utcnow(),
                      threshold=TOTAL * 2)  # fmt: skip
        work.after_commit(partial(enqueue_fan_out, found, broadcast_id))
    wait_until(lambda: _messages(app) >= 100, 60, "the fan-out under way", every=0.02)
    for worker in workers:
        kill(worker)
    assert not _fanned_out(app, broadcast_id)
    service.start_worker()
    try:
        _everyone_once(fake_at)
    finally:
        service.stop_all()


def test_redis_down_at_the_approval_click_still_reaches_everyone_once(
    app, tmp_path, fake_at, redis_server
):
    broadcast_id = _broadcast(app, "maker")
    with app.extensions["huduma"].transaction() as work:
        _supervisor(work.session, "checker")
    maker, checker = app.test_client(), app.test_client()
    assert login(maker, "maker") == 302 and login(checker, "checker") == 302
    post(maker, f"/staff/broadcasts/{broadcast_id}/submit")
    redis_server.stop()
    answer = post(checker, f"/staff/broadcasts/{broadcast_id}/approve")
    assert answer.status_code == 302
    redis_server.restart_empty()
    service = _workers(app, tmp_path, fake_at)
    service.start_worker()
    try:
        _everyone_once(fake_at)
    finally:
        service.stop_all()
