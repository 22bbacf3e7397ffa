"""My appointments: list, view, cancel with confirmation, reschedule."""

from __future__ import annotations

from menus.booking_confirm import summary
from menus.common import listing, notice, when_text
from menus.context import HopContext, HopTurn
from services import appointments, bookings
from sms.receipts import Receipt, queue_receipt
from ussd.engine import Go, Invalid, Node, Outcome, View
from words.i18n import N_

NOT_FOUND = N_("Appointment not found.")


def _mine(turn: HopTurn) -> list[tuple[str, str]]:
    hop = turn.ctx
    found = hop.read(lambda db: appointments.upcoming(db, hop.phone, hop.now))
    return [(str(a.id), f"{a.reference} {when_text(turn, a.seat.starts_at)}") for a in found]


def _appointment(turn: HopTurn) -> appointments.Appointment | None:
    hop, chosen = turn.ctx, int(turn.data.get("booking", "0") or 0)
    return hop.read(lambda db: appointments.appointment(db, chosen, hop.phone))


def _view(turn: HopTurn) -> View:
    found = _appointment(turn)
    if found is None:
        return View(turn.t(NOT_FOUND), end=True)
    title = turn.t(N_("{ref}: {service}, {centre}, {when}"), ref=found.reference,
                   **summary(turn, found.seat))  # fmt: skip
    return View(title, [turn.t(N_("Cancel appointment")), turn.t(N_("Change date or time"))])


def _handle(turn: HopTurn, text: str) -> Outcome:
    if text == "1":
        return Go("mine.cancel")
    found = _appointment(turn) if text == "2" else None
    if found is None:
        return Invalid()
    seat = found.seat
    return Go("book.day", {
        "service": str(seat.service_id), "centre": str(seat.centre_id), "replaces": str(found.id),
        "idm": found.id_masked, "idh": found.id_hash,
    })  # fmt: skip


def _cancel_view(turn: HopTurn) -> View:
    found = _appointment(turn)
    if found is None:
        return View(turn.t(NOT_FOUND), end=True)
    title = turn.t(N_("Cancel {ref} on {when}?"), ref=found.reference,
                   when=when_text(turn, found.seat.starts_at))  # fmt: skip
    return View(title, [turn.t(N_("Yes, cancel it")), turn.t(N_("No, keep it"))])


def _cancel_handle(turn: HopTurn, text: str) -> Outcome:
    if text == "2":
        return Go("main")
    if text != "1":
        return Invalid()
    hop, chosen = turn.ctx, int(turn.data.get("booking", "0") or 0)
    cancelled = bookings.cancel(hop.db, chosen, hop.phone, hop.now)
    if cancelled is None:
        return Go("mine.gone")
    queue_receipt(hop.work, cancelled, Receipt.CANCELLED, turn.state.lang, hop.settings)
    return Go("mine.cancelled", {"ref": cancelled.reference})


NODES: tuple[Node[HopContext], ...] = (
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
    notice("mine.gone", lambda turn: turn.t(NOT_FOUND)),
)
