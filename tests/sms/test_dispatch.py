"""Commit, then enqueue: ids go to their lane once the transaction commits, never on rollback."""

from __future__ import annotations

from jobs.sends import batch_job_id, enqueue_messages
from models import MessageClass
from models.work import Lane
from sms.outbox import queue_message
from tests.sms.conftest import add_message


def _counts(app) -> tuple[int, int]:
    queues = app.extensions["huduma"].queues
    return queues["transactional"].count, queues["bulk"].count


def test_transactional_and_awareness_go_to_their_own_queues(app):
    add_message(app, recipient="+254700000001")
    add_message(app, recipient="+254700000002", message_class=MessageClass.AWARENESS)
    assert _counts(app) == (1, 1)


def test_nothing_is_enqueued_when_the_transaction_rolls_back(app):
    work = app.extensions["huduma"].work()
    queue_message(work, recipient="+254700000001", body="x", kind="t", idempotency_key="r")
    work.rollback()
    work.close()
    assert _counts(app) == (0, 0)


def test_a_batch_keeps_one_deterministic_job_id(app):
    queues = app.extensions["huduma"].queues
    enqueue_messages(queues, [3, 1, 2], Lane.BULK, batch_size=2)
    assert batch_job_id("bulk", [1, 2]) in queues["bulk"].job_ids
