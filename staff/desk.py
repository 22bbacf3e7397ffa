"""The check-in desk (phone or tablet width): booked citizens and walk-ins get a ticket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from identifiers.numbers import InvalidPhone, mask_phone, normalise_phone
from models import Centre, Role, Visit, utcnow
from services import checkin, queueing
from services.desk_booking import services_at
from services.visits import local_day
from sms.languages import preferred
from staff.access import html_errors, me, protect_forms, record, requires
from staff.local import helpers
from staff.scope import floor_centre, open_centres
from web.requests import commit, db, rollback, runtime, work

bp = Blueprint("staff_desk", __name__, url_prefix="/staff/desk")
bp.before_request(protect_forms)
html_errors(bp)
bp.context_processor(helpers)

REFUSALS = {
    "unknown": "No booking has that reference. Check it, or search by phone number.",
    "other_centre": "That booking is for another centre.",
    "other_day": "That booking is for another day. Book again, or check in as a walk-in.",
    "cancelled": "That booking was cancelled. Check the citizen in as a walk-in.",
    "no_show": "That booking passed its grace period and was marked a no-show; its seat went "
    "back to walk-ins. Check the citizen in as a walk-in.",
    "attended": "That booking was already used.",
    "no_seat": "No free seat is left today for that service. Book the citizen for another day.",
    "not_offered": "This centre does not offer that service.",
}
LANGUAGES = {"en": "English", "sw": "Kiswahili"}


def desk_for(centre: Centre) -> checkin.Desk:
    """This request's check-in desk at `centre`."""
    settings = runtime().settings
    grace = timedelta(minutes=settings.visit_grace_minutes)
    return checkin.Desk(centre.id, me().id, utcnow(), settings.tz, grace)


def _centre(raw: str | None) -> Centre:
    return floor_centre(raw) or abort(404)


def _phone(raw: str | None) -> str | None:
    try:
        return normalise_phone(raw or "")
    except InvalidPhone:
        return None


@bp.get("/")
@requires(Role.AGENT)
def page() -> str:
    """The desk: find a booking, check in, give a walk-in a ticket; today's tickets below."""
    centre = floor_centre(request.args.get("centre"))
    if centre is None:
        return render_template("staff/pick_centre.html", centres=open_centres(), title="Desk")
    desk, phone = desk_for(centre), _phone(request.args.get("phone"))
    found = checkin.bookings_today(db(), phone, desk) if phone else None
    return render_template(
        "staff/desk.html", centre=centre, phone=phone or "", found=found,
        ticket=_ticket(centre, request.args.get("ticket")), services=services_at(db(), centre.id),
        tickets=queueing.todays_tickets(db(), centre.id, local_day(desk.now, desk.tz)),
        languages=LANGUAGES, language=_language(phone), service=request.args.get("service", ""),
    )  # fmt: skip


def _ticket(centre: Centre, raw: str | None) -> dict[str, Any] | None:
    visit = db().get(Visit, int(raw)) if raw and raw.isdigit() and len(raw) < 10 else None
    if visit is None or visit.centre_id != centre.id:
        return None
    return {"visit": visit, "ahead": queueing.ahead_of(db(), visit)}


def _language(phone: str | None) -> str:
    chosen = preferred(db(), phone) if phone else None
    return chosen or runtime().settings.default_language


@bp.post("/check-in")
@requires(Role.AGENT)
def check_in() -> Response:
    """Check a booking in by reference; a phone number lists that phone's bookings instead."""
    centre = _centre(request.form.get("centre"))
    typed = request.form.get("q", "").strip()[:40]
    phone = _phone(typed)
    if phone is not None:
        return redirect(url_for("staff_desk.page", centre=centre.id, phone=phone))
    try:
        visit = checkin.check_in_booking(work(), typed, desk_for(centre))
    except checkin.Refused as refused:
        return _refused(centre, refused.reason, typed)
    record("check_in", f"visit:{visit.id}", ticket=visit.ticket)
    commit()
    return redirect(url_for("staff_desk.page", centre=centre.id, ticket=visit.id))


def _refused(centre: Centre, reason: str, reference: str) -> Response:
    rollback()
    flash(REFUSALS.get(reason, "That booking cannot be checked in."), "error")
    # A citizen who lost the booking comes in as a walk-in: open the desk on their phone.
    phone = checkin.phone_of(db(), reference) if reason in ("no_show", "cancelled") else None
    return redirect(url_for("staff_desk.page", centre=centre.id, phone=phone))


@bp.post("/walk-in")
@requires(Role.AGENT)
def walk_in() -> Response:
    """Give a citizen without a booking a ticket with one of today's free seats."""
    centre, form = _centre(request.form.get("centre")), request.form
    service = form.get("service", "")
    if not service.isdigit() or len(service) > 9:
        abort(400)
    raw_phone = form.get("phone", "").strip()
    phone = _phone(raw_phone)
    if raw_phone and phone is None:
        flash("That is not a Kenyan mobile number: fix it, or leave it empty.", "error")
        return redirect(url_for("staff_desk.page", centre=centre.id))
    language = form.get("language", "") if form.get("language") in LANGUAGES else "en"
    nonce = form.get("nonce", "")[:40] or utcnow().isoformat()
    asked = checkin.WalkIn(int(service), phone, language, f"walk-in:{me().id}:{nonce}")
    try:
        visit = checkin.check_in_walk_in(work(), asked, desk_for(centre))
    except checkin.Refused as refused:
        rollback()
        flash(REFUSALS.get(refused.reason, "No ticket could be given."), "error")
        return redirect(url_for("staff_desk.page", centre=centre.id, phone=phone))
    record("walk_in", f"visit:{visit.id}", ticket=visit.ticket, phone=mask_phone(phone or ""))
    commit()
    return redirect(url_for("staff_desk.page", centre=centre.id, ticket=visit.id))
