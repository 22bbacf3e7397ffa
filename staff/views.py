"""The console's home, dashboards and citizen reports (feedback, inbound SMS, tickets)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import Centre, MessageClass, Role, Service, Ticket, utcnow
from ops.wiring import db, services
from services import reports
from sms.outbox import queue_message
from staff.access import html_errors, me, protect_forms, record, requires
from staff.charts import bar_chart

bp = Blueprint(
    "staff",
    __name__,
    url_prefix="/staff",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/staff",
)
bp.before_request(protect_forms)
html_errors(bp)


def _tz() -> ZoneInfo:
    return ZoneInfo(services().settings.timezone)


def _day(raw: str | None, default: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


@bp.get("/")
@requires(Role.AGENT)
def home() -> Response:
    """Send staff to the dashboard."""
    return redirect(url_for("staff.dashboard"))


@bp.get("/dashboard")
@requires(Role.AGENT)
def dashboard() -> str:
    """Show bookings, seat use, SMS outcomes, the USSD funnel and uncollected documents."""
    session, tz = db(), _tz()
    day = _day(request.args.get("day"), datetime.now(tz).date())
    since = utcnow() - timedelta(days=7)
    on = f"on {day:%d/%m/%Y}"
    charts = [
        bar_chart(f"Bookings per centre {on}", reports.bookings_per_centre(session, day, tz)),
        bar_chart(f"Seat use per centre {on}", reports.seat_use_per_centre(session, day, tz), "%"),
        bar_chart("SMS in the last 7 days, by status", reports.sms_by_status(session, since)),
        bar_chart("SMS failure reasons, last 7 days", reports.sms_failure_reasons(session, since)),
        bar_chart("USSD sessions by last screen, last 7 days", reports.ussd_funnel(session, since)),
        bar_chart("Documents uncollected per centre", reports.uncollected_per_centre(session)),
    ]
    return render_template("staff/dashboard.html", charts=charts, day=day)


def _int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


def _since(name: str, tz: ZoneInfo) -> datetime | None:
    raw = request.args.get(name)
    return datetime.combine(_day(raw, date.min), datetime.min.time(), tz) if raw else None


@bp.get("/feedback")
@requires(Role.AGENT)
def feedback() -> str:
    """Average ratings per centre and service, filtered, and the weekly trend."""
    session, tz = db(), _tz()
    centre_id, service_id = _int("centre"), _int("service")
    since, until = _since("from", tz), _since("to", tz)
    rows = reports.feedback_averages(
        session, centre_id=centre_id, service_id=service_id, since=since, until=until
    )
    trend = reports.feedback_by_week(session, centre_id=centre_id, weeks=8, now=utcnow())
    return render_template(
        "staff/feedback.html",
        rows=rows,
        chart=bar_chart("Average rating per week", trend),
        centres=session.scalars(select(Centre).order_by(Centre.name)).all(),
        services=session.scalars(select(Service).order_by(Service.name_en)).all(),
        args=request.args,
    )


@bp.get("/inbound")
@requires(Role.AGENT)
def inbound() -> str:
    """Inbound SMS that matched no keyword."""
    return render_template("staff/inbound.html", messages=reports.unmatched_inbound(db()))


@bp.get("/tickets")
@requires(Role.AGENT)
def tickets() -> str:
    """The queue of citizens who need a call."""
    status = "closed" if request.args.get("status") == "closed" else "open"
    return render_template(
        "staff/tickets.html", tickets=reports.tickets(db(), status), status=status
    )


def _ticket(ticket_id: int) -> Ticket:
    return db().get(Ticket, ticket_id) or abort(404)


@bp.post("/tickets/<int:ticket_id>/close")
@requires(Role.AGENT)
def close_ticket(ticket_id: int) -> Response:
    """Close a ticket with a note."""
    ticket = _ticket(ticket_id)
    try:
        reports.close_ticket(
            ticket, note=request.form.get("note", "")[:1000], staff_id=me().id, now=utcnow()
        )
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("staff.tickets"))
    record("ticket_close", f"ticket:{ticket.id}")
    db().commit()
    flash(f"Ticket {ticket.id} closed.", "ok")
    return redirect(url_for("staff.tickets"))


@bp.post("/tickets/<int:ticket_id>/reply")
@requires(Role.AGENT)
def reply(ticket_id: int) -> Response:
    """Send one SMS to the citizen behind a ticket."""
    ticket, body = _ticket(ticket_id), request.form.get("body", "").strip()[:459]
    if not body:
        flash("Write a message first.", "error")
        return redirect(url_for("staff.tickets"))
    nonce = request.form.get("nonce", "")[:40] or uuid4().hex  # one send per rendered form
    queue_message(
        db(),
        recipient=ticket.phone,
        body=body,
        kind="staff_reply",
        message_class=MessageClass.TRANSACTIONAL,
        idempotency_key=f"reply:{ticket.id}:{nonce}",
    )
    record("reply", f"ticket:{ticket.id}", length=len(body))
    db().commit()
    flash("Reply queued.", "ok")
    return redirect(url_for("staff.tickets"))
