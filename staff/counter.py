"""A service counter: call the next ticket, then mark it served (with an outcome) or absent."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from models import Booking, Centre, Outcome, Role, Visit, utcnow
from services import queueing
from services.desk_booking import services_at
from services.visits import local_day
from staff.access import html_errors, me, protect_forms, record, requires
from staff.display import display_url
from staff.local import helpers
from staff.scope import floor_centre, may_act_on, open_centres
from web.requests import commit, db, rollback, runtime, work

bp = Blueprint("staff_counter", __name__, url_prefix="/staff/counter")
bp.before_request(protect_forms)
html_errors(bp)
bp.context_processor(helpers)

COUNTERS = range(1, 100)
OUTCOMES = {
    Outcome.DONE: "Done",
    Outcome.INCOMPLETE: "Papers missing: to come back",
    Outcome.REFERRED: "Referred elsewhere",
}
PROBLEMS = {
    "busy": "This counter already has a ticket: mark it served or absent first.",
    "contended": "Many counters are calling at once: try again.",
    "not_called": "That ticket is no longer at a counter.",
}


def _today() -> date:
    return local_day(utcnow(), runtime().settings.tz)


def _int(raw: str | None, allowed: range | None = None) -> int | None:
    value = int(raw) if raw and raw.isdigit() and len(raw) < 10 else None
    return value if value is not None and (allowed is None or value in allowed) else None


def _where(source: Any) -> tuple[Centre | None, int | None, int | None]:
    """The centre, counter number and service (None: all) a request names."""
    centre = floor_centre(source.get("centre"))
    return centre, _int(source.get("counter"), COUNTERS), _int(source.get("service"))


def _back(centre: Centre, number: int, service: int | None) -> Response:
    return redirect(url_for("staff_counter.page", centre=centre.id, counter=number,
                            service=service))  # fmt: skip


@bp.get("/")
@requires(Role.AGENT)
def page() -> str:
    """The counter: the ticket being served here, or the next in line to call."""
    centre, number, service = _where(request.args)
    if centre is None:
        return render_template("staff/pick_centre.html", centres=open_centres(), title="Counter")
    day, services = _today(), services_at(db(), centre.id)
    current = queueing.at_counter(db(), centre.id, day, number) if number else None
    line = db().scalars(queueing.waiting(centre.id, day, service).limit(8)).all()
    return render_template(
        "staff/counter.html", centre=centre, number=number, service=service, services=services,
        current=current, detail=_detail(current), line=line, outcomes=OUTCOMES,
        counters=COUNTERS, display=display_url(centre.id),
    )  # fmt: skip


def _detail(visit: Visit | None) -> dict[str, Any]:
    if visit is None:
        return {}
    booking = db().get(Booking, visit.booking_id) if visit.booking_id else None
    return {"reference": booking.reference if booking else None}


@bp.post("/call")
@requires(Role.AGENT)
def call() -> Response:
    """Call the next waiting ticket to this counter."""
    centre, number, service = _where(request.form)
    if centre is None or number is None:
        abort(400)
    counter = queueing.Counter(centre.id, number, service, me().id)
    try:
        visit = queueing.call_next(work(), counter, _today(), utcnow())
    except queueing.QueueError as problem:
        rollback()
        flash(PROBLEMS[problem.reason], "error")
        return _back(centre, number, service)
    if visit is None:
        rollback()
        flash("Nobody is waiting.", "ok")
        return _back(centre, number, service)
    record("call", f"visit:{visit.id}", ticket=visit.ticket, counter=number)
    commit()
    flash(f"Ticket {visit.ticket} called to counter {number}.", "ok")
    return _back(centre, number, service)


@bp.post("/<int:visit_id>/finish")
@requires(Role.AGENT)
def finish(visit_id: int) -> Response:
    """Mark the ticket at this counter served (with its outcome) or absent."""
    visit = db().get(Visit, visit_id) or abort(404)
    if not may_act_on(visit.centre_id):
        abort(403)
    centre, number, service = _where(request.form)
    if centre is None or number is None:
        abort(400)
    outcome = _outcome(request.form.get("outcome", ""), request.form.get("action", ""))
    try:
        queueing.finish(work(), visit.id, outcome, staff_id=me().id, now=utcnow())
    except queueing.QueueError as problem:
        rollback()
        flash(PROBLEMS[problem.reason], "error")
        return _back(centre, number, service)
    record("served" if outcome else "no_show", f"visit:{visit.id}", ticket=visit.ticket)
    commit()
    flash(f"Ticket {visit.ticket} {'served' if outcome else 'marked absent'}.", "ok")
    return _back(centre, number, service)


def _outcome(raw: str, action: str) -> Outcome | None:
    if action == "absent":
        return None
    if action != "served" or raw not in OUTCOMES:
        abort(400)
    return Outcome(raw)
