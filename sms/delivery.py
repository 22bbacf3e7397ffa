"""Send a batch of outbox messages: re-read, filter, claim, send, record."""

from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from models import Broadcast, BroadcastStatus, Message, MessageClass, MessageStatus, utcnow
from ops.metrics import count_sms
from services.identity import mask_phone
from sms import optouts
from sms.quiet import next_window_start
from sms.ratelimit import take_send_tokens
from sms.reports import apply_parked
from sms.segments import count
from sms.sender import FAILED, SENT, Outcome, Sender
from sms.templates import with_opt_out

log = logging.getLogger(__name__)
S = MessageStatus
ACTIVE = (S.PENDING, S.QUEUED)
SEND = "send"


@dataclass(slots=True)
class Delivery:
    """What sending needs: settings, the database, Redis for the rate limit, a sender."""

    settings: Settings
    session_factory: sessionmaker[Session]
    redis: Redis
    sender: Sender

    @property
    def engine(self) -> Engine:
        """The engine the session factory is bound to."""
        bound: Engine = self.session_factory.kw["bind"]
        return bound


def deliver(ctx: Delivery, ids: Sequence[int], now: datetime | None = None) -> Counter[str]:
    """Send whichever of `ids` are still due; safe to run twice or concurrently."""
    now = now or utcnow()
    tally: Counter[str] = Counter()
    # One pinned connection per batch: no pool checkout or ping per recorded call.
    with ctx.engine.connect() as conn, ctx.session_factory(bind=conn) as session:
        claimed = prepare(ctx, session, ids, now, tally)
        send_all(ctx, session, claimed, now, tally)
    return tally


def send_all(
    ctx: Delivery, session: Session, claimed: list[Message], now: datetime, tally: Counter[str]
) -> None:
    """Send the claimed messages, a bounded number of calls in flight."""
    calls = [
        (text, chunk)
        for text, group in by_text(claimed).items()
        for chunk in unique_chunks(group, ctx.settings.sms_batch_size)
    ]
    # A few calls in flight hide AT's latency; at most that many are sent but unrecorded.
    with ThreadPoolExecutor(max(1, ctx.settings.sms_send_concurrency)) as pool:
        pending: dict[Future[dict[str, Outcome]], tuple[str, list[Message]]] = {}
        for text, chunk in calls:
            if len(pending) >= ctx.settings.sms_send_concurrency:
                _record_done(ctx, session, pending, now, tally)
            pending[pool.submit(call, ctx, text, chunk)] = (text, chunk)
        while pending:
            _record_done(ctx, session, pending, now, tally)


def prepare(
    ctx: Delivery, session: Session, ids: Sequence[int], now: datetime, tally: Counter[str]
) -> list[Message]:
    """Settle the messages that must not go out and claim the rest (one transaction)."""
    with session.begin():
        query = (
            select(Message, Broadcast.status)
            .outerjoin(Broadcast, Message.broadcast_id == Broadcast.id)
            .where(Message.id.in_(list(ids)), Message.status.in_(ACTIVE))
        )
        rows = session.execute(query).all()
        blocked = optouts.reasons(session, (m.recipient for m, _ in rows))
        sendable = []
        for message, broadcast_status in rows:
            verdict = decide(ctx.settings, message, broadcast_status, blocked, now)
            tally[verdict] += 1
            if verdict == SEND:
                sendable.append(message)
        claimed = claim(session, [m.id for m in sendable], now, ctx.settings.sms_lease_seconds)
    return [m for m in sendable if m.id in claimed]


def decide(
    settings: Settings,
    message: Message,
    broadcast_status: str | None,
    blocked: dict[str, str],
    now: datetime,
) -> str:
    """Return what to do with one message, updating it unless it is to be sent."""
    if broadcast_status == BroadcastStatus.PAUSED:
        return "paused"
    if broadcast_status == BroadcastStatus.CANCELLED:
        message.status = S.CANCELLED
        return "cancelled"
    if optouts.blocks(blocked.get(message.recipient), message.message_class):
        message.status, message.failure_reason = S.SUPPRESSED, blocked[message.recipient]
        count_sms(S.SUPPRESSED, blocked[message.recipient])
        return "suppressed"
    if message.message_class == MessageClass.AWARENESS:
        opens = next_window_start(now, settings.sms_awareness_window, settings.timezone)
        if opens is not None:
            message.status, message.next_attempt_at = S.QUEUED, opens
            return "deferred"
    return SEND


def claim(session: Session, ids: list[int], now: datetime, lease: float) -> set[int]:
    """Mark still-active messages as sending under a lease; only one worker wins each."""
    if not ids:
        return set()
    statement = (
        update(Message)
        .where(Message.id.in_(ids), Message.status.in_(ACTIVE))
        .values(status=S.SENDING, attempts=Message.attempts + 1,
                next_attempt_at=now + timedelta(seconds=lease))
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return set(session.scalars(statement))


def composed(message: Message) -> str:
    """The text as sent: awareness messages carry the opt-out line."""
    if message.message_class == MessageClass.AWARENESS:
        return with_opt_out(message.body, message.language)
    return message.body


def by_text(messages: list[Message]) -> dict[str, list[Message]]:
    """Group messages whose final text is identical: they may share one API call."""
    groups: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        groups[composed(message)].append(message)
    return groups


def unique_chunks(messages: list[Message], size: int) -> list[list[Message]]:
    """Split into calls of at most `size`, never naming a number twice in one call."""
    chunks: list[list[Message]] = []
    for message in messages:
        home = next(
            (
                c
                for c in chunks
                if len(c) < size and all(m.recipient != message.recipient for m in c)
            ),
            None,
        )
        if home is None:
            chunks.append([message])
        else:
            home.append(message)
    return chunks


def _record_done(
    ctx: Delivery,
    session: Session,
    pending: dict[Future[dict[str, Outcome]], tuple[str, list[Message]]],
    now: datetime,
    tally: Counter[str],
) -> None:
    done, _ = wait(pending, return_when=FIRST_COMPLETED)
    sent_ids: list[str] = []
    with session.begin():
        for future in done:
            text, chunk = pending.pop(future)
            outcomes = future.result()
            record(ctx, session, text, chunk, outcomes, now, tally)
            sent_ids += [o.at_message_id for o in outcomes.values() if o.at_message_id]
    with session.begin():
        apply_parked(session, ctx.redis, sent_ids)


def call(ctx: Delivery, text: str, chunk: list[Message]) -> dict[str, Outcome]:
    """Make one API call within the shared send rate."""
    take_send_tokens(ctx.redis, len(chunk), ctx.settings.sms_rate_per_second)
    return ctx.sender.send(text, [m.recipient for m in chunk])


def record(
    ctx: Delivery,
    session: Session,
    text: str,
    chunk: list[Message],
    outcomes: dict[str, Outcome],
    now: datetime,
    tally: Counter[str],
) -> None:
    """Record every recipient's outcome of one call (the caller commits)."""
    segments = count(text)
    for message in chunk:
        outcome = outcomes[message.recipient]
        values = outcome_values(ctx.settings, message, outcome, now)
        values.update(encoding=segments.encoding, parts=segments.parts)
        statement = update(Message).where(Message.id == message.id).values(**values)
        session.execute(statement.execution_options(synchronize_session=False))
        if outcome.status_code == 406:
            optouts.add(session, message.recipient, optouts.BLACKLIST, "at_406")
        tally[values["status"]] += 1
        count_sms(values["status"], values.get("failure_reason") or "")
        _log(message, values)


def outcome_values(
    settings: Settings, message: Message, outcome: Outcome, now: datetime
) -> dict[str, Any]:
    """The columns to write for one outcome."""
    if outcome.result == SENT:
        return {"status": S.SENT, "at_message_id": outcome.at_message_id, "cost": outcome.cost,
                "sent_at": now, "last_error": None, "failure_reason": None,
                "next_attempt_at": None}  # fmt: skip
    error = f"{outcome.reason}: {outcome.error or ''}"[:200]
    expired = now - message.created_at > timedelta(hours=settings.sms_retry_hours)
    if outcome.result == FAILED or expired:
        reason = outcome.reason if outcome.result == FAILED else f"RetryExpired{outcome.reason}"
        return {"status": S.FAILED, "failure_reason": reason, "last_error": error,
                "next_attempt_at": None}  # fmt: skip
    delay = backoff(settings, message.attempts + 1)
    return {"status": S.QUEUED, "last_error": error,
            "next_attempt_at": now + timedelta(seconds=delay)}  # fmt: skip


def backoff(settings: Settings, attempts: int) -> float:
    """Exponential backoff with jitter: base * 2^(n-1), capped, times 0.5-1.0."""
    grown = settings.sms_retry_base_seconds * 2.0 ** max(0, attempts - 1)
    return float(min(grown, settings.sms_retry_max_seconds) * random.uniform(0.5, 1.0))


def _log(message: Message, values: dict[str, Any]) -> None:
    if values["status"] != S.SENT:
        log.info("sms %s to %s: %s (%s)", message.id, mask_phone(message.recipient),
                 values["status"], values.get("last_error"))  # fmt: skip
