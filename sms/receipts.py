"""Booking receipts by SMS: confirmed, cancelled, or could not be booked; each at most one part."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from identifiers.codes import new_code
from models import Booking
from models.work import Work
from sms.outbox import queue_message
from words.dates import when_text
from words.i18n import N_, say

CONFIRMED = N_(
    "HUDUMA: Appointment confirmed. Ref {ref}, {centre}, {when} ({service}). "
    "Show this SMS at the gate. Help: 1919"
)
CONFIRMED_SHORT = N_(
    "HUDUMA: Appointment confirmed. Ref {ref}, {centre}, {when}. "
    "Show this SMS at the gate. Help: 1919"
)
CANCELLED = N_("HUDUMA: Appointment {ref} at {centre} on {when} is cancelled. Help: 1919")
FAILED = N_(
    "HUDUMA: We could not book your appointment: that time is full or you have 2 bookings. "
    "Please dial again. Help: 1919"
)
SMS_LIMIT = 160


def receipt_text(booking: Booking, kind: str, lang: str, tz: ZoneInfo) -> str:
    """The receipt of a booking ("booking_receipt") or cancellation ("booking_cancelled")."""
    slot = booking.slot
    values = {
        "ref": booking.reference,
        "centre": slot.centre.name,
        "when": when_text(slot.starts_at, lang, tz),
        "service": slot.service.name_sw if lang == "sw" else slot.service.name_en,
    }
    if kind == "booking_cancelled":
        return say(lang, CANCELLED, **values)
    full = say(lang, CONFIRMED, **values)
    return full if len(full) <= SMS_LIMIT else say(lang, CONFIRMED_SHORT, **values)


def queue_receipt(work: Work, booking: Booking, kind: str, lang: str, tz: ZoneInfo) -> None:
    """Queue the receipt in this unit of work: one per booking and event, sent after commit."""
    event = "cancelled" if kind == "booking_cancelled" else "confirmed"
    queue_message(
        work, recipient=booking.phone, body=receipt_text(booking, kind, lang, tz), kind=kind,
        idempotency_key=f"booking:{booking.id}:{event}", booking_id=booking.id,
        verification_code=new_code(), language=lang,
    )  # fmt: skip


def queue_not_booked(work: Work, phone: str, lang: str, key: str) -> None:
    """Tell a caller whose deferred booking could not be made (once per confirming hop)."""
    queue_message(work, recipient=phone, body=say(lang, FAILED), kind="booking_failed",
                  language=lang, idempotency_key=f"{key}:failed")  # fmt: skip
