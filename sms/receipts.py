"""Booking receipts by SMS: confirmed, moved, cancelled, or could not be booked.

Each carries its own verification code and is one part where the text allows it.
"""

from __future__ import annotations

from enum import StrEnum

from config import Settings
from identifiers.codes import verification_code
from models import Booking
from models.work import Work
from sms.outbox import queue_message
from sms.segments import count
from sms.templates import compose, language_of, public_code
from words.dates import when_text
from words.i18n import N_, say


class Receipt(StrEnum):
    """What happened to a booking; also the message kind."""

    CONFIRMED = "booking_receipt"
    MOVED = "booking_moved"
    CANCELLED = "booking_cancelled"


CONFIRMED = N_("Appointment confirmed: {ref}, {centre}, {when} ({service}). "
               "Show this SMS at the gate.")  # fmt: skip
CONFIRMED_SHORT = N_("Booked: {ref}, {centre}, {when}. Show this SMS at the gate.")
MOVED = N_("Appointment moved: {ref}, {centre}, {when}. {old} is cancelled. "
           "Show this SMS at the gate.")  # fmt: skip
# A move keeps the centre: when the whole text takes two parts, the centre is left out.
MOVED_SHORT = N_("Appointment moved: {ref}, {when}. {old} is cancelled. Show this SMS at the gate.")
CANCELLED = N_("Appointment {ref} at {centre} on {when} is cancelled.")
FAILED = N_("We could not book your appointment: that time is full or you have {limit} "
            "appointments. Please dial again.")  # fmt: skip


TEXTS = {
    Receipt.CONFIRMED: [CONFIRMED, CONFIRMED_SHORT],  # the service left out if it takes 2 parts
    Receipt.MOVED: [MOVED, MOVED_SHORT],
    Receipt.CANCELLED: [CANCELLED],
}


def receipt_text(
    booking: Booking, receipt: Receipt, lang: str, settings: Settings, code: str, old: str = ""
) -> str:
    """The receipt of a booking; `old` is the reference a moved booking replaced."""
    slot, lang, dial = booking.slot, language_of(lang), public_code(settings)
    service = slot.service.name_sw if lang == "sw" else slot.service.name_en
    values = {"ref": booking.reference, "centre": slot.centre.name, "old": old,
              "when": when_text(slot.starts_at, lang, settings.tz), "service": service}  # fmt: skip
    framed = [compose(lang, say(lang, text, **values), code, dial) for text in TEXTS[receipt]]
    return next((text for text in framed if count(text).parts == 1), framed[-1])


def queue_receipt(
    work: Work, booking: Booking, receipt: Receipt, lang: str, settings: Settings, old: str = ""
) -> None:
    """Queue the receipt in this unit of work: one per booking and event, sent after commit."""
    code = verification_code()
    body = receipt_text(booking, receipt, lang, settings, code, old)
    queue_message(
        work, recipient=booking.phone, body=body, kind=receipt.value,
        idempotency_key=f"booking:{booking.id}:{_event(receipt)}",
        booking_id=booking.id, verification_code=code, language=language_of(lang),
    )  # fmt: skip


def _event(receipt: Receipt) -> str:
    # A moved booking is a new booking confirmed: one receipt per booking and event.
    return "cancelled" if receipt is Receipt.CANCELLED else "confirmed"


def queue_not_booked(work: Work, phone: str, lang: str, key: str, settings: Settings) -> None:
    """Tell a caller whose deferred booking could not be made (once per confirming hop)."""
    code, lang = verification_code(), language_of(lang)
    body = say(lang, FAILED, limit=settings.ussd_max_active_bookings)
    queue_message(work, recipient=phone, body=compose(lang, body, code, public_code(settings)),
                  kind="booking_failed", language=lang, idempotency_key=f"{key}:failed",
                  verification_code=code)  # fmt: skip
