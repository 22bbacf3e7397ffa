"""Sending a batch: record AT's answer, retry transient failures exactly once, respect opt-outs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from models import (
    Broadcast,
    BroadcastStatus,
    Message,
    MessageClass,
    MessageStatus,
    OptOut,
    StaffUser,
)
from sms.delivery import deliver
from sms.sweeper import sweep
from tests.sms.conftest import add_message, message

NOON = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 12:00 in Nairobi
NIGHT = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 22:00 in Nairobi


def test_sent_message_stores_at_id_cost_encoding_parts_attempts(app, delivery, fake_at):
    message_id = add_message(app, body="Habari ’rafiki’")
    deliver(delivery, [message_id])
    sent = message(app, message_id)
    assert (sent.status, sent.encoding, sent.parts, sent.attempts) == ("sent", "UCS-2", 1, 1)
    assert sent.at_message_id.startswith("ATXid_") and sent.cost is not None


def test_running_a_batch_twice_sends_once(app, delivery, fake_at):
    message_id = add_message(app)
    deliver(delivery, [message_id])
    deliver(delivery, [message_id])
    assert fake_at.stats()["accepted"] == 1


def test_500s_for_a_while_then_recovery_delivers_exactly_once(app, delivery, fake_at):
    ids = [add_message(app, recipient=f"+25470000001{i}") for i in range(3)]
    fake_at.control(fail_calls=3)
    for _ in range(5):
        deliver(delivery, ids)
    assert {message(app, i).status for i in ids} == {"sent"}
    assert fake_at.stats() | {"calls": 0} == {
        "calls": 0,
        "accepted": 3,
        "unique": 3,
        "duplicates": 0,
    }


def test_slow_answer_is_retried_not_lost(app, delivery, fake_at):
    message_id = add_message(app)
    fake_at.control(delay=1.5, delay_calls=1)
    deliver(delivery, [message_id])
    assert message(app, message_id).status == "queued"
    deliver(delivery, [message_id])
    assert message(app, message_id).status == "sent" and fake_at.stats()["accepted"] >= 1


def test_transient_failures_stop_after_the_retry_horizon(app, delivery, fake_at):
    message_id = add_message(app)
    fake_at.control(fail_calls=1)
    deliver(delivery, [message_id], now=datetime.now(UTC) + timedelta(hours=25))
    assert message(app, message_id).failure_reason == "RetryExpiredHttpError"


def test_406_fails_and_blacklists_the_number(app, delivery, fake_at, db_session):
    fake_at.control(statuses={"+254700000001": 406})
    message_id = add_message(app)
    deliver(delivery, [message_id])
    assert message(app, message_id).failure_reason == "UserInBlacklist"
    assert db_session.query(OptOut).one().reason == "blacklist"


def test_blacklist_blocks_transactional_and_stop_blocks_awareness_only(app, delivery, db_session):
    db_session.add_all(
        [
            OptOut(phone="+254700000001", reason="blacklist", source="at"),
            OptOut(phone="+254700000002", reason="stop", source="sms"),
        ]
    )
    db_session.commit()
    blocked = add_message(app, recipient="+254700000001")
    awareness = add_message(app, recipient="+254700000002", message_class=MessageClass.AWARENESS)
    receipt = add_message(app, recipient="+254700000002")
    deliver(delivery, [blocked, awareness, receipt], now=NOON)
    statuses = [message(app, i).status for i in (blocked, awareness, receipt)]
    assert statuses == ["suppressed", "suppressed", "sent"]


def test_awareness_waits_for_the_window_and_carries_the_opt_out_line(app, delivery, fake_at):
    message_id = add_message(app, message_class=MessageClass.AWARENESS, language="sw")
    deliver(delivery, [message_id], now=NIGHT)
    deferred = message(app, message_id)
    assert deferred.status == "queued"
    assert deferred.next_attempt_at == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    deliver(delivery, [message_id], now=deferred.next_attempt_at)
    assert fake_at.app.state.inbox["+254700000001"][0][1] == "Hello Jibu ACHA kusitisha."


def test_transactional_goes_out_at_night(app, delivery):
    message_id = add_message(app)
    deliver(delivery, [message_id], now=NIGHT)
    assert message(app, message_id).status == "sent"


def _broadcast(db_session, status: str) -> int:
    staff = StaffUser(username="s", full_name="S", password_hash="x", role="supervisor")
    db_session.add(staff)
    db_session.flush()
    broadcast = Broadcast(
        title="t",
        body_en="b",
        body_sw="b",
        message_class="awareness",
        status=status,
        created_by_id=staff.id,
    )
    db_session.add(broadcast)
    db_session.commit()
    return broadcast.id


def test_paused_broadcast_waits_and_cancelled_broadcast_is_dropped(app, delivery, db_session):
    paused = add_message(app, broadcast_id=_broadcast(db_session, BroadcastStatus.PAUSED))
    db_session.query(StaffUser).update({"username": "other"})
    cancelled = add_message(
        app,
        recipient="+254700000002",
        broadcast_id=_broadcast(db_session, BroadcastStatus.CANCELLED),
    )
    deliver(delivery, [paused, cancelled], now=NOON)
    assert [message(app, i).status for i in (paused, cancelled)] == ["pending", "cancelled"]


def test_sweeper_requeues_an_expired_sending_lease(app, delivery, db_session):
    message_id = add_message(app)
    stuck = datetime(2020, 1, 1, tzinfo=UTC)
    db_session.execute(update(Message).values(status=MessageStatus.SENDING, next_attempt_at=stuck))
    db_session.commit()
    found = app.extensions["huduma"]
    assert sweep(found.session_factory, found.queues, found.settings) == 1
    deliver(delivery, [message_id])
    assert message(app, message_id).status == "sent"
