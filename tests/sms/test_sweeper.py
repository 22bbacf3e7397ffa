"""The sweeper puts lost and due messages back, but never doubles a job still waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from jobs.sends import WAITING, WAITING_GRACE, started
from jobs.sms import sweep_outbox
from models import Message
from tests.sms.conftest import add_message


def _age(db_session, message_id: int, seconds: float) -> None:
    old = datetime.now(UTC) - timedelta(seconds=seconds)
    db_session.execute(update(Message).where(Message.id == message_id).values(created_at=old))
    db_session.commit()


def _sweep(app) -> int:
    return sweep_outbox(app.extensions["huduma"])


def _jobs(app) -> int:
    return int(app.extensions["huduma"].queues["transactional"].count)


def test_a_message_whose_job_still_waits_is_not_enqueued_again(app, db_session):
    message_id = add_message(app)
    _age(db_session, message_id, 3600)
    assert (_sweep(app), _sweep(app), _jobs(app)) == (0, 0, 1)


def test_a_message_whose_job_started_and_vanished_is_enqueued_once(app, db_session):
    message_id = add_message(app)
    started(app.extensions["huduma"].redis_raw, [message_id])
    _age(db_session, message_id, 3600)
    assert (_sweep(app), _sweep(app), _jobs(app)) == (1, 0, 2)


def test_a_job_waiting_past_the_grace_counts_as_lost(app, db_session):
    message_id = add_message(app)
    redis = app.extensions["huduma"].redis_raw
    redis.zadd(WAITING, {str(message_id): datetime.now(UTC).timestamp() - WAITING_GRACE - 60})
    _age(db_session, message_id, 3600)
    assert _sweep(app) == 1


def test_a_young_pending_message_is_left_to_its_job(app, db_session):
    message_id = add_message(app)
    started(app.extensions["huduma"].redis_raw, [message_id])
    assert _sweep(app) == 0


def test_a_job_taken_off_its_queue_by_a_worker_that_died_counts_as_lost(app, db_session):
    """A worker killed between taking a send job and starting it leaves no job anywhere."""
    message_id = add_message(app)
    queue = app.extensions["huduma"].queues["transactional"]
    queue.connection.lpop(queue.key)  # taken by a worker, which then died
    _age(db_session, message_id, 3600)
    assert _sweep(app) == 1 and _jobs(app) == 1
