"""The console's home, dashboards and citizen reports (feedback, inbound SMS, tickets)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import Centre, MessageClass, Role, Service, Ticket, utcnow
from services import reports
from sms.outbox import queue_message
from staff.access import html_errors, me, protect_forms, record, requires
from staff.charts import bar_chart, series_chart
from web.requests import commit, db, runtime, work

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
    return runtime().settings.tz


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


DAYS_SHOWN = 7


@bp.get("/dashboard")
@requires(Role.AGENT)
def dashboard() -> str:
    """Show bookings and seat use over a week, SMS outcomes, the USSD funnel, uncollected ones."""
    session, tz, args = db(), _tz(), request.args
    first = _day(args.get("day"), datetime.now(tz).date())
    days = [first + timedelta(days=n) for n in range(DAYS_SHOWN)]
    columns = [f"{day:%a %d}" for day in days]
    span = f"{days[0]:%d/%m} to {days[-1]:%d/%m/%Y}"
    language = args.get("language", "") if args.get("language") in reports.LANGUAGES else ""
    network = args.get("network", "") if args.get("network") in reports.NETWORKS else ""
    since = utcnow() - timedelta(days=7)
    funnel = reports.ussd_funnel(session, since, language=language, network=network)
    charts = [
        series_chart(
            f"Bookings per centre, {span}",
            columns,
            reports.bookings_by_day(session, first, DAYS_SHOWN, tz),
        ),
        series_chart(
            f"Seat use per centre, {span}",
            columns,
            reports.seat_use_by_day(session, first, DAYS_SHOWN, tz),
            "%",
        ),
        bar_chart("SMS in the last 7 days, by status", reports.sms_by_status(session, since)),
        bar_chart("SMS failure reasons, last 7 days", reports.sms_failure_reasons(session, since)),
        bar_chart(
            f"USSD sessions by last screen, last 7 days{_filtered(language, network)}", funnel
        ),
        bar_chart(
            "USSD sessions by language, last 7 days", reports.ussd_by_language(session, since)
        ),
        bar_chart("USSD sessions by network, last 7 days", reports.ussd_by_network(session, since)),
        bar_chart("Documents uncollected per centre", reports.uncollected_per_centre(session)),
    ]
    return render_template(
        "staff/dashboard.html",
        charts=charts,
        day=first,
        language=language,
        network=network,
        languages=reports.LANGUAGES,
        networks=reports.NETWORKS,
    )


def _filtered(language: str, network: str) -> str:
    parts = [reports.LANGUAGES.get(language, ""), reports.NETWORKS.get(network, "")]
    shown = ", ".join(p for p in parts if p)
    return f" ({shown})" if shown else ""


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
    trend = reports.feedback_by_week(
        session, centre_id=centre_id, service_id=service_id, weeks=8, now=utcnow()
    )
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
    commit()
    flash(f"Ticket {ticket.id} closed.", "ok")
    return redirect(url_for("staff.tickets"))


@bp.post("/tickets/<int:ticket_id>/reply")
@requires(Role.AGENT)
def reply(ticket_id: int) -> Response:
    """Send one SMS to the citizen behind a ticket."""
    ticket, body = _ticket(ticket_id), request.form.get("body", "").strip()[:459]
    if ticket.status != "open":
        flash(f"Ticket {ticket.id} is closed: no reply was sent.", "error")
        return redirect(url_for("staff.tickets", status="closed"))
    if not body:
        flash("Write a message first.", "error")
        return redirect(url_for("staff.tickets"))
    nonce = request.form.get("nonce", "")[:40] or uuid4().hex  # one send per rendered form
    queue_message(
        work(),
        recipient=ticket.phone,
        body=body,
        kind="staff_reply",
        message_class=MessageClass.TRANSACTIONAL,
        idempotency_key=f"reply:{ticket.id}:{nonce}",
    )
    record("reply", f"ticket:{ticket.id}", length=len(body))
    commit()
    flash("Reply queued.", "ok")
    return redirect(url_for("staff.tickets"))
