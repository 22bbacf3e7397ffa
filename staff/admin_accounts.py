"""Administration of who gets in: staff accounts and agency API keys."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from models import Agency, AgencyKey, Role, StaffUser, utcnow
from services import administration as admin
from services import agency_keys, staff_accounts, staff_sessions, two_factor
from staff import throttle
from staff.access import me, record, requires
from staff.admin import bp, done, required
from web.requests import commit, db, runtime


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
def create_key() -> Response:
    """Create a key and show it once, on a page no cache may keep."""
    agency = db().get(Agency, required("agency", "Agency"))
    if agency is None:
        raise admin.AdminError("choose an agency from the list")
    key = agency_keys.create_key(db(), agency.code, request.form.get("label", "")[:80])
    record("key_create", f"agency_key:{key[:10]}", agency=agency.code)
    commit()
    response = make_response(render_template("staff/admin_key_once.html", key=key, agency=agency))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.post("/keys/<int:key_id>/revoke")
@requires(Role.ADMIN)
def revoke_key(key_id: int) -> Response:
    """Revoke a key."""
    row = db().get(AgencyKey, key_id) or abort(404)
    admin.revoke_key(row, utcnow())
    record("key_revoke", f"agency_key:{row.prefix}")
    return done("Key revoked.", url_for("staff_admin.keys"))


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
    return done(f"Account {user.username} created.", url_for("staff_admin.staff"))


def _colleague(user_id: int) -> StaffUser | None:
    """Return another staff member's account (404 if unknown), or None for one's own."""
    user: StaffUser = db().get(StaffUser, user_id) or abort(404)
    return None if user.id == me().id else user


@bp.post("/staff/<int:user_id>")
@requires(Role.ADMIN)
def update_staff(user_id: int) -> Response:
    """Change a staff member's role or switch the account on or off."""
    user = _colleague(user_id)
    if user is None:
        flash("You cannot change your own account here.", "error")
        return redirect(url_for("staff_admin.staff"))
    role, active = request.form.get("role", ""), request.form.get("active") == "on"
    staff_accounts.update_user(db(), user, role=role, active=active)
    if not active:
        staff_sessions.end_all(db(), user.id, staff_sessions.EndReason.SWITCHED_OFF, utcnow())
    elif two_factor.required_for(user.role) and not two_factor.enabled(user):
        # Promoted to a role that needs a second factor: sign in again, with one.
        staff_sessions.end_all(db(), user.id, staff_sessions.EndReason.TWO_FACTOR_RESET, utcnow())
    if active:  # saving an active account is how an admin lifts its lock, everywhere
        throttle.forget_account(runtime().redis, user.username)
    record("staff_update", f"staff:{user.username}", role=user.role, active=user.active)
    return done(f"Account {user.username} updated.", url_for("staff_admin.staff"))


@bp.post("/staff/<int:user_id>/password")
@requires(Role.ADMIN)
def reset_password(user_id: int) -> Response:
    """Give a staff member a new password; their open sessions end and any lock is lifted."""
    user = _colleague(user_id)
    if user is None:
        flash("You cannot reset your own password here.", "error")
        return redirect(url_for("staff_admin.staff"))
    staff_accounts.reset_password(user, request.form.get("password", "")[:200])
    ended = staff_sessions.end_all(db(), user.id, staff_sessions.EndReason.RESET, utcnow())
    throttle.forget_account(runtime().redis, user.username)
    record("staff_password_reset", f"staff:{user.username}", sessions_ended=ended)
    return done(f"New password set for {user.username}.", url_for("staff_admin.staff"))


@bp.post("/staff/<int:user_id>/two-factor")
@requires(Role.ADMIN)
def reset_two_factor(user_id: int) -> Response:
    """Switch a colleague's two-factor sign-in off (a lost phone); their sessions end."""
    user = _colleague(user_id)
    if user is None:
        flash("You cannot reset your own two-factor sign-in here.", "error")
        return redirect(url_for("staff_admin.staff"))
    two_factor.reset(db(), user)
    reason = staff_sessions.EndReason.TWO_FACTOR_RESET
    ended = staff_sessions.end_all(db(), user.id, reason, utcnow())
    record("staff_2fa_reset", f"staff:{user.username}", sessions_ended=ended)
    message = f"Two-factor sign-in reset for {user.username}: they set it up again at next login."
    return done(message, url_for("staff_admin.staff"))
