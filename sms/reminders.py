"""Reminders: the day before a booking, and for documents left uncollected."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from config import Settings
from models import Booking, BookingStatus, Document, DocumentStatus, Slot, Ticket
from sms.notices import centre_names, languages
from sms.outbox import queue_message
from sms.templates import kind_values, language_of, render

SW_DAYS = ("Jumatatu", "Jumanne", "Jumatano", "Alhamisi", "Ijumaa", "Jumamosi", "Jumapili")
EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def when_text(moment: datetime, language: str, timezone: str) -> str:
    """A slot time as people read it: 'Jumanne 14/01/2026 09:00' (24-hour in both)."""
    local = moment.astimezone(ZoneInfo(timezone))
    days = SW_DAYS if language == "sw" else EN_DAYS
    return f"{days[local.weekday()]} {local:%d/%m/%Y %H:%M}"


def tomorrow_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The start and end of tomorrow, local time."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


def remind_bookings(session: Session, settings: Settings, now: datetime) -> int:
    """Queue one reminder per active booking whose slot is tomorrow."""
    start, end = tomorrow_bounds(now, settings.timezone)
    bookings = session.scalars(
        select(Booking).join(Slot).where(Booking.status == BookingStatus.ACTIVE,
                                         Slot.starts_at >= start, Slot.starts_at < end)
        .options(joinedload(Booking.slot).joinedload(Slot.centre),
                 joinedload(Booking.slot).joinedload(Slot.service))
    ).all()  # fmt: skip
    for booking in bookings:
        language = language_of(booking.language)
        service = booking.slot.service
        body = render("booking_reminder", language, ref=booking.reference,
                      when=when_text(booking.slot.starts_at, language, settings.timezone),
                      centre=booking.slot.centre.name,
                      service=service.name_sw if language == "sw" else service.name_en)  # fmt: skip
        queue_message(session, recipient=booking.phone, body=body, kind="reminder",
                      idempotency_key=f"reminder:booking:{booking.id}", language=language,
                      booking_id=booking.id)  # fmt: skip
    return len(bookings)


def remind_uncollected(
    session: Session, settings: Settings, now: datetime, limit: int = 5000
) -> int:
    """Remind owners of documents still waiting; after the last reminder, open a call ticket."""
    days = sorted(settings.reminder_days)
    if not days:
        return 0
    waiting = session.scalars(
        select(Document).where(Document.status == DocumentStatus.READY_FOR_COLLECTION,
                               Document.reminders_sent < len(days),
                               Document.status_changed_at <= now - timedelta(days=days[0]))
        .order_by(Document.id).limit(limit)
    ).all()  # fmt: skip
    due = [
        d for d in waiting if d.status_changed_at <= now - timedelta(days=days[d.reminders_sent])
    ]
    langs = languages(session, (d.owner_phone for d in due), settings.default_language)
    centres = centre_names(session, (d.centre_id for d in due))
    for document in due:
        _remind(
            session, document, langs[document.owner_phone], centres.get(document.centre_id or 0, "")
        )
        if document.reminders_sent == len(days):
            document.needs_call = True
            session.add(
                Ticket(
                    reason="uncollected",
                    phone=document.owner_phone,
                    document_id=document.id,
                    summary=f"{document.reference} uncollected after {days[-1]} days",
                )
            )
    return len(due)


def _remind(session: Session, document: Document, language: str, centre: str) -> None:
    number = document.reminders_sent + 1
    body = render("uncollected", language, ref=document.reference, centre=centre,
                  **kind_values(document.kind, language))  # fmt: skip
    stamp = int(document.status_changed_at.timestamp())
    queue_message(session, recipient=document.owner_phone, body=body, kind="reminder",
                  idempotency_key=f"reminder:document:{document.id}:{stamp}:{number}",
                  language=language, document_id=document.id)  # fmt: skip
    document.reminders_sent = number
