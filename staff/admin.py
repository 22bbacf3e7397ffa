"""Administration pages: centres, hours, seats, holidays, service types and the audit log."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from models import (
    Agency,
    Centre,
    Constituency,
    County,
    Holiday,
    Role,
    Service,
    utcnow,
)
from services import administration as admin
from services import audit, catalogue
from staff.access import html_errors, protect_forms, record, requires
from web.requests import commit, db, rollback, runtime, work

bp = Blueprint("staff_admin", __name__, url_prefix="/staff/admin")
bp.before_request(protect_forms)
html_errors(bp)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def done(message: str, target: str) -> Response:
    catalogue.after_change(work(), runtime().redis)  # every process drops its cached lists
    commit()
    flash(message, "ok")
    return redirect(target)


@bp.errorhandler(ValueError)
def _refused(exc: ValueError) -> Response:
    """Roll the change back and show why it was refused on the form it came from."""
    rollback()
    flash(str(exc) or "that value is not valid", "error")
    return redirect(request.referrer or url_for("staff_admin.centres"))


@bp.errorhandler(IntegrityError)
def _conflict(_exc: IntegrityError) -> Response:
    """A change the database refuses (a reference that vanished meanwhile) is a form error too."""
    return _refused(admin.AdminError("that change conflicts with the data as it is now"))


def number(name: str, label: str, *, optional: bool = False) -> int | None:
    """Read a whole number from the form, or refuse the form with a clear message."""
    raw = request.form.get(name, "").strip()
    if not raw and optional:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise admin.AdminError(f"{label}: choose or type a whole number")
    return int(raw)


def required(name: str, label: str) -> int:
    found = number(name, label)
    assert found is not None
    return found


def _local() -> tuple[ZoneInfo, datetime]:
    tz = runtime().settings.tz
    return tz, datetime.now(tz)


def _apply(
    centre_id: int | None = None, day: date | None = None, service_id: int | None = None
) -> admin.SlotReport:
    """Carry a change over to the slots that already exist, and open the missing ones."""
    tz, now = _local()
    return admin.apply_to_slots(
        db(),
        now=utcnow(),
        today=now.date(),
        horizon=runtime().settings.slot_horizon_days,
        tz=tz,
        centre_id=centre_id,
        day=day,
        service_id=service_id,
    )


@bp.get("/centres")
@requires(Role.ADMIN)
def centres() -> str:
    """List every centre."""
    rows = db().scalars(select(Centre).order_by(Centre.name)).all()
    return render_template("staff/admin_centres.html", centres=rows)


@bp.get("/centres/new")
@bp.get("/centres/<int:centre_id>")
@requires(Role.ADMIN)
def centre(centre_id: int | None = None) -> str:
    """Show the form of a new or existing centre: details, hours and services."""
    session = db()
    found = session.get(Centre, centre_id) if centre_id else None
    if centre_id and found is None:
        abort(404)
    offers = {o.service_id: o for o in found.services} if found else {}
    hours = {h.weekday: h for h in found.hours} if found else {}
    return render_template(
        "staff/admin_centre.html",
        centre=found,
        offers=offers,
        hours=hours,
        weekdays=WEEKDAYS,
        counties=session.scalars(select(County).order_by(County.name)).all(),
        constituencies=session.scalars(select(Constituency).order_by(Constituency.name)).all(),
        services=session.scalars(select(Service).order_by(Service.name_en)).all(),
    )


def _span(day: int) -> tuple[time, time] | None:
    opens, closes = request.form.get(f"opens_{day}", ""), request.form.get(f"closes_{day}", "")
    if not opens or not closes:
        return None
    try:
        return time.fromisoformat(opens[:8]), time.fromisoformat(closes[:8])
    except ValueError:
        raise admin.AdminError(f"{WEEKDAYS[day]}: give opening hours as HH:MM") from None


def _save_offers(found: Centre) -> None:
    for service_id, name in db().execute(select(Service.id, Service.name_en)):
        raw = request.form.get(f"seats_{service_id}", "").strip()
        offered = request.form.get(f"offer_{service_id}") == "on"
        if raw or offered:
            seats = number(f"seats_{service_id}", f"Seats for {name}", optional=True) or 0
            admin.set_offer(db(), found, service_id, seats, offered)


@bp.post("/centres/new")
@bp.post("/centres/<int:centre_id>")
@requires(Role.ADMIN)
def save_centre(centre_id: int | None = None) -> Response:
    """Create or update a centre with its hours and services, and carry it over to its slots."""
    form, existing = request.form, db().get(Centre, centre_id) if centre_id else None
    if centre_id and existing is None:
        abort(404)
    before = admin.describe_centre(existing)
    found = admin.save_centre(
        db(),
        existing,
        code=form.get("code", "")[:40],
        name=form.get("name", "")[:80],
        town=form.get("town", "")[:80],
        county_id=required("county", "County"),
        constituency_id=number("constituency", "Constituency", optional=True),
        active=form.get("active") == "on",
    )
    admin.set_hours(db(), found, {day: _span(day) for day in range(7)})
    _save_offers(found)
    db().flush()
    db().expire(found, ["services"])
    report = _apply(centre_id=found.id)
    changes = admin.centre_changes(before, admin.describe_centre(found))
    record("centre_save", f"centre:{found.code}", created=existing is None, **changes,
           **report.as_detail())  # fmt: skip
    message = f"Saved {found.name}. {report.summary()}"
    return done(message, url_for("staff_admin.centre", centre_id=found.id))


@bp.get("/holidays")
@requires(Role.ADMIN)
def holidays() -> str:
    """List holidays, national and per centre."""
    rows = db().scalars(select(Holiday).order_by(Holiday.day.desc()).limit(200)).all()
    names = {cid: name for cid, name in db().execute(select(Centre.id, Centre.name))}
    centres_ = db().scalars(select(Centre).order_by(Centre.name)).all()
    return render_template(
        "staff/admin_holidays.html", holidays=rows, names=names, centres=centres_
    )


@bp.post("/holidays")
@requires(Role.ADMIN)
def add_holiday() -> Response:
    """Add a holiday."""
    try:
        day = date.fromisoformat(request.form.get("day", "")[:10])
    except ValueError:
        raise admin.AdminError("give the holiday's date") from None
    holiday = admin.add_holiday(
        db(),
        day=day,
        name=request.form.get("name", "")[:80],
        centre_id=number("centre", "Centre", optional=True),
    )
    report = _apply(centre_id=holiday.centre_id, day=holiday.day)
    record("holiday_add", f"holiday:{holiday.day}", centre_id=holiday.centre_id,
           **report.as_detail())  # fmt: skip
    return done(f"Holiday added. {report.summary()}", url_for("staff_admin.holidays"))


@bp.post("/holidays/<int:holiday_id>/delete")
@requires(Role.ADMIN)
def delete_holiday(holiday_id: int) -> Response:
    """Remove a holiday."""
    holiday = db().get(Holiday, holiday_id) or abort(404)
    day, centre_id = holiday.day, holiday.centre_id
    db().delete(holiday)
    report = _apply(centre_id=centre_id, day=day)
    record("holiday_delete", f"holiday:{day}", centre_id=centre_id, **report.as_detail())
    return done(f"Holiday removed. {report.summary()}", url_for("staff_admin.holidays"))


@bp.get("/services")
@requires(Role.ADMIN)
def service_types() -> str:
    """List the types of service centres can offer."""
    rows = db().scalars(select(Service).order_by(Service.demand_rank, Service.id)).all()
    agencies = db().scalars(select(Agency).order_by(Agency.code)).all()
    names = {a.id: a.code for a in agencies}
    return render_template(
        "staff/admin_services.html",
        services=rows,
        agencies=agencies,
        names=names,
        minutes=admin.SLOT_MINUTES,
        name_max=admin.NAME_MAX,
    )


@bp.post("/services")
@requires(Role.ADMIN)
def add_service() -> Response:
    """Add a type of service; centres offer it from their own page."""
    form = request.form
    service = admin.add_service(
        db(),
        code=form.get("code", "")[:30],
        name_en=form.get("name_en", "")[:60],
        name_sw=form.get("name_sw", "")[:60],
        demand_rank=required("demand_rank", "Demand rank"),
        agency_id=required("agency", "Agency"),
        slot_minutes=required("slot_minutes", "Slot length"),
    )
    record("service_add", f"service:{service.code}", name_en=service.name_en,
           name_sw=service.name_sw, demand_rank=service.demand_rank)  # fmt: skip
    message = f"Service {service.code} added: offer it from each centre's page."
    return done(message, url_for("staff_admin.service_types"))


@bp.post("/services/<int:service_id>")
@requires(Role.ADMIN)
def toggle_service(service_id: int) -> Response:
    """Make a type of service bookable, or stop it everywhere; its future slots follow."""
    service = db().get(Service, service_id) or abort(404)
    active = request.form.get("active") == "on"
    admin.set_service_active(service, active)
    report = _apply(service_id=service.id)
    record("service_update", f"service:{service.code}", active=active, **report.as_detail())
    state = "bookable" if active else "no longer bookable"
    return done(
        f"{service.code} is {state}. {report.summary()}", url_for("staff_admin.service_types")
    )


@bp.get("/audit")
@requires(Role.ADMIN)
def audit_log() -> str:
    """Read the audit trail, filtered by action or actor."""
    action, actor = request.args.get("action", "")[:40], request.args.get("actor", "")[:60]
    events = audit.search(db(), action=action, actor=actor)
    return render_template("staff/admin_audit.html", events=events, action=action, actor=actor)
