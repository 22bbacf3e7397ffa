"""Record what AT answered: per finished calls, only under the claim that sent them."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from redis import RedisError
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from identifiers.numbers import mask_phone
from models import MessageStatus
from ops.metrics import count_sms
from sms import ledger, optouts
from sms.reports import apply_parked, find_parked
from sms.segments import count
from sms.sender import BLACKLISTED, RETRY, Outcome
from sms.tickets import note_failures

if TYPE_CHECKING:
    from sms.delivery import Delivery

log = logging.getLogger(__name__)
S = MessageStatus
LOST = "lost_claim"
Written = list[tuple["Item", dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Item:
    """One message as a call sends it."""

    id: int
    recipient: str
    created_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class Db:
    """A batch's pinned connection, and an ORM session on it for the rare ORM work."""

    conn: Connection
    session: Session


@dataclass(slots=True)
class Call:
    """One API call: a text, its recipients and, once claimed, the claim's lease end."""

    text: str
    items: list[Item]
    lease_end: datetime | None = None


Finished = tuple[Call, dict[str, Outcome]]


def record_calls(
    ctx: Delivery, db: Db, finished: list[Finished], now: datetime, tally: Counter[str]
) -> None:
    """Record finished calls in one transaction; if that fails, each call in its own."""
    if not finished:
        return
    try:
        with db.conn.begin():
            written = write_outcomes(ctx, db.conn, finished, now)
    except SQLAlchemyError:
        log.exception("recording %d calls together failed; recording each alone", len(finished))
        written = []
        for one in finished:
            written += _record_alone(ctx, db.conn, one, now, tally)
    after_record(ctx, db.session, written, tally)


def _record_alone(
    ctx: Delivery, conn: Connection, one: Finished, now: datetime, tally: Counter[str]
) -> Written:
    try:
        with conn.begin():
            return write_outcomes(ctx, conn, [one], now)
    except SQLAlchemyError:
        log.exception("could not record a call: its %d rows stay 'sending' until the lease ends",
                      len(one[0].items))  # fmt: skip
        tally["unrecorded"] += len(one[0].items)
        return []


def write_outcomes(
    ctx: Delivery, conn: Connection, finished: list[Finished], now: datetime
) -> Written:
    """Write each outcome whose claim still holds; report the others as lost claims."""
    planned: list[tuple[Item, dict[str, Any], Outcome]] = []
    for call, outcomes in finished:
        segments = count(call.text)
        for item in call.items:
            outcome = outcomes.get(item.recipient, Outcome(RETRY, "NotInResponse"))
            values = ledger.outcome_values(ctx.settings, item.created_at, item.attempts,
                                           outcome, now)  # fmt: skip
            values.update(encoding_v=segments.encoding, parts_v=segments.parts, m_id=item.id,
                          m_lease=call.lease_end)  # fmt: skip
            planned.append((item, values, outcome))
    kept = ledger.write(conn, [values for _, values, _ in planned])
    blocked = {i.recipient for i, _, o in planned if i.id in kept and o.status_code == BLACKLISTED}
    for number in sorted(blocked):
        optouts.add(conn, number, optouts.BLACKLIST, "at_406")
    return [(i, v if i.id in kept else {"status_v": LOST}) for i, v, _ in planned]


def after_record(ctx: Delivery, session: Session, written: Written, tally: Counter[str]) -> None:
    """Count and log; apply early delivery reports and note repeated failures (own commit)."""
    failed = []
    for item, values in written:
        status = values["status_v"]
        tally[status] += 1
        if status == LOST:
            log.warning("sms %s: claim lost before its outcome was recorded", item.id)
            continue
        count_sms(status, values.get("failure_reason_v") or "")
        if status != S.SENT:
            log.info("sms %s to %s: %s (%s)", item.id, mask_phone(item.recipient), status,
                     values.get("last_error_v"))  # fmt: skip
        if status == S.FAILED:
            failed.append(item.recipient)
    at_ids = [str(v["at_message_id_v"]) for _, v in written if v.get("at_message_id_v")]
    try:
        parked = find_parked(ctx.redis, at_ids)
        if parked or failed:
            with session.begin():
                apply_parked(session, ctx.redis, parked, ctx.settings)
                note_failures(session, ctx.settings, failed)
    except (SQLAlchemyError, RedisError):
        log.exception("could not apply parked reports or open failure tickets")
