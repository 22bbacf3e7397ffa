"""Delivery reports from AT: move a sent message to delivered or failed, once."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import cast

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from models import Message, MessageStatus, utcnow
from ops.metrics import count_sms
from sms import optouts
from sms.tickets import note_failures

log = logging.getLogger(__name__)
S = MessageStatus
FINAL_FAILED = {"Failed", "Rejected"}
# The person blocked our sender: nothing more may go to them (as with AT's 406 at send time).
BLACKLISTED_REASON = "UserInBlackList"
UPDATABLE = {S.SENT, S.SENDING, S.QUEUED}
PARKED = "sms:dlr:parked:"
# AT may report before the sender has committed the message id it just got back.
PARK_SECONDS = 3600


def apply_report(session: Session, form: Mapping[str, str], settings: Settings) -> str:
    """Apply one report; return what happened (unknown, ignored, delivered, failed)."""
    at_id = (form.get("id") or "").strip()[:80]
    if not at_id or "\x00" in at_id:
        return "unknown"
    # populate_existing: the sender records outcomes with bulk UPDATEs, so a Message already in
    # this session may still show its status from before the send.
    query = select(Message).where(Message.at_message_id == at_id)
    message = session.scalars(query.execution_options(populate_existing=True)).first()
    if message is None:
        log.info("delivery report for unknown message id %r", at_id[:80])
        return "unknown"
    status = form.get("status", "")
    if message.status not in UPDATABLE:
        return "ignored"
    if status == "Success":
        message.status, message.delivered_at = S.DELIVERED, utcnow()
    elif status in FINAL_FAILED:
        message.status = S.FAILED
        message.failure_reason = (form.get("failureReason") or status).replace("\x00", "")[:60]
        if message.failure_reason == BLACKLISTED_REASON:
            optouts.add(session, message.recipient, optouts.BLACKLIST, "dlr")
        note_failures(session, settings, [message.recipient])
    else:
        return "ignored"
    count_sms(message.status, message.failure_reason or "")
    return str(message.status)


def receive_report(
    session: Session, redis: Redis, form: Mapping[str, str], settings: Settings
) -> str:
    """Apply a report now, or park it until the sender records its message id."""
    outcome = apply_report(session, form, settings)
    if outcome != "unknown":
        return outcome
    park(redis, form)
    # The sender commits, then looks for parked reports; looking again after parking (in a
    # fresh transaction) closes the gap where both would miss each other.
    session.rollback()
    outcome = apply_report(session, form, settings)
    if outcome != "unknown":
        redis.delete(PARKED + (form.get("id") or "").strip()[:80])
    return outcome


def park(redis: Redis, form: Mapping[str, str]) -> None:
    """Keep a report whose message id is not recorded yet, for the sender to apply."""
    at_id = (form.get("id") or "").strip()[:80]
    if at_id:
        redis.set(PARKED + at_id, json.dumps(dict(form)), ex=PARK_SECONDS)


def find_parked(redis: Redis, at_ids: Iterable[str]) -> list[str]:
    """The message ids among `at_ids` that have a report waiting (one round trip)."""
    wanted = [at_id for at_id in at_ids if at_id]
    if not wanted:
        return []
    found = cast(list[str | None], redis.mget([PARKED + at_id for at_id in wanted]))
    return [at_id for at_id, raw in zip(wanted, found, strict=True) if raw]


def apply_parked(session: Session, redis: Redis, at_ids: Iterable[str], settings: Settings) -> int:
    """Apply reports that arrived before these message ids were recorded; return how many."""
    keys = [PARKED + at_id for at_id in at_ids if at_id]
    if not keys:
        return 0
    values = cast(list[str | None], redis.mget(keys))
    found = [(key, raw) for key, raw in zip(keys, values, strict=True) if raw]
    for _key, raw in found:
        apply_report(session, json.loads(raw), settings)
    if found:
        redis.delete(*(key for key, _raw in found))
    return len(found)
