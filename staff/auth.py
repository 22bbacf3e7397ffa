"""Staff login and logout, with lockout after repeated failures."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from models import StaffSession, StaffUser, utcnow
from services import staff_sessions
from services.staff_accounts import LoginResult, authenticate
from staff import throttle
from staff.access import html_errors, identity, me, protect_forms, record
from web.requests import commit, db, runtime

bp = Blueprint("staff_auth", __name__, url_prefix="/staff")
bp.before_request(protect_forms)
html_errors(bp)

MESSAGES = {
    LoginResult.BAD_CREDENTIALS: "Wrong username or password.",
    LoginResult.LOCKED: (
        "Too many failed attempts: this account is locked for a while. Sign in from your usual"
        " place, wait, or ask an administrator to unlock it."
    ),
    LoginResult.INACTIVE: "This account is switched off. Ask an administrator.",
}


@bp.get("/login")
def login_form() -> str:
    """Show the login form."""
    return render_template("staff/login.html")


def _limits() -> throttle.Limits:
    settings = runtime().settings
    return throttle.Limits(
        per_address=settings.login_ip_max_failures,
        address_seconds=settings.login_ip_window_minutes * 60,
        per_account=settings.login_max_failures,
        account_seconds=settings.login_lockout_minutes * 60,
    )


def _refused(attempt: throttle.Attempt, why: str) -> tuple[str, int]:
    record("login_throttled", attempt.username, refused=why)
    commit()
    if why == "address":
        minutes = runtime().settings.login_ip_window_minutes
        flash(f"Too many failed logins from this address: try again in {minutes} minutes.", "error")
        return render_template("staff/login.html", username=attempt.username), 429
    flash(MESSAGES[LoginResult.LOCKED], "error")
    return render_template("staff/login.html", username=attempt.username), 401


@bp.post("/login")
def login() -> Response | tuple[str, int]:
    """Check the password, throttle repeated failures, and audit every attempt."""
    redis, settings = runtime().redis, runtime().settings
    attempt = throttle.Attempt(request.form.get("username", "")[:60], request.remote_addr or "")
    why = throttle.refusal(redis, attempt, _limits())
    if why is not None:
        return _refused(attempt, why)
    result, user = authenticate(
        db(),
        attempt.username,
        request.form.get("password", ""),
        now=utcnow(),
        max_failures=settings.login_account_max_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )
    if result != LoginResult.OK or user is None:
        if result != LoginResult.INACTIVE:  # a switched-off account needed the right password
            throttle.count_failure(redis, attempt, _limits())
        record(f"login_{result}", attempt.username)
        commit()
        flash(MESSAGES[result], "error")
        return render_template("staff/login.html", username=attempt.username), 401
    return sign_in(user)


def sign_in(user: StaffUser) -> Response:
    """Open a new server-side session for `user` in a fresh cookie (no fixation), audited."""
    now = utcnow()
    if current_user.is_authenticated:  # signing in again replaces this browser's session
        _end_current(staff_sessions.EndReason.LOGIN, now)
    session.clear()
    token = staff_sessions.open_session(db(), user.id, now, request.remote_addr)
    login_user(identity(user, token))
    record("login", user.username)
    commit()
    return redirect(_next_url())


def _end_current(reason: staff_sessions.EndReason, now: datetime) -> None:
    row = db().get(StaffSession, me().session_row)
    if row is not None:
        staff_sessions.end(row, reason, now)


def _next_url() -> str:
    target = request.args.get("next", "")
    return target if target.startswith("/staff") and "//" not in target else url_for("staff.home")


@bp.post("/logout")
@login_required  # type: ignore[untyped-decorator]
def logout() -> Response:
    """End the staff member's session on the server, so a copy of the cookie is worthless."""
    _end_current(staff_sessions.EndReason.LOGOUT, utcnow())
    record("logout", me().username)
    commit()
    logout_user()
    session.clear()
    return redirect(url_for("staff_auth.login_form"))
