"""Book an appointment: service, county, centre, date, time, ID number, confirm."""

from __future__ import annotations

import time
from datetime import date

from sqlalchemy.exc import OperationalError

from identifiers.numbers import (
    InvalidIdNumber,
    mask_id_number,
    validate_birth_certificate,
    validate_id_number,
)
from menus.common import day_text, hop_key, listing, notice, when_text
from menus.context import HopContext, HopTurn
from models import Booking
from services import bookings, catalogue
from services.bookings import Proof
from services.promises import defer_booking
from sms.receipts import queue_receipt
from ussd.engine import Again, Go, Invalid, Node, Outcome, View
from words.i18n import N_

PROOF_SCREENS = {Proof.ID_NUMBER: "book.id", Proof.BIRTH_CERTIFICATE: "book.birth"}
PROOF_LABELS = {
    Proof.ID_NUMBER: N_("ID {idm}"),
    Proof.BIRTH_CERTIFICATE: N_("Birth certificate {idm}"),
}
TIME_GONE = N_("That time is no longer available. Choose another.")
REFUSALS = {
    "too_many": N_("You already have {limit} upcoming appointments. Cancel one first."),
    "same_day": N_("You already have this service booked that day."),
}


def _labels(turn: HopTurn, options: list[catalogue.Option]) -> list[tuple[str, str]]:
    return [(str(option.id), option.name(turn.state.lang)) for option in options]


MINE = "mine"


def _at_limit(turn: HopTurn) -> bool:
    hop = turn.ctx
    held = hop.read(lambda db: bookings.active_count(db, hop.phone, hop.now))
    return held >= hop.settings.ussd_max_active_bookings


def _service_view(turn: HopTurn) -> View:
    """The services, or at once the booking limit when the caller has reached it."""
    if _at_limit(turn):
        limit = turn.ctx.settings.ussd_max_active_bookings
        mine = turn.t(N_("My appointments"))
        return View(turn.t(REFUSALS["too_many"], limit=limit), [mine], values=[MINE])
    return SERVICES.view(turn)


def _service_handle(turn: HopTurn, text: str) -> Outcome:
    if turn.state.values == [MINE]:
        return Go("mine.list") if turn.picked(text) == MINE else Invalid()
    assert SERVICES.handle is not None
    return SERVICES.handle(turn, text)


def _services(turn: HopTurn) -> list[tuple[str, str]]:
    hop = turn.ctx
    return _labels(turn, hop.read(lambda db: catalogue.services(db, hop.catalogue())))


def _counties(turn: HopTurn) -> list[tuple[str, str]]:
    hop, service = turn.ctx, int(turn.data["service"])
    found = hop.read(lambda db: catalogue.counties(db, service, hop.catalogue(), hop.now))
    return _labels(turn, found)


def _centres(turn: HopTurn) -> list[tuple[str, str]]:
    hop, service, county = turn.ctx, int(turn.data["service"]), int(turn.data["county"])
    found = hop.read(lambda db: catalogue.centres(db, service, county, hop.catalogue()))
    return _labels(turn, found)


def _fresh(turn: HopTurn, still: bool) -> bool:
    """Pass `still` on; a choice found gone means this process's lists are stale: drop them all."""
    if not still:
        catalogue.changed(turn.ctx.redis)
    return still


def _service_open(turn: HopTurn, value: str) -> bool:
    return _fresh(turn, turn.ctx.read(lambda db: catalogue.service_open(db, int(value))))


def _county_open(turn: HopTurn, value: str) -> bool:
    service, county = int(turn.data["service"]), int(value)
    return _fresh(turn, turn.ctx.read(lambda db: catalogue.county_open(db, service, county)))


def _offered(turn: HopTurn, value: str) -> bool:
    """True while the chosen centre still offers the chosen service."""
    service, centre = int(turn.data["service"]), int(value)
    return _fresh(turn, turn.ctx.read(lambda db: catalogue.offers(db, centre, service)))


def _day_open(turn: HopTurn, value: str) -> bool:
    hop = turn.ctx
    service, centre, day = int(turn.data["service"]), int(turn.data["centre"]), value
    found = hop.read(lambda db: bookings.open_slots(
        db, service, centre, date.fromisoformat(day), hop.now, hop.tz
    ))  # fmt: skip
    return bool(found)


def _days(turn: HopTurn) -> list[tuple[str, str]]:
    hop = turn.ctx
    service, centre = int(turn.data["service"]), int(turn.data["centre"])
    limit = hop.settings.ussd_booking_days
    found = hop.read(lambda db: bookings.open_days(db, service, centre, hop.now, hop.tz, limit))
    return [(day.isoformat(), day_text(turn, day)) for day in found]


def _time_view(turn: HopTurn) -> View:
    hop = turn.ctx
    service, centre = int(turn.data["service"]), int(turn.data["centre"])
    day = date.fromisoformat(turn.data["day"])
    found = hop.read(lambda db: bookings.open_slots(db, service, centre, day, hop.now, hop.tz))
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
    if slot is None:
        return Invalid()
    hop = turn.ctx
    if not hop.read(lambda db: bookings.slot_open(db, int(slot), hop.now)):
        return Again(TIME_GONE)
    if replaces(turn) is not None and turn.data.get("idm"):
        return Go("book.confirm", {"slot": slot})
    return Go(PROOF_SCREENS[proof(turn)], {"slot": slot})


def replaces(turn: HopTurn) -> int | None:
    """Return the booking this flow reschedules: only one chosen under My appointments now."""
    chosen = turn.data.get("replaces", "")
    if "mine.view" not in turn.state.stack or not chosen or chosen != turn.data.get("booking"):
        return None
    return int(chosen)


def proof(turn: HopTurn) -> Proof:
    """What the caller shows for the chosen service."""
    hop, chosen = turn.ctx, int(turn.data.get("service", "0") or 0)
    found = hop.read(lambda db: catalogue.services(db, hop.catalogue()))
    code = next((option.code for option in found if option.id == chosen), "")
    return bookings.proof_for(code)


def _proven(turn: HopTurn, kind: Proof, number: str) -> Outcome:
    digest = bookings.proof_hash(kind, number, turn.ctx.settings.secret_key)
    return Go("book.confirm", {"idm": mask_id_number(number), "idh": digest})


def _id_handle(turn: HopTurn, text: str) -> Outcome:
    try:
        return _proven(turn, Proof.ID_NUMBER, validate_id_number(text))
    except InvalidIdNumber:
        return Invalid(N_("An ID number is 6 to 14 digits."))


def _birth_handle(turn: HopTurn, text: str) -> Outcome:
    try:
        return _proven(turn, Proof.BIRTH_CERTIFICATE, validate_birth_certificate(text))
    except InvalidIdNumber:
        return Invalid(N_("A birth certificate number is 5 to 14 letters and digits."))


def summary(turn: HopTurn, seat: bookings.Seat) -> dict[str, str]:
    """Return the values a booking screen shows."""
    lang = turn.state.lang
    return {
        "service": seat.service(lang),
        "centre": seat.centre,
        "when": when_text(turn, seat.starts_at),
    }


def _confirm_view(turn: HopTurn) -> View:
    slot_id = int(turn.data.get("slot", "0") or 0)
    seat = turn.ctx.read(lambda db: bookings.seat(db, slot_id))
    if seat is None:
        return View(turn.t(N_("That time is no longer available.")), end=True)
    shown = turn.t(PROOF_LABELS[proof(turn)], idm=turn.data.get("idm", ""))
    title = turn.t(N_("{service}, {centre}, {when}, {proof}"), **summary(turn, seat), proof=shown)
    return View(title, [turn.t(N_("Confirm")), turn.t(N_("Cancel"))])


def _confirm_handle(turn: HopTurn, text: str) -> Outcome:
    if text == "2":
        return Go("main")
    if text != "1":
        return Invalid()
    hop = turn.ctx
    try:
        booking = _book(turn)
    except OperationalError:
        # Past the hop's deadline (e.g. waiting on a busy slot): recorded, finished by a job.
        hop.work.rollback()
        defer_booking(hop.work, _request(turn))
        return Go("book.later")
    except bookings.Refused as refused:
        if refused.reason == "full":
            return Go("book.time", flash=N_("That time was just taken. Choose another."))
        return Go("book.refused", {"why": refused.reason})
    return Go("book.done", {"ref": booking.reference})


def _request(turn: HopTurn) -> bookings.Request:
    hop, data = turn.ctx, turn.data
    return bookings.Request(
        phone=hop.phone, slot_id=int(data["slot"]), id_masked=data.get("idm", ""),
        id_hash=data.get("idh", ""), language=turn.state.lang, idempotency_key=hop_key(turn),
        replaces=replaces(turn),
    )  # fmt: skip


def _book(turn: HopTurn) -> Booking:
    hop = turn.ctx
    left = hop.settings.ussd_hop_deadline - (time.monotonic() - hop.caller.started)
    booking = bookings.book(
        hop.db, _request(turn), now=hop.now, limit=hop.settings.ussd_max_active_bookings,
        tz=hop.tz, wait_seconds=left,
    )  # fmt: skip
    queue_receipt(hop.work, booking, "booking_receipt", turn.state.lang, hop.tz)
    return booking


def _done_text(turn: HopTurn) -> str:
    return turn.t(N_("Booked. Your reference is {ref}. An SMS receipt is on its way. Show it "
                     "at the gate."), ref=turn.data.get("ref", ""))  # fmt: skip


def _refused_text(turn: HopTurn) -> str:
    why = REFUSALS.get(turn.data.get("why", ""), REFUSALS["too_many"])
    return turn.t(why, limit=turn.ctx.settings.ussd_max_active_bookings)


SERVICES = listing(
    "book.service",
    N_("Choose a service"),
    _services,
    "service",
    "book.county",
    still=_service_open,
)
NODES: tuple[Node[HopContext], ...] = (
    Node("book.service", _service_view, _service_handle),
    listing(
        "book.county",
        N_("Choose your county"),
        _counties,
        "county",
        "book.centre",
        still=_county_open,
    ),
    listing("book.centre", N_("Choose a centre"), _centres, "centre", "book.day", still=_offered),
    listing(
        "book.day",
        N_("Choose a date"),
        _days,
        "day",
        "book.time",
        empty=N_("No free dates at this centre. Try another centre."),
        still=_day_open,
    ),  # fmt: skip
    Node("book.time", _time_view, _time_handle),
    Node("book.id", lambda turn: View(turn.t(N_("Enter your ID number"))), _id_handle),
    Node(
        "book.birth",
        lambda turn: View(turn.t(N_("No ID yet: enter your birth certificate number"))),
        _birth_handle,
    ),
    Node("book.confirm", _confirm_view, _confirm_handle, acts=True),
    notice("book.done", _done_text),
    notice("book.refused", _refused_text),
    notice(
        "book.later",
        lambda turn: turn.t(N_("We are busy. We will SMS you when your appointment is booked.")),
    ),
)
