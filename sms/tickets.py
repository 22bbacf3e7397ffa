"""Tickets for the contact centre: at most one open ticket per reason and number."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from identifiers.numbers import mask_phone
from models import Message, MessageStatus, Ticket, utcnow
from models.db import serialise

UNCOLLECTED = "uncollected"
SMS_FAILING = "sms_failing"
SMS_HELP = "sms_help"
DATA_REQUEST = "data_request"
OPEN = "open"


def open_ticket(
    session: Session,
    reason: str,
    phone: str,
    summary: str,
    *,
    document_id: int | None = None,
    inbound_id: int | None = None,
    append: bool = False,
) -> Ticket | None:
    """Open a ticket unless one is open for `reason` and `phone` (`append` adds to its summary)."""
    # Two transactions opening the same ticket at once: the second waits, then sees the first.
    serialise(session, f"ticket:{reason}:{phone}", Ticket)
    existing = session.scalars(
        select(Ticket).where(Ticket.reason == reason, Ticket.phone == phone, Ticket.status == OPEN)
    ).first()
    if existing is not None:
        if append and summary not in existing.summary:
            existing.summary = f"{existing.summary}; {summary}"[:200]
        return None
    ticket = Ticket(reason=reason, phone=phone, summary=summary[:200], document_id=document_id,
                    inbound_id=inbound_id)  # fmt: skip
    session.add(ticket)
    session.flush()
    return ticket


def note_failures(session: Session, settings: Settings, phones: Iterable[str]) -> int:
    """Open a ticket for each number whose SMS failed repeatedly of late; return how many."""
    wanted = sorted(set(phones))
    if not wanted:
        return 0
    since = utcnow() - timedelta(days=settings.sms_failure_ticket_days)
    failing = session.execute(  # one query for the lot: a refused call fails every recipient
        select(Message.recipient, func.count())
        .where(Message.recipient.in_(wanted), Message.status == MessageStatus.FAILED,
               Message.created_at >= since)
        .group_by(Message.recipient)
        .having(func.count() >= settings.sms_failure_ticket_count)
        .order_by(Message.recipient)
    ).all()  # fmt: skip
    opened = 0
    for phone, failures in failing:
        summary = f"{failures} SMS to {mask_phone(phone)} failed in the last "
        summary += f"{settings.sms_failure_ticket_days} days"
        opened += open_ticket(session, SMS_FAILING, phone, summary) is not None
    return opened
