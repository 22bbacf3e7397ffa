"""Book an appointment: service, county, centre, date, time, ID number, confirm."""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from menus.common import ctx, day_text, hop_key, listing, notice, when_text
from models import Booking, Service, Slot
from services import bookings
from services.codes import new_code
from services.identity import InvalidIdNumber, keyed_hash, mask_id_number, validate_id_number
from sms.outbox import queue_message
from ussd.engine import N_, Go, Invalid, Node, Outcome, Turn, View, choose

REFUSALS = {
    "too_many": N_("You already have 2 upcoming appointments. Cancel one first."),
    "same_day": N_("You already have this service booked that day."),
}


def service_name(turn: Turn, service: Service) -> str:
    """Name a service in the caller's language."""
    return service.name_sw if turn.state.lang == "sw" else service.name_en


def _labels(turn: Turn, choices: list[bookings.Choice]) -> list[tuple[str, str]]:
    return [(str(id_), sw if turn.state.lang == "sw" else en) for id_, en, sw in choices]


def _services(turn: Turn) -> list[tuple[str, str]]:
    return _labels(turn, ctx(turn).read(bookings.service_choices))


def _counties(turn: Turn) -> list[tuple[str, str]]:
    service = int(turn.data["service"])
    return _labels(turn, ctx(turn).read(lambda db: bookings.county_choices(db, service)))


def _centres(turn: Turn) -> list[tuple[str, str]]:
    service, county = int(turn.data["service"]), int(turn.data["county"])
    return _labels(turn, ctx(turn).read(lambda db: bookings.centre_choices(db, service, county)))


def _days(turn: Turn) -> list[tuple[str, str]]:
    hop = ctx(turn)
    service, centre = int(turn.data["service"]), int(turn.data["centre"])
    limit = hop.settings.ussd_booking_days
    found = hop.read(lambda db: bookings.open_days(db, service, centre, hop.now, hop.tz, limit))
    return [(day.isoformat(), day_text(turn, day)) for day in found]


def _times(turn: Turn) -> list[tuple[str, str]]:
    hop = ctx(turn)
    service, centre = int(turn.data["service"]), int(turn.data["centre"])
    day = date.fromisoformat(turn.data["day"])
    found = hop.read(lambda db: bookings.open_slots(db, service, centre, day, hop.now, hop.tz))
    return [(str(slot.id), _time_label(turn, slot)) for slot in found]


def _time_label(turn: Turn, slot: Slot) -> str:
    start = f"{slot.starts_at.astimezone(ctx(turn).tz):%H:%M}"
    return turn.t(N_("{time} ({left} left)"), time=start, left=slot.capacity - slot.booked)


def _time_view(turn: Turn) -> View:
    found = _times(turn)
    if not found:  # taken since the date was listed; Back returns to the dates
        return View(turn.t(N_("No free times are left on that day.")))
    return View(turn.t(N_("Choose a time")), [label for _, label in found])


def _time_handle(turn: Turn, text: str) -> Outcome:
    found = _times(turn)
    index = choose(text, len(found))
    if index is None:
        return Invalid()
    target = "book.confirm" if replaces(turn) is not None and turn.data.get("idm") else "book.id"
    return Go(target, {"slot": found[index][0]})


def replaces(turn: Turn) -> int | None:
    """Return the booking this flow reschedules: only one chosen under My appointments now."""
    chosen = turn.data.get("replaces", "")
    if "mine.view" not in turn.state.stack or not chosen or chosen != turn.data.get("booking"):
        return None
    return int(chosen)


def _id_handle(turn: Turn, text: str) -> Outcome:
    try:
        id_number = validate_id_number(text)
    except InvalidIdNumber:
        return Invalid(N_("An ID number is 6 to 14 digits."))
    secret = ctx(turn).settings.secret_key
    return Go(
        "book.confirm", {"idm": mask_id_number(id_number), "idh": keyed_hash(id_number, secret)}
    )


def summary(turn: Turn, slot: Slot) -> dict[str, str]:
    """Return the values a booking screen or SMS shows."""
    return {
        "service": service_name(turn, slot.service),
        "centre": slot.centre.name,
        "when": when_text(turn, slot.starts_at),
    }


def _slot(turn: Turn) -> Slot | None:
    return ctx(turn).db.get(Slot, int(turn.data.get("slot", "0") or 0))


def _confirm_view(turn: Turn) -> View:
    slot = _slot(turn)
    if slot is None:
        return View(turn.t(N_("That time is no longer available.")), end=True)
    values = summary(turn, slot) | {"idm": turn.data.get("idm", "")}
    title = turn.t(N_("{service}, {centre}, {when}, ID {idm}"), **values)
    return View(title, [turn.t(N_("Confirm")), turn.t(N_("Cancel"))])


def _confirm_handle(turn: Turn, text: str) -> Outcome:
    if text == "2":
        return Go("main")
    if text != "1":
        return Invalid()
    try:
        booking = _book(turn)
    except OperationalError:
        # Past the hop's deadline (e.g. waiting on a busy slot): a job finishes it and SMSes.
        hop = ctx(turn)
        hop.db.rollback()
        payload = {"request": asdict(_request(turn)), "lang": turn.state.lang}
        hop.deferred.append(lambda found: enqueue_booking(found, payload))
        return Go("book.later")
    except bookings.Refused as refused:
        if refused.reason == "full":
            return Go("book.time", flash=N_("That time was just taken. Choose another."))
        return Go("book.refused", {"why": refused.reason})
    return Go("book.done", {"ref": booking.reference})


def _request(turn: Turn) -> bookings.Request:
    hop, data = ctx(turn), turn.data
    return bookings.Request(
        phone=hop.phone, slot_id=int(data["slot"]), id_masked=data.get("idm", ""),
        id_hash=data.get("idh", ""), language=turn.state.lang, idempotency_key=hop_key(turn),
        replaces=replaces(turn),
    )  # fmt: skip


def _bound_waits(turn: Turn) -> None:
    """Let the booking wait only for what is left of the hop's deadline (PostgreSQL)."""
    hop = ctx(turn)
    if hop.db.get_bind().dialect.name != "postgresql":
        return
    left = hop.settings.ussd_hop_deadline - (time.monotonic() - hop.started)
    ms = str(max(int(left * 1000), 50))
    hop.db.execute(
        text("SELECT set_config('lock_timeout', :ms, true), "
             "set_config('statement_timeout', :ms, true)"), {"ms": ms},
    )  # fmt: skip


def _book(turn: Turn) -> Booking:
    hop = ctx(turn)
    _bound_waits(turn)
    limit = hop.settings.ussd_max_active_bookings
    booking = bookings.book(hop.db, _request(turn), now=hop.now, limit=limit, tz=hop.tz)
    queue_receipt(turn, booking, "booking_receipt", "confirmed")
    return booking


def enqueue_booking(found: Any, payload: dict[str, Any]) -> None:
    """Hand an overrunning booking to a job (after the hop's commit)."""
    from jobs.ussd import enqueue_finish_booking

    enqueue_finish_booking(found, payload)


def receipt_text(turn: Turn, booking: Booking, kind: str) -> str:
    """Render the SMS receipt of a booking or cancellation, at most 160 characters."""
    values = summary(turn, booking.slot) | {"ref": booking.reference}
    if kind == "booking_cancelled":
        return turn.t(N_("HUDUMA: Appointment {ref} at {centre} on {when} is cancelled. "
                         "Help: 1919"), **values)  # fmt: skip
    full = turn.t(N_("HUDUMA: Appointment confirmed. Ref {ref}, {centre}, {when} ({service}). "
                     "Show this SMS at the gate. Help: 1919"), **values)  # fmt: skip
    if len(full) <= 160:
        return full
    return turn.t(N_("HUDUMA: Appointment confirmed. Ref {ref}, {centre}, {when}. "
                     "Show this SMS at the gate. Help: 1919"), **values)  # fmt: skip


def queue_receipt(turn: Turn, booking: Booking, kind: str, event: str) -> None:
    """Queue the SMS receipt in this hop's transaction; it is sent after commit."""
    hop = ctx(turn)
    queue_message(
        hop.db, recipient=booking.phone, body=receipt_text(turn, booking, kind), kind=kind,
        idempotency_key=f"booking:{booking.id}:{event}", booking_id=booking.id,
        verification_code=new_code(), language=turn.state.lang,
    )  # fmt: skip


def _done_text(turn: Turn) -> str:
    return turn.t(N_("Booked. Your reference is {ref}. An SMS receipt is on its way. Show it "
                     "at the gate."), ref=turn.data.get("ref", ""))  # fmt: skip


def _refused_text(turn: Turn) -> str:
    return turn.t(REFUSALS.get(turn.data.get("why", ""), REFUSALS["too_many"]))


NODES = (
    listing("book.service", N_("Choose a service"), _services, "service", "book.county"),
    listing("book.county", N_("Choose your county"), _counties, "county", "book.centre"),
    listing("book.centre", N_("Choose a centre"), _centres, "centre", "book.day"),
    listing(
        "book.day",
        N_("Choose a date"),
        _days,
        "day",
        "book.time",
        empty=N_("No free dates at this centre. Try another centre."),
    ),  # fmt: skip
    Node("book.time", _time_view, _time_handle),
    Node("book.id", lambda turn: View(turn.t(N_("Enter your ID number"))), _id_handle),
    Node("book.confirm", _confirm_view, _confirm_handle, acts=True),
    notice("book.done", _done_text),
    notice("book.refused", _refused_text),
    notice(
        "book.later",
        lambda turn: turn.t(N_("We are busy. We will SMS you when your appointment is booked.")),
    ),
)
