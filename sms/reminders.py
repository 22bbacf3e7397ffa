"""Reminders: the day before a booking, and for documents left uncollected.

At most one per due point and never a repeat: a job that catches up sends only the latest due
reminder. They go in daytime only (REMINDER_WINDOW), at least REMINDER_GAP_DAYS after anything
we last told the owner of that document (the notice included), numbered, one part each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, select
from sqlalchemy.orm import joinedload

from config import Settings
from identifiers.codes import verification_code
from models import Booking, BookingStatus, Document, DocumentStatus, Slot
from models.work import Work
from sms.languages import languages
from sms.notices import centre_names
from sms.outbox import queue_message
from sms.quiet import next_window_start
from sms.segments import count
from sms.templates import compose, language_of, public_code
from sms.tickets import UNCOLLECTED, open_ticket
from words.dates import clock_text
from words.documents import waiting_text
from words.i18n import N_, say

TOMORROW = N_("Reminder: appointment {ref} tomorrow at {time}, {centre} ({service}). "
              "Show this SMS at the gate.")  # fmt: skip
TOMORROW_SHORT = N_("Reminder: appointment {ref} tomorrow at {time}, {centre}. "
                    "Show this SMS at the gate.")  # fmt: skip


FRESH_RECEIPT = timedelta(hours=12)  # a booking this recent has its receipt: no reminder


@dataclass(frozen=True, slots=True)
class Reminding:
    """One run of the uncollected reminders: the due points, the gap, the dial, the moment."""

    days: tuple[int, ...]
    gap: timedelta
    dial: str
    now: datetime

    @property
    def total(self) -> int:
        """How many reminders a document gets."""
        return len(self.days)


def tomorrow_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """The start and end of tomorrow, local time."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


def daytime(now: datetime, settings: Settings) -> bool:
    """True inside the hours reminders may go out (local time)."""
    return next_window_start(now, settings.reminder_window, settings.timezone) is None


def remind_bookings(work: Work, settings: Settings, now: datetime) -> int:
    """Queue one reminder per active booking whose slot is tomorrow, in daytime only."""
    if not daytime(now, settings):
        return 0
    session = work.session
    start, end = tomorrow_bounds(now, settings.timezone)
    bookings = session.scalars(
        select(Booking).join(Slot).where(Booking.status == BookingStatus.ACTIVE,
                                         Slot.starts_at >= start, Slot.starts_at < end,
                                         Booking.created_at <= now - FRESH_RECEIPT)
        .options(joinedload(Booking.slot).joinedload(Slot.centre),
                 joinedload(Booking.slot).joinedload(Slot.service))
    ).all()  # fmt: skip
    for booking in bookings:
        language, code = language_of(booking.language), verification_code()
        queue_message(work, recipient=booking.phone, kind="reminder",
                      body=booking_reminder(booking, language, settings, code),
                      idempotency_key=f"reminder:booking:{booking.id}", language=language,
                      booking_id=booking.id, verification_code=code)  # fmt: skip
    return len(bookings)


def booking_reminder(booking: Booking, lang: str, settings: Settings, code: str) -> str:
    """The day-before reminder: one part, the service left out when it would take two."""
    slot = booking.slot
    service = slot.service.name_sw if lang == "sw" else slot.service.name_en
    values = {"ref": booking.reference, "centre": slot.centre.name, "service": service,
              "time": clock_text(slot.starts_at, settings.tz)}  # fmt: skip
    framed = [compose(lang, say(lang, text, **values), code, public_code(settings))
              for text in (TOMORROW, TOMORROW_SHORT)]  # fmt: skip
    return next((text for text in framed if count(text).parts == 1), framed[-1])


def due_documents(how: Reminding, after: int, page: int) -> Select[Any]:
    """Documents whose next reminder is due, in id order after `after` (decided in SQL)."""
    # Reminder n is due once the document has waited days[n]: one threshold per count sent.
    now = how.now
    threshold = case(
        *((Document.reminders_sent == n, now - timedelta(days=d)) for n, d in enumerate(how.days)),
        else_=None,
    )
    # updated_at is when we last told the owner anything of it: the notice, or a reminder.
    return (
        select(Document)
        .where(Document.status == DocumentStatus.READY_FOR_COLLECTION,
               Document.reminders_sent < how.total, Document.status_changed_at <= threshold,
               Document.updated_at <= now - how.gap, Document.id > after)
        .order_by(Document.id)
        .limit(page)
    )  # fmt: skip


def points_passed(document: Document, now: datetime, days: tuple[int, ...]) -> int:
    """How many due points the document has passed: the number of the reminder to send."""
    waited = now - document.status_changed_at
    return sum(1 for d in days if waited >= timedelta(days=d))


def remind_uncollected(
    work: Work, settings: Settings, now: datetime, page: int = 1000, pages: int = 50
) -> int:
    """Remind owners of documents still waiting, in daytime; the last reminder opens a ticket."""
    gap = timedelta(days=settings.reminder_gap_days)
    how = Reminding(tuple(sorted(settings.reminder_days)), gap, public_code(settings), now)
    if not how.days or not daytime(now, settings):
        return 0
    reminded, after = 0, 0
    for _ in range(pages):
        due = list(work.session.scalars(due_documents(how, after, page)))
        if not due:
            break
        _remind_page(work, settings, due, how)
        reminded, after = reminded + len(due), due[-1].id
    return reminded


def _remind_page(work: Work, settings: Settings, due: list[Document], how: Reminding) -> None:
    session = work.session
    langs = languages(session, (d.owner_phone for d in due), settings.default_language)
    centres = centre_names(session, (d.centre_id for d in due))
    for document in due:
        language = langs[document.owner_phone]
        _remind(work, document, language, centres.get(document.centre_id or 0, ""), how)
        if document.reminders_sent == how.total:
            document.needs_call = True
            summary = f"{document.reference} uncollected after {how.days[-1]} days"
            open_ticket(session, UNCOLLECTED, document.owner_phone, summary,
                        document_id=document.id, append=True)  # fmt: skip


def _remind(work: Work, document: Document, language: str, centre: str, how: Reminding) -> None:
    number, code = points_passed(document, how.now, how.days), verification_code()
    body = waiting_text(language, document.kind, document.reference, centre, (number, how.total))
    stamp = int(document.status_changed_at.timestamp())
    queue_message(work, recipient=document.owner_phone, kind="reminder",
                  body=compose(language, body, code, how.dial), verification_code=code,
                  idempotency_key=f"reminder:document:{document.id}:{stamp}:{number}",
                  language=language, document_id=document.id)  # fmt: skip
    # A catch-up sends only the latest due reminder; the ones before it are never sent.
    document.reminders_sent, document.updated_at = number, how.now
