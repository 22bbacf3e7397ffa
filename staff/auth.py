"""Staff login and logout, with lockout after repeated failures."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from models import utcnow
from services.staff_accounts import LoginResult, authenticate
from staff import throttle
from staff.access import html_errors, identity, me, protect_forms, record
from web.requests import commit, db, runtime

bp = Blueprint("staff_auth", __name__, url_prefix="/staff")
bp.before_request(protect_forms)
html_errors(bp)

MESSAGES = {
    LoginResult.BAD_CREDENTIALS: "Wrong username or password.",
    LoginResult.LOCKED: "Too many failed attempts: this account is locked for a while.",
    LoginResult.INACTIVE: "This account is switched off. Ask an administrator.",
}


@bp.get("/login")
def login_form() -> str:
    """Show the login form."""
    return render_template("staff/login.html")


@bp.post("/login")
def login() -> Response | tuple[str, int]:
    """Check the password, lock after repeated failures, and audit every attempt."""
    found, settings = runtime(), runtime().settings
    username = request.form.get("username", "")[:60]
    address = request.remote_addr or "unknown"
    if throttle.refused(found.redis, address, settings.login_ip_max_failures):
        record("login_throttled", username)
        commit()
        minutes = settings.login_ip_window_minutes
        flash(f"Too many failed logins from this address: try again in {minutes} minutes.", "error")
        return render_template("staff/login.html", username=username), 429
    result, user = authenticate(
        db(),
        username,
        request.form.get("password", ""),
        now=utcnow(),
        max_failures=settings.login_max_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )
    if result != LoginResult.OK or user is None:
        if result != LoginResult.INACTIVE:  # a switched-off account needed the right password
            throttle.count_failure(found.redis, address, settings.login_ip_window_minutes * 60)
        record(f"login_{result}", username)
        commit()
        flash(MESSAGES[result], "error")
        return render_template("staff/login.html", username=username), 401
    session.clear()  # a fresh session on login: no fixation
    login_user(identity(user))
    record("login", user.username)
    commit()
    return redirect(_next_url())


def _next_url() -> str:
    target = request.args.get("next", "")
    return target if target.startswith("/staff") and "//" not in target else url_for("staff.home")


@bp.post("/logout")
@login_required  # type: ignore[untyped-decorator]
def logout() -> Response:
    """End the staff member's session."""
    record("logout", me().username)
    commit()
    logout_user()
    session.clear()
    return redirect(url_for("staff_auth.login_form"))
