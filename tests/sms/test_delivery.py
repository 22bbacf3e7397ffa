"""Sending a batch: record AT's answer, retry transient failures exactly once, respect opt-outs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from jobs.sends import started
from jobs.sms import sweep_outbox
from models import (
    Broadcast,
    BroadcastStatus,
    Document,
    Message,
    MessageClass,
    MessageStatus,
    OptOut,
    StaffUser,
    Ticket,
)
from sms import ledger
from sms.delivery import Delivery, deliver
from sms.ratelimit import RATE_KEY
from tests.sms.conftest import add_message, message

pytestmark = pytest.mark.committed  # delivery pins a connection of its own

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
    stats = fake_at.stats()
    assert (stats["accepted"], stats["unique"], stats["duplicates"]) == (3, 3, 0)


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
    assert message(app, message_id).failure_reason == "RetryExpired: HTTP 500"


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
    started(app.extensions["huduma"].redis_raw, [message_id])  # a job took it, then died
    stuck = datetime(2020, 1, 1, tzinfo=UTC)
    db_session.execute(update(Message).values(status=MessageStatus.SENDING, next_attempt_at=stuck))
    db_session.commit()
    found = app.extensions["huduma"]
    assert sweep_outbox(found) == 1
    deliver(delivery, [message_id])
    assert message(app, message_id).status == "sent"


def _ids(app, count: int, **fields) -> list[int]:
    return [add_message(app, recipient=f"+25470000009{n}", body=f"Hi {n}", **fields)
            for n in range(count)]  # fmt: skip


class _Interloper:
    """A sender whose first call outlives its lease: meanwhile another worker sends."""

    def __init__(self, inner, meanwhile):
        self.inner, self.meanwhile, self.fired = inner, meanwhile, False

    def send(self, text, recipients):
        if not self.fired:
            self.fired = True
            self.meanwhile()
        return self.inner.send(text, recipients)


def test_an_outcome_is_recorded_only_while_its_claim_holds(app, delivery, fake_at):
    message_id = add_message(app)
    found = app.extensions["huduma"]
    later = datetime.now(UTC) + timedelta(seconds=found.settings.sms_lease_seconds + 60)

    def lease_ends_and_another_worker_sends() -> None:
        sweep_outbox(found, now=later)
        other = Delivery(found.settings, found.session_factory, found.redis_raw, delivery.sender)
        assert deliver(other, [message_id], now=later)["sent"] == 1

    slow = Delivery(delivery.settings, delivery.session_factory, delivery.redis,
                    _Interloper(delivery.sender, lease_ends_and_another_worker_sends))  # fmt: skip
    tally = deliver(slow, [message_id])
    assert tally["lost_claim"] == 1 and tally["sent"] == 0
    # The other worker's outcome stands (AT's first id); the late one did not overwrite it.
    assert message(app, message_id).at_message_id == "ATXid_1"
    assert fake_at.stats()["duplicates"] == 1  # the documented window: a lease that ran out


def test_a_failure_recording_one_call_keeps_the_other_calls_outcomes(app, delivery, fake_at,
                                                                     monkeypatch):  # fmt: skip
    ids = _ids(app, 3)
    real_write = ledger.write

    def write(conn, records):
        if any(record.message_id == ids[1] for record in records):
            raise OperationalError("UPDATE", {}, Exception("connection hiccup"))
        return real_write(conn, records)

    monkeypatch.setattr(ledger, "write", write)
    tally = deliver(delivery, ids)
    assert [message(app, i).status for i in ids] == ["sent", "sending", "sent"]
    assert tally["unrecorded"] == 1  # left to its lease: the documented window


class _Broken:
    """A sender that raises for one number (a bug), as future.result() would."""

    def __init__(self, inner, bad):
        self.inner, self.bad = inner, bad

    def send(self, text, recipients):
        if self.bad in recipients:
            raise RuntimeError("bug")
        return self.inner.send(text, recipients)


def test_a_call_that_raises_is_retried_and_the_others_are_kept(app, delivery, fake_at):
    ids = _ids(app, 3)
    broken = Delivery(delivery.settings, delivery.session_factory, delivery.redis,
                      _Broken(delivery.sender, "+254700000091"))  # fmt: skip
    deliver(broken, ids)
    assert [message(app, i).status for i in ids] == ["sent", "queued", "sent"]


def test_a_repeated_job_does_not_skip_the_backoff(app, delivery, fake_at):
    waiting = Delivery(delivery.settings.with_overrides(sms_retry_base_seconds=60),
                       delivery.session_factory, delivery.redis, delivery.sender)  # fmt: skip
    message_id = add_message(app)
    fake_at.control(fail_calls=1)
    deliver(waiting, [message_id])
    deliver(waiting, [message_id])
    queued = message(app, message_id)
    assert (queued.status, queued.attempts, fake_at.stats()["calls"]) == ("queued", 1, 1)
    deliver(waiting, [message_id], now=queued.next_attempt_at)
    assert message(app, message_id).status == "sent"


def test_without_send_tokens_messages_go_back_to_the_queue(app, delivery, fake_at):
    ids = _ids(app, 3)
    redis = app.extensions["huduma"].redis_raw
    # Another sender has used the whole rate for the next minute.
    slot = int(redis.time()[0] * 10)
    redis.hset(RATE_KEY, mapping={str(slot + n): 10**6 for n in range(-11, 600)})
    redis.pexpire(RATE_KEY, 60_000)
    limited = Delivery(delivery.settings.with_overrides(sms_rate_wait_seconds=0.2),
                       delivery.session_factory, delivery.redis, delivery.sender)  # fmt: skip
    tally = deliver(limited, ids)
    assert tally["put_back"] == 3 and fake_at.stats()["calls"] == 0
    assert {message(app, i).status for i in ids} == {"queued"}


def test_past_its_deadline_a_job_starts_no_call_and_leaves_the_rest_due(app, delivery,
                                                                        fake_at):  # fmt: skip
    ids = _ids(app, 6)
    fake_at.control(delay=0.3, delay_seconds=60)
    one_at_a_time = Delivery(delivery.settings.with_overrides(sms_send_concurrency=1),
                             delivery.session_factory, delivery.redis, delivery.sender)  # fmt: skip
    tally = deliver(one_at_a_time, ids, deadline=time.monotonic() + 0.5)
    sent = [i for i in ids if message(app, i).status == "sent"]
    assert 1 <= len(sent) < 6 and fake_at.stats()["accepted"] == len(sent)
    rest = [message(app, i) for i in ids if i not in sent]
    assert {m.status for m in rest} == {"queued"} and tally["put_back"] == len(rest)


def test_a_reminder_for_a_collected_document_is_dropped_with_a_reason(app, delivery, fake_at,
                                                                     db_session):  # fmt: skip
    document = Document(reference="HK-ID-1", kind="ID_CARD", owner_phone="+254700000001",
                        status="COLLECTED", status_changed_at=datetime.now(UTC))  # fmt: skip
    db_session.add(document)
    db_session.commit()
    message_id = add_message(app, kind="reminder", document_id=document.id)
    deliver(delivery, [message_id])
    dropped = message(app, message_id)
    assert (dropped.status, dropped.failure_reason) == ("cancelled", "DocumentNotWaiting")
    assert fake_at.stats()["calls"] == 0


def test_permanent_failures_to_one_number_open_a_ticket(app, delivery, fake_at, db_session):
    fake_at.control(statuses={"+254700000001": 403})
    for n in range(3):
        deliver(delivery, [add_message(app, body=f"Try {n}")])
    tickets = db_session.scalars(select(Ticket)).all()
    assert [(t.reason, t.phone) for t in tickets] == [("sms_failing", "+254700000001")]


def test_identical_texts_share_calls_of_at_most_the_batch_size(app, delivery, fake_at):
    ids = [add_message(app, recipient=f"+2547000003{n:02d}", body="Same for all")
           for n in range(25)]  # fmt: skip
    batched = Delivery(delivery.settings.with_overrides(sms_batch_size=10),
                       delivery.session_factory, delivery.redis, delivery.sender)  # fmt: skip
    deliver(batched, ids)
    assert (fake_at.stats()["calls"], fake_at.stats()["unique"]) == (3, 25)
    assert {message(app, i).status for i in ids} == {"sent"}
