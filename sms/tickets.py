"""Tickets for the contact centre: at most one open ticket per reason and number."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from models import Message, MessageStatus, Ticket, utcnow
from models.db import serialise
from services.identity import mask_phone

UNCOLLECTED = "uncollected"
SMS_FAILING = "sms_failing"
SMS_HELP = "sms_help"
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
    since = utcnow() - timedelta(days=settings.sms_failure_ticket_days)
    opened = 0
    for phone in sorted(set(phones)):
        failures = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.recipient == phone, Message.status == MessageStatus.FAILED,
                   Message.created_at >= since)
        )  # fmt: skip
        if (failures or 0) >= settings.sms_failure_ticket_count:
            summary = f"{failures} SMS to {mask_phone(phone)} failed in the last "
            summary += f"{settings.sms_failure_ticket_days} days"
            opened += open_ticket(session, SMS_FAILING, phone, summary) is not None
    return opened
