"""The visits dashboard: waiting and service times, no-shows and satisfaction, with figures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, request
from markupsafe import Markup

from models import Role
from services import visit_reports as reports
from staff.access import html_errors, requires
from staff.charts import bar_chart, series_chart
from staff.scope import fixed_centre, open_centres, report_centre
from web.requests import db, runtime

bp = Blueprint("staff_visits", __name__, url_prefix="/staff/visits")
html_errors(bp)
DAYS = 7
METRICS = (
    ("wait", 0.5, "Waiting time p50 (check-in to call, minutes)"),
    ("wait", 0.9, "Waiting time p90 (check-in to call, minutes)"),
    ("serve", 0.5, "Service time p50 (call to done, minutes)"),
    ("serve", 0.9, "Service time p90 (call to done, minutes)"),
)


def _first_day(raw: str | None, today: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else today - timedelta(days=DAYS - 1)
    except ValueError:
        return today - timedelta(days=DAYS - 1)


@bp.get("/")
@requires(Role.AGENT)
def dashboard() -> str:
    """Times per centre (or per service at one centre) and day, no-shows, satisfaction."""
    tz = runtime().settings.tz
    centre_id = report_centre(request.args.get("centre"))
    first = _first_day(request.args.get("day"), datetime.now(tz).date())
    days = [first + timedelta(days=n) for n in range(DAYS)]
    columns, span = [f"{d:%a %d}" for d in days], f"{days[0]:%d/%m} to {days[-1]:%d/%m/%Y}"
    rows = reports.samples(db(), first, DAYS, centre_id)
    by = "service" if centre_id else "centre"
    charts = [
        series_chart(f"{title} per {by}, {span}", columns,
                     reports.series(rows, days, by=by, metric=metric, share=share))
        for metric, share, title in METRICS
    ]  # fmt: skip
    charts += [_no_shows(days, columns, span, centre_id), _satisfaction(days, span, centre_id)]
    return render_template(
        "staff/visits_dashboard.html", charts=charts, times=reports.times(rows), day=first,
        centre_id=centre_id, centres=open_centres(), fixed=fixed_centre() is not None,
    )  # fmt: skip


def _no_shows(days: list[date], columns: list[str], span: str, centre_id: int | None) -> Markup:
    table = reports.no_show_rates(db(), days, runtime().settings.tz, centre_id)
    return series_chart(f"No-show rate of bookings per centre, {span}", columns, table, "%")


def _satisfaction(days: list[date], span: str, centre_id: int | None) -> Markup:
    tz = runtime().settings.tz
    since = datetime.combine(days[0], time.min, tz)
    until = datetime.combine(days[-1] + timedelta(days=1), time.min, tz)
    found = reports.satisfaction(db(), since, until, centre_id)
    rows = [(f"{s.centre} ({s.ratings} ratings)", s.share) for s in found]
    return bar_chart(f"Satisfaction: share of ratings of 4 or 5 per centre, {span}", rows, "%")
