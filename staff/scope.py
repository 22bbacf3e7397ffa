"""Which centre a staff member works at; a centre's own agent sees and acts on it alone.

Agents with a centre run its desk and counters and see its figures only. Agents without one (the
1919 contact centre) book for citizens anywhere but run no centre. Supervisors and admins may
choose any centre. Admins assign staff to centres here.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import Centre, Role, StaffUser
from services.desk_booking import Agent
from staff.access import html_errors, me, protect_forms, record, requires
from web.requests import commit, db

bp = Blueprint("staff_scope", __name__, url_prefix="/staff/centre-staff")
bp.before_request(protect_forms)
html_errors(bp)


def own_centre() -> int | None:
    """The centre the logged-in staff member belongs to, if any."""
    return db().scalar(select(StaffUser.centre_id).where(StaffUser.id == me().id))


def agent() -> Agent:
    """The logged-in staff member as an assisted-booking agent (supervisors act anywhere)."""
    return Agent(me().id, fixed_centre())


def may_act_on(centre_id: int) -> bool:
    """True when the logged-in staff member may act on `centre_id`."""
    return me().can(Role.SUPERVISOR) or own_centre() == centre_id


def _number(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def floor_centre(raw: str | None) -> Centre | None:
    """The centre a desk or counter page runs: an agent's own, or a supervisor's choice."""
    if me().can(Role.SUPERVISOR):
        chosen = _number(raw) or own_centre()
        return db().get(Centre, chosen) if chosen else None
    own = own_centre()
    if own is None or (raw and _number(raw) != own):
        abort(403)
    return db().get(Centre, own)


def fixed_centre() -> int | None:
    """The one centre a centre's own agent is limited to; None for everyone else."""
    return None if me().can(Role.SUPERVISOR) else own_centre()


def report_centre(raw: str | None) -> int | None:
    """The centre a report covers (None: all); a centre's agent sees their own only."""
    own = fixed_centre()
    if own is not None:
        if raw and _number(raw) != own:
            abort(403)
        return own
    return _number(raw)


def open_centres() -> list[Centre]:
    """The open centres, by name, for pickers."""
    return list(db().scalars(select(Centre).where(Centre.active).order_by(Centre.name)))


@bp.get("/")
@requires(Role.ADMIN)
def index() -> str:
    """Staff accounts and the centre each works at."""
    users = db().scalars(select(StaffUser).order_by(StaffUser.username)).all()
    return render_template("staff/centre_staff.html", users=users, centres=open_centres())


@bp.post("/<int:user_id>")
@requires(Role.ADMIN)
def assign(user_id: int) -> Response:
    """Tie a staff member to a centre, or to none."""
    user = db().get(StaffUser, user_id) or abort(404)
    centre_id = _number(request.form.get("centre"))
    centre = db().get(Centre, centre_id) if centre_id is not None else None
    if centre_id is not None and centre is None:
        abort(400)
    user.centre_id = centre_id
    record("staff_centre", user.username, centre_id=centre_id)
    commit()
    flash(f"{user.username} now works at {centre.name if centre else 'no centre'}.", "ok")
    return redirect(url_for("staff_scope.index"))
