"""Administration pages: centres, hours, services and seats, holidays, agency keys, staff, audit."""

from __future__ import annotations

from datetime import date, time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import (
    Agency,
    AgencyKey,
    Centre,
    Constituency,
    County,
    Holiday,
    Role,
    Service,
    StaffUser,
    utcnow,
)
from ops.wiring import db
from services import administration as admin
from services import agency_keys, audit, staff_accounts
from staff.access import html_errors, me, protect_forms, record, requires

bp = Blueprint("staff_admin", __name__, url_prefix="/staff/admin")
bp.before_request(protect_forms)
html_errors(bp)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _done(message: str, target: str) -> Response:
    db().commit()
    flash(message, "ok")
    return redirect(target)


@bp.errorhandler(ValueError)
def _refused(exc: ValueError) -> Response:
    """Roll the change back and show why it was refused on the form it came from."""
    db().rollback()
    flash(str(exc), "error")
    return redirect(request.referrer or url_for("staff_admin.centres"))


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
    return time.fromisoformat(opens), time.fromisoformat(closes)


def _save_offers(found: Centre) -> None:
    for service_id in db().scalars(select(Service.id)):
        raw = request.form.get(f"seats_{service_id}", "").strip()
        offered = request.form.get(f"offer_{service_id}") == "on"
        if raw or offered:
            admin.set_offer(db(), found, service_id, int(raw or 0), offered)


@bp.post("/centres/new")
@bp.post("/centres/<int:centre_id>")
@requires(Role.ADMIN)
def save_centre(centre_id: int | None = None) -> Response:
    """Create or update a centre with its hours and services."""
    form, existing = request.form, db().get(Centre, centre_id) if centre_id else None
    found = admin.save_centre(
        db(),
        existing,
        code=form.get("code", ""),
        name=form.get("name", ""),
        town=form.get("town", ""),
        county_id=int(form.get("county", "0") or 0),
        constituency_id=int(form["constituency"]) if form.get("constituency") else None,
        active=form.get("active") == "on",
    )
    admin.set_hours(db(), found, {day: _span(day) for day in range(7)})
    _save_offers(found)
    record("centre_save", f"centre:{found.code}", created=existing is None)
    return _done(f"Saved {found.name}.", url_for("staff_admin.centre", centre_id=found.id))


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
    form = request.form
    holiday = admin.add_holiday(
        db(),
        day=date.fromisoformat(form.get("day", "")),
        name=form.get("name", ""),
        centre_id=int(form["centre"]) if form.get("centre") else None,
    )
    record("holiday_add", f"holiday:{holiday.day}", centre_id=holiday.centre_id)
    return _done("Holiday added.", url_for("staff_admin.holidays"))


@bp.post("/holidays/<int:holiday_id>/delete")
@requires(Role.ADMIN)
def delete_holiday(holiday_id: int) -> Response:
    """Remove a holiday."""
    holiday = db().get(Holiday, holiday_id) or abort(404)
    record("holiday_delete", f"holiday:{holiday.day}", centre_id=holiday.centre_id)
    db().delete(holiday)
    return _done("Holiday removed.", url_for("staff_admin.holidays"))


@bp.get("/keys")
@requires(Role.ADMIN)
def keys() -> str:
    """List agency API keys (never the keys themselves)."""
    rows = db().scalars(select(AgencyKey).order_by(AgencyKey.id.desc())).all()
    agencies = db().scalars(select(Agency).order_by(Agency.code)).all()
    return render_template(
        "staff/admin_keys.html",
        keys=rows,
        agencies=agencies,
        names={a.id: a.code for a in agencies},
    )


@bp.post("/keys")
@requires(Role.ADMIN)
def create_key() -> str:
    """Create a key and show it once."""
    agency = db().get(Agency, int(request.form.get("agency", "0") or 0)) or abort(400)
    key = agency_keys.create_key(db(), agency.code, request.form.get("label", "")[:80])
    record("key_create", f"agency_key:{key[:10]}", agency=agency.code)
    db().commit()
    return render_template("staff/admin_key_once.html", key=key, agency=agency)


@bp.post("/keys/<int:key_id>/revoke")
@requires(Role.ADMIN)
def revoke_key(key_id: int) -> Response:
    """Revoke a key."""
    row = db().get(AgencyKey, key_id) or abort(404)
    admin.revoke_key(row, utcnow())
    record("key_revoke", f"agency_key:{row.prefix}")
    return _done("Key revoked.", url_for("staff_admin.keys"))


@bp.get("/staff")
@requires(Role.ADMIN)
def staff() -> str:
    """List staff accounts."""
    rows = db().scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return render_template("staff/admin_staff.html", users=rows, roles=list(Role))


@bp.post("/staff")
@requires(Role.ADMIN)
def create_staff() -> Response:
    """Create a staff account."""
    form = request.form
    user = staff_accounts.create_user(
        db(),
        username=form.get("username", ""),
        full_name=form.get("full_name", ""),
        password=form.get("password", ""),
        role=Role(form.get("role", "")),
    )
    record("staff_create", f"staff:{user.username}", role=user.role)
    return _done(f"Account {user.username} created.", url_for("staff_admin.staff"))


@bp.post("/staff/<int:user_id>")
@requires(Role.ADMIN)
def update_staff(user_id: int) -> Response:
    """Change a staff member's role or switch the account on or off."""
    user = db().get(StaffUser, user_id) or abort(404)
    if user.id == me().id:
        flash("You cannot change your own account here.", "error")
        return redirect(url_for("staff_admin.staff"))
    role, active = request.form.get("role", ""), request.form.get("active") == "on"
    staff_accounts.update_user(db(), user, role=role, active=active)
    record("staff_update", f"staff:{user.username}", role=user.role, active=user.active)
    return _done(f"Account {user.username} updated.", url_for("staff_admin.staff"))


@bp.get("/audit")
@requires(Role.ADMIN)
def audit_log() -> str:
    """Read the audit trail, filtered by action or actor."""
    action, actor = request.args.get("action", "")[:40], request.args.get("actor", "")[:60]
    events = audit.search(db(), action=action, actor=actor)
    return render_template("staff/admin_audit.html", events=events, action=action, actor=actor)
