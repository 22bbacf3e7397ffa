"""My appointments: list, view, cancel with confirmation, reschedule."""

from __future__ import annotations

from menus.booking import queue_receipt, summary
from menus.common import ctx, listing, notice, when_text
from models import Booking
from services import bookings
from ussd.engine import N_, Go, Invalid, Node, Outcome, Turn, View


def _mine(turn: Turn) -> list[tuple[str, str]]:
    hop = ctx(turn)
    found = bookings.active_bookings(hop.db, hop.phone, hop.now)
    return [(str(b.id), f"{b.reference} {when_text(turn, b.slot.starts_at)}") for b in found]


def _booking(turn: Turn) -> Booking | None:
    hop = ctx(turn)
    booking = hop.db.get(Booking, int(turn.data.get("booking", "0") or 0))
    return booking if booking is not None and booking.phone == hop.phone else None


def _view(turn: Turn) -> View:
    booking = _booking(turn)
    if booking is None:
        return View(turn.t(N_("Appointment not found.")), end=True)
    title = turn.t(N_("{ref}: {service}, {centre}, {when}"), ref=booking.reference,
                   **summary(turn, booking.slot))  # fmt: skip
    return View(title, [turn.t(N_("Cancel appointment")), turn.t(N_("Change date or time"))])


def _handle(turn: Turn, text: str) -> Outcome:
    booking = _booking(turn)
    if booking is None or text not in ("1", "2"):
        return Invalid()
    if text == "1":
        return Go("mine.cancel")
    slot = booking.slot
    return Go("book.day", {
        "service": str(slot.service_id), "centre": str(slot.centre_id), "replaces": str(booking.id),
        "idm": booking.id_number_masked or "", "idh": booking.id_number_hash or "",
    })  # fmt: skip


def _cancel_view(turn: Turn) -> View:
    booking = _booking(turn)
    if booking is None:
        return View(turn.t(N_("Appointment not found.")), end=True)
    title = turn.t(N_("Cancel {ref} on {when}?"), ref=booking.reference,
                   when=when_text(turn, booking.slot.starts_at))  # fmt: skip
    return View(title, [turn.t(N_("Yes, cancel it")), turn.t(N_("No, keep it"))])


def _cancel_handle(turn: Turn, text: str) -> Outcome:
    if text == "2":
        return Go("main")
    booking = _booking(turn)
    if text != "1" or booking is None:
        return Invalid()
    hop = ctx(turn)
    cancelled = bookings.cancel(hop.db, booking.id, hop.phone, hop.now)
    if cancelled is not None:
        queue_receipt(turn, cancelled, "booking_cancelled", "cancelled")
    return Go("mine.cancelled", {"ref": booking.reference})


NODES = (
    listing(
        "mine.list",
        N_("Your appointments"),
        _mine,
        "booking",
        "mine.view",
        empty=N_("You have no upcoming appointments."),
    ),  # fmt: skip
    Node("mine.view", _view, _handle),
    Node("mine.cancel", _cancel_view, _cancel_handle, acts=True),
    notice(
        "mine.cancelled",
        lambda turn: turn.t(
            N_("Appointment {ref} is cancelled. An SMS is on its way."),
            ref=turn.data.get("ref", ""),
        ),
    ),
)
