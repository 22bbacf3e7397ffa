"""Reminders: the day before a booking, and for documents left uncollected."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, select
from sqlalchemy.orm import joinedload

from config import Settings
from models import Booking, BookingStatus, Document, DocumentStatus, Slot
from models.work import Work
from sms.languages import languages
from sms.notices import centre_names
from sms.outbox import queue_message
from sms.templates import kind_values, language_of, render
from sms.tickets import UNCOLLECTED, open_ticket
from words.dates import when_text


def tomorrow_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The start and end of tomorrow, local time."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


def remind_bookings(work: Work, settings: Settings, now: datetime) -> int:
    """Queue one reminder per active booking whose slot is tomorrow."""
    session = work.session
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
                      when=when_text(booking.slot.starts_at, language, settings.tz),
                      centre=booking.slot.centre.name,
                      service=service.name_sw if language == "sw" else service.name_en)  # fmt: skip
        queue_message(work, recipient=booking.phone, body=body, kind="reminder",
                      idempotency_key=f"reminder:booking:{booking.id}", language=language,
                      booking_id=booking.id)  # fmt: skip
    return len(bookings)


def due_documents(now: datetime, days: list[int], after: int, page: int) -> Select[Any]:
    """Documents whose next reminder is due, in id order after `after` (decided in SQL)."""
    # Reminder n is due once the document has waited days[n]: one threshold per count sent.
    threshold = case(
        *((Document.reminders_sent == n, now - timedelta(days=d)) for n, d in enumerate(days)),
        else_=None,
    )
    return (
        select(Document)
        .where(Document.status == DocumentStatus.READY_FOR_COLLECTION,
               Document.reminders_sent < len(days), Document.status_changed_at <= threshold,
               Document.id > after)
        .order_by(Document.id)
        .limit(page)
    )  # fmt: skip


def remind_uncollected(
    work: Work, settings: Settings, now: datetime, page: int = 1000, pages: int = 50
) -> int:
    """Remind owners of documents still waiting; after the last reminder, open a call ticket."""
    session = work.session
    days = sorted(settings.reminder_days)
    reminded, after = 0, 0
    for _ in range(pages if days else 0):
        due = list(session.scalars(due_documents(now, days, after, page)))
        if not due:
            break
        _remind_page(work, settings, due, days)
        reminded, after = reminded + len(due), due[-1].id
    return reminded


def _remind_page(work: Work, settings: Settings, due: list[Document], days: list[int]) -> None:
    session = work.session
    langs = languages(session, (d.owner_phone for d in due), settings.default_language)
    centres = centre_names(session, (d.centre_id for d in due))
    for document in due:
        language = langs[document.owner_phone]
        _remind(work, document, language, centres.get(document.centre_id or 0, ""))
        if document.reminders_sent == len(days):
            document.needs_call = True
            summary = f"{document.reference} uncollected after {days[-1]} days"
            open_ticket(session, UNCOLLECTED, document.owner_phone, summary,
                        document_id=document.id, append=True)  # fmt: skip


def _remind(work: Work, document: Document, language: str, centre: str) -> None:
    number = document.reminders_sent + 1
    body = render("uncollected", language, ref=document.reference, centre=centre,
                  **kind_values(document.kind, language))  # fmt: skip
    stamp = int(document.status_changed_at.timestamp())
    queue_message(work, recipient=document.owner_phone, body=body, kind="reminder",
                  idempotency_key=f"reminder:document:{document.id}:{stamp}:{number}",
                  language=language, document_id=document.id)  # fmt: skip
    document.reminders_sent = number
