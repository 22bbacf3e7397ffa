"""Book an appointment, who and confirm: the number the caller shows, then the booking itself.

A caller who booked before with an ID (or birth certificate) number is not asked again: the
confirm screen shows it masked and offers to give another.
"""

from __future__ import annotations

import time

from sqlalchemy.exc import OperationalError

from identifiers.numbers import (
    InvalidIdNumber,
    mask_id_number,
    validate_birth_certificate,
    validate_id_number,
)
from menus.common import hop_key, notice, when_text
from menus.context import HopContext, HopTurn
from models import Booking
from services import appointments, bookings, catalogue, returning
from services.bookings import Proof
from services.promises import defer_booking
from sms.receipts import Receipt, queue_receipt
from ussd.engine import Go, Invalid, Node, Outcome, View
from words.i18n import N_

PROOF_SCREENS = {Proof.ID_NUMBER: "book.id", Proof.BIRTH_CERTIFICATE: "book.birth"}
PROOF_LABELS = {
    Proof.ID_NUMBER: N_("ID {idm}"),
    Proof.BIRTH_CERTIFICATE: N_("Birth certificate {idm}"),
}
OTHER_NUMBER = {
    Proof.ID_NUMBER: N_("Another ID number"),
    Proof.BIRTH_CERTIFICATE: N_("Another certificate number"),
}
REFUSALS = {
    "too_many": N_("You already have {limit} upcoming appointments. Cancel one first."),
    "same_day": N_("You already have this service booked that day."),
}
REUSED = "idr"  # set when the number shown came from an earlier booking
PROOF = "proof"  # what the caller shows for the chosen service


def replaces(turn: HopTurn) -> int | None:
    """Return the booking this flow reschedules: only one chosen under My appointments now."""
    chosen = turn.data.get("replaces", "")
    if "mine.view" not in turn.state.stack or not chosen or chosen != turn.data.get("booking"):
        return None
    return int(chosen)


def proof(turn: HopTurn) -> Proof:
    """What the caller shows for the chosen service (noted when it was chosen)."""
    noted = turn.data.get(PROOF, "")
    return Proof(noted) if noted in set(Proof) else proof_of(turn, turn.data.get("service", "0"))


def proof_of(turn: HopTurn, service: str) -> Proof:
    """What the caller shows for `service`, from the (cached) list of services."""
    hop, chosen = turn.ctx, int(service or 0)
    found = hop.read(lambda db: catalogue.services(db, hop.catalogue()))
    code = next((option.code for option in found if option.id == chosen), "")
    return bookings.proof_for(code)


def after_slot(turn: HopTurn, slot: str) -> Outcome:
    """Once a time is chosen: confirm when the number is known, else ask for it."""
    if replaces(turn) is not None and turn.data.get("idm"):
        return Go("book.confirm", {"slot": slot})
    hop, wanted = turn.ctx, proof(turn)
    before = hop.read(lambda db: returning.shown_before(db, hop.phone))
    same = next((b for b in before if bookings.proof_for(b.service_code) is wanted), None)
    if same is None:
        return Go(PROOF_SCREENS[wanted], {"slot": slot})
    return Go("book.confirm", {"slot": slot, "idm": same.masked, "idh": same.digest, REUSED: "1"})


def _proven(turn: HopTurn, kind: Proof, number: str) -> Outcome:
    digest = bookings.proof_hash(kind, number, turn.ctx.settings.secret_key)
    return Go("book.confirm", {"idm": mask_id_number(number), "idh": digest, REUSED: ""})


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


def summary(turn: HopTurn, seat: appointments.Seat) -> dict[str, str]:
    """Return the values a booking screen shows."""
    lang = turn.state.lang
    return {
        "service": seat.service(lang),
        "centre": seat.centre,
        "when": when_text(turn, seat.starts_at),
    }


def _confirm_view(turn: HopTurn) -> View:
    slot_id = int(turn.data.get("slot", "0") or 0)
    seat = turn.ctx.read(lambda db: appointments.seat(db, slot_id))
    if seat is None:
        return View(turn.t(N_("That time is no longer available.")), end=True)
    kind = proof(turn)
    shown = turn.t(PROOF_LABELS[kind], idm=turn.data.get("idm", ""))
    title = turn.t(N_("{service}, {centre}, {when}, {proof}"), **summary(turn, seat), proof=shown)
    options = [turn.t(N_("Confirm")), turn.t(N_("Cancel"))]
    if turn.data.get(REUSED):
        options.append(turn.t(OTHER_NUMBER[kind]))
    return View(title, options)


def _confirm_handle(turn: HopTurn, text: str) -> Outcome:
    if text == "2":
        return Go("main")
    if text == "3" and turn.data.get(REUSED):
        return Go(PROOF_SCREENS[proof(turn)])
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
            return Go("book.day", flash=N_("That time was just taken. Choose another."))
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
    old = bookings.reference_of(hop.db, replaces(turn))
    receipt = Receipt.MOVED if old else Receipt.CONFIRMED
    queue_receipt(hop.work, booking, receipt, turn.state.lang, hop.settings, old)
    return booking


def _done_text(turn: HopTurn) -> str:
    return turn.t(N_("Booked. Your reference is {ref}. An SMS receipt is on its way. Show it "
                     "at the gate."), ref=turn.data.get("ref", ""))  # fmt: skip


def _refused_text(turn: HopTurn) -> str:
    why = REFUSALS.get(turn.data.get("why", ""), REFUSALS["too_many"])
    return turn.t(why, limit=turn.ctx.settings.ussd_max_active_bookings)


NODES: tuple[Node[HopContext], ...] = (
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
