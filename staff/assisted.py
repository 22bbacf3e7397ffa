"""Assisted booking: an agent books, moves or cancels for a citizen who cannot use USSD."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from identifiers.numbers import InvalidPhone, mask_phone, normalise_phone
from models import Role, utcnow
from services import desk_booking
from services.bookings import Refused
from sms.languages import preferred
from staff.access import html_errors, protect_forms, record, requires
from staff.local import helpers
from staff.scope import agent
from web.requests import commit, db, rollback, runtime, work

bp = Blueprint("staff_assisted", __name__, url_prefix="/staff/assisted")
bp.before_request(protect_forms)
html_errors(bp)
bp.context_processor(helpers)

LANGUAGES = {"en": "English", "sw": "Kiswahili"}
REFUSALS = {
    "full": "That time was just taken. Choose another.",
    "too_many": "This phone already has the most upcoming appointments allowed: move or cancel "
    "one first.",
    "same_day": "This phone already has this service booked on that day.",
    "other_centre": "You book at your own centre only.",
    "id_number": "An ID number is 6 to 14 digits.",
    "not_found": "That booking was not found.",
    "not_active": "That booking is no longer active.",
}


def _rules() -> desk_booking.Rules:
    settings = runtime().settings
    return desk_booking.Rules(utcnow(), settings.ussd_max_active_bookings, settings.tz,
                              settings.secret_key, settings)  # fmt: skip


def _phone(raw: str | None) -> str | None:
    try:
        return normalise_phone(raw or "")
    except InvalidPhone:
        return None


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


@bp.get("/")
@requires(Role.AGENT)
def page() -> str:
    """Find a citizen by phone; list, move and cancel their bookings; book a new one."""
    args, who = request.args, agent()
    phone = _phone(args.get("phone"))
    if args.get("phone") and phone is None:
        flash("That is not a Kenyan mobile number.", "error")
    held = desk_booking.upcoming_for(db(), who, phone, utcnow()) if phone else []
    moving = next((h for h in held if h.appointment.id == _int(args.get("replaces"))), None)
    centre = moving.appointment.seat.centre_id if moving else _int(args.get("centre"))
    service = moving.appointment.seat.service_id if moving else _int(args.get("service"))
    return render_template(
        "staff/assisted.html", phone=phone or "", held=held, moving=moving,
        centres=desk_booking.centres(db(), who), centre=centre, service=service,
        services=desk_booking.services_at(db(), centre) if centre else [],
        times=_times(centre, service, who), languages=LANGUAGES,
        language=(preferred(db(), phone) if phone else None) or "en",
    )  # fmt: skip


def _times(centre: int | None, service: int | None, who: desk_booking.Agent) -> list[Any]:
    if centre is None or service is None or not who.may_act_on(centre):
        return []
    days = runtime().settings.ussd_booking_days
    return desk_booking.free_times(db(), centre, service, _rules(), days)


@bp.post("/book")
@requires(Role.AGENT)
def book() -> Response:
    """Book (or move) a slot for the citizen; the receipt SMS goes as for USSD."""
    form = request.form
    phone, slot = _phone(form.get("phone")), _int(form.get("slot"))
    if phone is None or slot is None:
        flash("Choose a time for a valid phone number.", "error")
        return redirect(url_for("staff_assisted.page", phone=form.get("phone", "")[:20]))
    language = form.get("language", "") if form.get("language") in LANGUAGES else "en"
    asked = desk_booking.DeskRequest(
        phone=phone, slot_id=slot, id_number=form.get("id_number", "")[:20], language=language,
        key=form.get("nonce", "")[:40] or utcnow().isoformat(), replaces=_int(form.get("replaces")),
    )  # fmt: skip
    try:
        booking = desk_booking.book_for(work(), agent(), asked, _rules())
    except Refused as refused:
        rollback()
        flash(REFUSALS.get(refused.reason, "The booking could not be made."), "error")
        return redirect(url_for("staff_assisted.page", phone=phone))
    action = "desk_move" if asked.replaces else "desk_book"
    record(action, f"booking:{booking.reference}", phone=mask_phone(phone))
    commit()
    flash(
        f"Booked {booking.reference} for {mask_phone(phone)}; the receipt SMS is on its way.", "ok"
    )
    return redirect(url_for("staff_assisted.page", phone=phone))


@bp.post("/<int:booking_id>/cancel")
@requires(Role.AGENT)
def cancel(booking_id: int) -> Response:
    """Cancel a citizen's booking; the seat is freed and the receipt SMS goes."""
    phone = _phone(request.form.get("phone")) or abort(400)
    try:
        cancelled = desk_booking.cancel_for(work(), agent(), booking_id, phone, _rules())
    except Refused as refused:
        rollback()
        flash(REFUSALS.get(refused.reason, "The booking could not be cancelled."), "error")
        return redirect(url_for("staff_assisted.page", phone=phone))
    record("desk_cancel", f"booking:{cancelled.reference}", phone=mask_phone(phone))
    commit()
    flash(f"Cancelled {cancelled.reference}; the receipt SMS is on its way.", "ok")
    return redirect(url_for("staff_assisted.page", phone=phone))
