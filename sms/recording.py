"""Record what AT answered: per finished calls, only under the claim that sent them."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis import RedisError
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from config import Settings
from identifiers.numbers import mask_phone
from models import MessageStatus
from ops.metrics import count_sms
from sms import ledger, optouts
from sms.calls import Batch, Finished, Item, Tally
from sms.reports import apply_parked, find_parked
from sms.segments import count
from sms.sender import BLACKLISTED, Outcome, Result
from sms.tickets import note_failures

log = logging.getLogger(__name__)
S = MessageStatus
# A sender that leaves a number out of its report: nothing says whether AT was called.
NOT_REPORTED = Outcome(Result.RETRY, "NotReported")


@dataclass(frozen=True, slots=True)
class Planned:
    """One recipient's outcome and the record it writes."""

    item: Item
    outcome: Outcome
    record: ledger.Record


@dataclass(frozen=True, slots=True)
class Shared:
    """What every record of one call has in common."""

    lease_end: datetime | None
    encoding: str
    parts: int
    now: datetime


Written = list[tuple[Planned, bool]]


def record_calls(batch: Batch, finished: list[Finished]) -> None:
    """Record finished calls in one transaction; if that fails, each call in its own."""
    if not finished:
        return
    now = batch.clock()
    try:
        with batch.db.conn.begin():
            written = write_outcomes(batch, batch.db.conn, finished, now)
    except SQLAlchemyError:
        log.exception("recording %d calls together failed; recording each alone", len(finished))
        written = []
        for one in finished:
            written += _record_alone(batch, one, now)
    after_record(batch, written)


def _record_alone(batch: Batch, one: Finished, now: datetime) -> Written:
    try:
        with batch.db.conn.begin():
            return write_outcomes(batch, batch.db.conn, [one], now)
    except SQLAlchemyError:
        log.exception("could not record a call: its %d rows stay 'sending' until the lease ends",
                      len(one.call.items))  # fmt: skip
        batch.tally[Tally.UNRECORDED] += len(one.call.items)
        return []


def write_outcomes(
    batch: Batch, conn: Connection, finished: list[Finished], now: datetime
) -> Written:
    """Write each outcome whose claim still holds; say for each whether it did."""
    planned = [plan for one in finished for plan in plan_records(batch.settings, one, now)]
    kept = ledger.write(conn, [plan.record for plan in planned])
    blocked = {
        plan.item.recipient
        for plan in planned
        if plan.item.id in kept and plan.outcome.status_code == BLACKLISTED
    }
    for number in sorted(blocked):
        optouts.add(conn, number, optouts.BLACKLIST, "at_406")
    return [(plan, plan.item.id in kept) for plan in planned]


def plan_records(settings: Settings, finished: Finished, now: datetime) -> list[Planned]:
    """The record of each recipient of a finished call."""
    call = finished.call
    segments = count(call.text)
    shared = Shared(call.lease_end, segments.encoding, segments.parts, now)
    planned = []
    for item in call.items:
        outcome = finished.outcomes.get(item.recipient, NOT_REPORTED)
        planned.append(Planned(item, outcome, outcome_record(settings, shared, item, outcome)))
    return planned


def outcome_record(
    settings: Settings, shared: Shared, item: Item, outcome: Outcome
) -> ledger.Record:
    """The columns one outcome writes: sent, failed for good, or queued for a retry."""
    base = (item.id, shared.lease_end, shared.encoding, shared.parts)
    now = shared.now
    if outcome.result == Result.SENT:
        return ledger.Record(*base, S.SENT, at_message_id=outcome.at_message_id,
                             cost=outcome.cost, sent_at=now)  # fmt: skip
    error = f"{outcome.reason}: {outcome.error or ''}"[:200]
    if outcome.result == Result.UNCONFIRMED:  # AT may have it: sent, never to be resent
        return ledger.Record(*base, S.SENT, sent_at=now, failure_reason=outcome.reason,
                             last_error=error)  # fmt: skip
    expired = now - item.created_at > timedelta(hours=settings.sms_retry_hours)
    if outcome.result == Result.FAILED or expired:
        reason = outcome.reason or ""
        if outcome.result != Result.FAILED:
            reason = f"RetryExpired: {outcome.reason}"
        return ledger.Record(*base, S.FAILED, failure_reason=reason[:60], last_error=error)
    later = now + timedelta(seconds=backoff(settings, item.attempts))
    return ledger.Record(*base, S.QUEUED, last_error=error, next_attempt_at=later)


def backoff(settings: Settings, attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(n-1), capped, times 0.5-1.0."""
    grown = settings.sms_retry_base_seconds * 2.0 ** max(0, attempts - 1)
    return float(min(grown, settings.sms_retry_max_seconds) * random.uniform(0.5, 1.0))


def after_record(batch: Batch, written: Written) -> None:
    """Count and log; apply early delivery reports and note repeated failures (own commit)."""
    failed = []
    for plan, kept in written:
        if not kept:
            batch.tally[Tally.LOST_CLAIM] += 1
            log.warning("sms %s: claim lost before its outcome was recorded", plan.item.id)
            continue
        record = plan.record
        batch.tally[record.status] += 1
        count_sms(record.status, record.failure_reason or "")
        if record.status != S.SENT:
            log.info("sms %s to %s: %s (%s)", record.message_id, mask_phone(plan.item.recipient),
                     record.status, record.last_error)  # fmt: skip
        if record.status == S.FAILED:
            failed.append(plan.item.recipient)
    at_ids = [p.record.at_message_id for p, kept in written if kept and p.record.at_message_id]
    _apply_after(batch, at_ids, failed)


def _apply_after(batch: Batch, at_ids: list[str], failed: list[str]) -> None:
    ctx, session = batch.ctx, batch.db.session
    try:
        parked = find_parked(ctx.redis, at_ids)
        if parked or failed:
            with session.begin():
                apply_parked(session, ctx.redis, parked, ctx.settings)
                note_failures(session, ctx.settings, failed)
    except (SQLAlchemyError, RedisError):
        log.exception("could not apply parked reports or open failure tickets")
