"""Book an appointment, when: the earliest free time at once, or a date and then a time."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from menus.booking_confirm import after_slot, replaces
from menus.common import day_text, when_text
from menus.context import HopContext, HopTurn
from models import Slot
from services import bookings
from ussd.engine import Again, Go, Invalid, Node, Outcome, View
from words.i18n import N_

EARLIEST = "slot:"  # the value of the "earliest free time" option
TIME_GONE = N_("That time is no longer available. Choose another.")


def _where(turn: HopTurn) -> tuple[int, int]:
    return int(turn.data["service"]), int(turn.data["centre"])


def _day_view(turn: HopTurn) -> View:
    """The earliest free time first, then the dates (less those the caller has this service)."""
    hop, (service, centre) = turn.ctx, _where(turn)
    limit = hop.settings.ussd_booking_days

    def lookup(db: Session) -> bookings.Days:
        taken = bookings.booked_days(db, hop.phone, service, hop.now, hop.tz, replaces(turn))
        return bookings.open_days(db, (service, centre), hop.now, hop.tz, limit, taken)

    found = hop.read(lookup)
    if found.first_slot is None or found.first_at is None:
        return View(turn.t(N_("No free dates at this centre. Try another centre.")), end=True)
    earliest = turn.t(N_("Earliest: {when}"), when=when_text(turn, found.first_at))
    labels = [earliest, *(day_text(turn, day) for day in found.days)]
    values = [f"{EARLIEST}{found.first_slot}", *(day.isoformat() for day in found.days)]
    return View(turn.t(N_("Choose a date")), labels, values=values)


def _day_handle(turn: HopTurn, text: str) -> Outcome:
    value = turn.picked(text)
    if value is None:
        return Invalid()
    if value.startswith(EARLIEST):
        return _slot_chosen(turn, value.removeprefix(EARLIEST))
    return Go("book.time", {"day": value})  # a day taken since says so, with a way back


def _free_on(turn: HopTurn, day: date) -> list[Slot]:
    hop, (service, centre) = turn.ctx, _where(turn)
    return hop.read(lambda db: bookings.open_slots(db, service, centre, day, hop.now, hop.tz))


def _time_view(turn: HopTurn) -> View:
    hop = turn.ctx
    found = _free_on(turn, date.fromisoformat(turn.data["day"]))
    if not found:  # taken since the date was listed; Back returns to the dates
        return View(turn.t(N_("No free times are left on that day.")))
    labels = [
        turn.t(N_("{time} ({left} left)"), time=f"{slot.starts_at.astimezone(hop.tz):%H:%M}",
               left=slot.capacity - slot.booked)
        for slot in found
    ]  # fmt: skip
    return View(turn.t(N_("Choose a time")), labels, values=[str(slot.id) for slot in found])


def _time_handle(turn: HopTurn, text: str) -> Outcome:
    slot = turn.picked(text)
    return Invalid() if slot is None else _slot_chosen(turn, slot)


def _slot_chosen(turn: HopTurn, slot: str) -> Outcome:
    hop = turn.ctx
    if not hop.read(lambda db: bookings.slot_open(db, int(slot), hop.now)):
        return Again(TIME_GONE)
    return after_slot(turn, slot)


NODES: tuple[Node[HopContext], ...] = (
    Node("book.day", _day_view, _day_handle),
    Node("book.time", _time_view, _time_handle),
)
