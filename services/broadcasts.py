"""Bulk messages: compose, preview, maker-checker approval, fan-out into the outbox, progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Broadcast, BroadcastStatus, Message, MessageClass, MessageStatus, utcnow
from models.work import Work
from services import audit
from services.audiences import Audience, blocked
from sms import segments
from sms.languages import languages
from sms.outbox import queue_messages
from sms.templates import with_opt_out

IN_FLIGHT = (MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING)
UNSENT = (MessageStatus.PENDING, MessageStatus.QUEUED)
S = BroadcastStatus
SYSTEM = "system"  # the audit actor of what the worker does on its own
FINISH_BATCH = 200


class BroadcastError(ValueError):
    """The broadcast cannot do what was asked in its present state."""


@dataclass(frozen=True, slots=True)
class PartCount:
    """How a text travels: encoding, length in units, parts, and the characters forcing UCS-2."""

    encoding: str
    units: int
    parts: int
    ucs2_chars: tuple[str, ...]


def count_parts(text: str) -> PartCount:
    """Count a text's SMS parts and name the characters that force UCS-2 (for the warning)."""
    found = segments.count(text)
    forcing = tuple(dict.fromkeys(ch for ch in text if not segments.is_gsm7(ch)))
    return PartCount(found.encoding, found.units, found.parts, forcing)


@dataclass(frozen=True, slots=True)
class Preview:
    """What a send would do: recipients, exclusions, parts and cost."""

    recipients: int
    by_language: dict[str, int]
    parts: dict[str, PartCount]
    texts: dict[str, str]
    total_parts: int
    cost: Decimal


def body_for(broadcast: Broadcast, language: str) -> str:
    """Return the text stored for one recipient (the sender adds the opt-out line itself)."""
    return broadcast.body_sw if language == "sw" else broadcast.body_en


def sent_text(body: str, language: str, message_class: str) -> str:
    """Return typed text as the recipient will see it: normalised, opt-out line on awareness."""
    text = segments.normalise(body.strip())
    if message_class == MessageClass.AWARENESS:
        return with_opt_out(text, language)
    return text


def final_body(broadcast: Broadcast, language: str) -> str:
    """Return a broadcast's text as the recipient will see it, opt-out line included."""
    return sent_text(body_for(broadcast, language), language, broadcast.message_class)


def compose(
    session: Session,
    *,
    title: str,
    body_en: str,
    body_sw: str,
    message_class: str,
    audience: Audience,
    creator_id: int,
    scheduled_for: datetime | None,
) -> Broadcast:
    """Create a draft broadcast; the audience is frozen now so approvers see what is sent."""
    if not title.strip() or not body_en.strip() or not body_sw.strip():
        raise BroadcastError("a title and both the English and Kiswahili texts are needed")
    broadcast = Broadcast(
        title=title.strip()[:120],
        body_en=segments.normalise(body_en.strip()),
        body_sw=segments.normalise(body_sw.strip()),
        message_class=MessageClass(message_class),
        audience=audience.as_json(),
        recipient_count=len(audience.phones),
        created_by_id=creator_id,
        scheduled_for=scheduled_for,
        status=S.DRAFT,
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def preview(
    session: Session, broadcast: Broadcast, *, default_language: str, price: float
) -> Preview:
    """Count recipients per language, parts per text and the estimated cost."""
    langs = languages(session, broadcast.audience["phones"], default_language)
    by_language = {lang: list(langs.values()).count(lang) for lang in ("en", "sw")}
    texts = {lang: final_body(broadcast, lang) for lang in ("en", "sw")}
    parts = {lang: count_parts(text) for lang, text in texts.items()}
    total = sum(parts[lang].parts * n for lang, n in by_language.items())
    cost = (Decimal(str(price)) * total).quantize(Decimal("0.01"))
    return Preview(len(langs), by_language, parts, texts, total, cost)


def needs_approval(broadcast: Broadcast, threshold: int) -> bool:
    """True when the send is large enough to need a second supervisor."""
    return broadcast.recipient_count > threshold


def locked(session: Session, broadcast_id: int) -> Broadcast | None:
    """Load a broadcast fresh from the database under a row lock, for a state change."""
    return session.get(Broadcast, broadcast_id, with_for_update=True, populate_existing=True)


def _move(session: Session, broadcast: Broadcast, before: str, **values: Any) -> bool:
    """Change the row only if it is still in state `before`; True when this call changed it."""
    # The row lock serialises PostgreSQL; this condition also holds where FOR UPDATE is a no-op.
    moved = session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast.id, Broadcast.status == before)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if int(moved.rowcount) != 1:  # type: ignore[attr-defined]
        return False
    for name, value in values.items():
        setattr(broadcast, name, value)
    return True


ALREADY_APPROVED = "already approved: this broadcast is sent once, nothing more was sent"


def _already(broadcast: Broadcast) -> BroadcastError:
    if broadcast.status in (S.APPROVED, S.SENDING, S.PAUSED, S.DONE):
        return BroadcastError(ALREADY_APPROVED)
    return BroadcastError(f"this broadcast is {broadcast.status.replace('_', ' ')} now")


def submit(
    session: Session, broadcast: Broadcast, *, actor_id: int, threshold: int, now: datetime
) -> bool:
    """Ask to send a draft; return True when it may go now (small enough to need no approver)."""
    if broadcast.status != S.DRAFT:
        raise _already(broadcast)
    if needs_approval(broadcast, threshold):
        if not _move(session, broadcast, S.DRAFT, status=S.PENDING_APPROVAL):
            raise BroadcastError("this broadcast was submitted already")
        return False
    values = {"status": S.APPROVED, "approved_by_id": actor_id, "approved_at": now}
    if not _move(session, broadcast, S.DRAFT, **values):
        raise BroadcastError(ALREADY_APPROVED)
    return True


def approve(session: Session, broadcast: Broadcast, *, approver_id: int, now: datetime) -> None:
    """Approve a pending broadcast as a supervisor other than its author."""
    if broadcast.status != S.PENDING_APPROVAL:
        raise _already(broadcast)
    if approver_id == broadcast.created_by_id:
        raise BroadcastError("a different supervisor must approve this send")
    values = {"status": S.APPROVED, "approved_by_id": approver_id, "approved_at": now}
    if not _move(session, broadcast, S.PENDING_APPROVAL, **values):
        raise BroadcastError(ALREADY_APPROVED)


def reject(session: Session, broadcast: Broadcast) -> None:
    """Refuse a draft or pending broadcast: nothing is sent."""
    if broadcast.status not in (S.DRAFT, S.PENDING_APPROVAL):
        raise BroadcastError("only a draft or pending broadcast can be rejected")
    broadcast.status = S.CANCELLED


def pause(session: Session, broadcast: Broadcast) -> None:
    """Stop fan-out and sending of what is not yet sent."""
    if broadcast.status not in (S.APPROVED, S.SENDING):
        raise BroadcastError("only an approved or sending broadcast can be paused")
    broadcast.status = S.PAUSED


def resume(session: Session, broadcast: Broadcast) -> list[int]:
    """Resume a paused broadcast; return the ids of unsent messages to enqueue again."""
    if broadcast.status != S.PAUSED:
        raise BroadcastError("only a paused broadcast can be resumed")
    broadcast.status = S.SENDING
    query = select(Message.id).where(
        Message.broadcast_id == broadcast.id, Message.status.in_(UNSENT)
    )
    return list(session.scalars(query))


def cancel(session: Session, broadcast: Broadcast, *, now: datetime) -> int:
    """Cancel a broadcast and every message not yet handed to AT; return how many were stopped."""
    if broadcast.status in (S.DONE, S.CANCELLED):
        raise BroadcastError("this broadcast has already finished")
    broadcast.status, broadcast.finished_at = S.CANCELLED, now
    result = session.execute(
        update(Message)
        .where(Message.broadcast_id == broadcast.id, Message.status.in_(UNSENT))
        .values(status=MessageStatus.CANCELLED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def fan_out_batch(
    work: Work,
    broadcast_id: int,
    *,
    size: int,
    default_language: str,
    now: datetime | None = None,
) -> bool:
    """Queue the next batch of a broadcast's messages where the last one stopped; True if more.

    Where it stopped is kept with the broadcast, in this batch's transaction: a fan-out cut off
    by a dead worker resumes there, and a batch run twice queues nothing twice (one key each).
    """
    session, now = work.session, now or utcnow()
    broadcast = session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status not in (S.APPROVED, S.SENDING):
        return False
    if broadcast.audience.get("fanned_out"):
        return False
    if broadcast.status == S.APPROVED:
        _audit_start(session, broadcast, now)
    broadcast.status = S.SENDING
    start = int(broadcast.audience.get("next", 0))
    phones: list[str] = broadcast.audience["phones"][start : start + size]
    skip = blocked(session, phones, broadcast.message_class)
    langs = languages(session, phones, default_language)
    queue_messages(work, [_row(broadcast, p, lang) for p, lang in langs.items() if p not in skip])
    done = start + size >= len(broadcast.audience["phones"])
    broadcast.audience = {**broadcast.audience, "next": start + size, "fanned_out": done,
                          "progress_at": now.isoformat()}  # fmt: skip
    return not done


def owed_fan_outs(session: Session, now: datetime, quiet_after: float) -> list[int]:
    """Broadcasts whose fan-out is owed and has made no progress for `quiet_after` seconds.

    Their job was lost (every worker died, Redis was down at the approval click...): the database
    says the fan-out is owed, so it is started again, resuming where it stopped.
    """
    query = select(Broadcast).where(Broadcast.status.in_((S.APPROVED, S.SENDING)))
    owed = []
    for broadcast in session.scalars(query.order_by(Broadcast.id)):
        if broadcast.audience.get("fanned_out"):
            continue
        if broadcast.scheduled_for is not None and broadcast.scheduled_for > now:
            continue
        stamp = broadcast.audience.get("progress_at")
        last = datetime.fromisoformat(stamp) if stamp else broadcast.approved_at
        if (now - (last or broadcast.created_at)).total_seconds() >= quiet_after:
            owed.append(broadcast.id)
    return owed


def _audit_start(session: Session, broadcast: Broadcast, now: datetime) -> None:
    """Record that the worker began sending (at once, or later when scheduled or deferred)."""
    approved = broadcast.approved_at or now
    audit.record(
        session,
        actor_id=None,
        actor=SYSTEM,
        action="send_start",
        target=f"broadcast:{broadcast.id}",
        scheduled_for=broadcast.scheduled_for.isoformat() if broadcast.scheduled_for else None,
        waited_seconds=max(0, int((now - approved).total_seconds())),
        recipients=broadcast.recipient_count,
    )


def _row(broadcast: Broadcast, phone: str, language: str) -> dict[str, Any]:
    return {
        "recipient": phone, "body": body_for(broadcast, language), "kind": "broadcast",
        "message_class": broadcast.message_class, "broadcast_id": broadcast.id,
        "idempotency_key": f"broadcast:{broadcast.id}:{phone}", "language": language,
    }  # fmt: skip


def progress(session: Session, broadcast: Broadcast) -> dict[str, Any]:
    """Count the broadcast's messages by stage for the progress bar."""
    rows = session.execute(
        select(Message.status, func.count())
        .where(Message.broadcast_id == broadcast.id)
        .group_by(Message.status)
    )
    counts: dict[str, int] = {status: n for status, n in rows}
    queued = sum(counts.get(s, 0) for s in IN_FLIGHT)
    failed = counts.get(MessageStatus.FAILED, 0) + counts.get(MessageStatus.SUPPRESSED, 0)
    return {
        "status": broadcast.status,
        "total": broadcast.recipient_count,
        "queued": queued,
        "sent": counts.get(MessageStatus.SENT, 0),
        "failed": failed,
        "delivered": counts.get(MessageStatus.DELIVERED, 0),
        "cancelled": counts.get(MessageStatus.CANCELLED, 0),
        "complete": bool(broadcast.audience.get("fanned_out")) and queued == 0,
    }


def finish(session: Session, broadcast: Broadcast, counts: dict[str, Any], now: datetime) -> bool:
    """Mark a sending broadcast done once everything is fanned out and nothing is in flight."""
    if broadcast.status != S.SENDING or not counts["complete"]:
        return False
    # Conditional, so the worker and a watching page racing to finish it audit it once.
    if not _move(session, broadcast, S.SENDING, status=S.DONE, finished_at=now):
        return False
    keys = ("delivered", "sent", "failed", "cancelled")
    audit.record(
        session,
        actor_id=None,
        actor=SYSTEM,
        action="send_done",
        target=f"broadcast:{broadcast.id}",
        **{key: counts[key] for key in keys},
    )
    return True


def finish_all(session: Session, now: datetime, limit: int = FINISH_BATCH) -> int:
    """Finish every sending broadcast with nothing left in flight; return how many."""
    query = select(Broadcast).where(Broadcast.status == S.SENDING).order_by(Broadcast.id)
    finished = 0
    for broadcast in session.scalars(query.limit(limit)).all():
        finished += finish(session, broadcast, progress(session, broadcast), now)
    return finished


def failure_reasons(session: Session, broadcast_id: int) -> list[tuple[str, int]]:
    """Return each failure reason of a broadcast with how many messages it hit."""
    reason = func.coalesce(Message.failure_reason, Message.last_error, Message.status)
    query = (
        select(reason, func.count())
        .where(Message.broadcast_id == broadcast_id)
        .where(Message.status.in_((MessageStatus.FAILED, MessageStatus.SUPPRESSED)))
        .group_by(reason)
        .order_by(func.count().desc())
    )
    return [(str(r), int(n)) for r, n in session.execute(query)]


def report_rows(session: Session, broadcast_id: int) -> list[Message]:
    """Return every message of a broadcast, for the CSV export."""
    query = select(Message).where(Message.broadcast_id == broadcast_id).order_by(Message.id)
    return list(session.scalars(query))
