"""A member of staff's own account: password, two-factor sign-in and recovery codes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from models import Role, StaffUser, utcnow
from services import staff_accounts, staff_sessions, two_factor
from staff import throttle
from staff.access import html_errors, me, protect_forms, record, requires
from staff.auth import attempt_by, limits, start_session
from staff.second_factor import enrolment_page
from web.requests import commit, db, rollback, runtime

bp = Blueprint("staff_account", __name__, url_prefix="/staff/account")
bp.before_request(protect_forms)
html_errors(bp)


def _mine() -> StaffUser:
    user: StaffUser = db().get(StaffUser, me().id)  # type: ignore[assignment]
    return user


@bp.get("/")
@requires(Role.AGENT)
def page() -> str:
    """Show the account: two-factor state, recovery codes left, the password form."""
    user = _mine()
    return render_template(
        "staff/account.html",
        user=user,
        enabled=two_factor.enabled(user),
        required=two_factor.required_for(user.role),
        codes_left=two_factor.recovery_codes_left(db(), user),
    )


@bp.post("/password")
@requires(Role.AGENT)
def change_password() -> Response:
    """Change one's own password: every session of the account ends, this one starts anew."""
    user, form = _mine(), request.form
    try:
        staff_accounts.change_password(user, form.get("current", ""), form.get("new", "")[:200])
    except staff_accounts.AccountError as exc:
        rollback()
        throttle.count_failure(runtime().redis, attempt_by(user.username), limits())
        flash(f"Password not changed: {exc}.", "error")
        return redirect(url_for("staff_account.page"))
    staff_sessions.end_all(db(), user.id, staff_sessions.EndReason.PASSWORD, utcnow())
    start_session(user, "password", "password_change")
    flash("Password changed. Every other session of this account has ended.", "ok")
    return redirect(url_for("staff_account.page"))


@bp.get("/two-factor")
@requires(Role.AGENT)
def two_factor_page() -> Any:
    """Set up the authenticator app, or, once it is on, get new recovery codes."""
    user = _mine()
    if two_factor.enabled(user):
        return render_template("staff/two_factor_on.html", user=user)
    return enrolment_page(user, url_for("staff_account.confirm"))


@bp.post("/two-factor")
@requires(Role.AGENT)
def confirm() -> Any:
    """Check a code from the app; switch two-factor on if it was off; show new recovery codes."""
    user, key = _mine(), runtime().settings.secret_key
    was_on = two_factor.enabled(user)
    codes = two_factor.confirm(db(), user, request.form.get("code", ""), utcnow(), key)
    if not codes:
        throttle.count_failure(runtime().redis, attempt_by(user.username), limits())
        flash("That code is not right: check the phone's clock and type the newest code.", "error")
        if was_on:
            return render_template("staff/two_factor_on.html", user=user), 400
        return enrolment_page(user, url_for("staff_account.confirm"), 400)
    record("recovery_codes_new" if was_on else "2fa_enrol", f"staff:{user.username}")
    commit()
    return render_template("staff/recovery_codes.html", codes=codes, target="")
