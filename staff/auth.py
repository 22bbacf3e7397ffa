"""Staff login (a password, then a second factor where one is needed) and logout, throttled."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from models import StaffSession, StaffUser, utcnow
from services import staff_accounts, staff_sessions, two_factor
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
PENDING = "pending_login"
PENDING_SECONDS = 300  # between a right password and its second factor


@bp.get("/login")
def login_form() -> str:
    """Show the login form."""
    return render_template("staff/login.html")


def limits() -> throttle.Limits:
    """The throttle's limits, from the settings."""
    settings = runtime().settings
    return throttle.Limits(
        per_address=settings.login_ip_max_failures,
        address_seconds=settings.login_ip_window_minutes * 60,
        per_account=settings.login_max_failures,
        account_seconds=settings.login_lockout_minutes * 60,
    )


def attempt_by(username: str) -> throttle.Attempt:
    """This request's login attempt on `username`."""
    return throttle.Attempt(username[:60], request.remote_addr or "")


def refused(attempt: throttle.Attempt, why: str, page: str = "staff/login.html") -> Any:
    """Answer a throttled attempt (audited) without looking at its password or code."""
    record("login_throttled", attempt.username, refused=why)
    commit()
    if why == "address":
        minutes = runtime().settings.login_ip_window_minutes
        flash(f"Too many failed logins from this address: try again in {minutes} minutes.", "error")
        return render_template(page, username=attempt.username), 429
    flash(MESSAGES[LoginResult.LOCKED], "error")
    return render_template(page, username=attempt.username), 401


def failed(
    attempt: throttle.Attempt, action: str, message: str, page: str, *, count: bool = True
) -> Any:
    """Count a failed attempt, audit it and show the form again with the reason."""
    if count:
        throttle.count_failure(runtime().redis, attempt, limits())
    record(action, attempt.username)
    commit()
    flash(message, "error")
    return render_template(page, username=attempt.username), 401


@bp.post("/login")
def login() -> Any:
    """Check the password, throttle repeated failures, and audit every attempt."""
    settings, attempt = runtime().settings, attempt_by(request.form.get("username", ""))
    why = throttle.refusal(runtime().redis, attempt, limits())
    if why is not None:
        return refused(attempt, why)
    result, user = authenticate(
        db(),
        attempt.username,
        request.form.get("password", ""),
        now=utcnow(),
        max_failures=settings.login_account_max_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )
    if result != LoginResult.OK or user is None:
        # A switched-off account needed the right password: that is no failure to count.
        count = result != LoginResult.INACTIVE
        return failed(attempt, f"login_{result}", MESSAGES[result], "staff/login.html", count=count)
    if two_factor.enabled(user) or two_factor.required_for(user.role):
        return _ask_second_factor(user)
    return sign_in(user, "password", _next_url())


def _ask_second_factor(user: StaffUser) -> Response:
    """Remember, for a few minutes, whose password was right; then ask for the second factor."""
    target, stamp = _next_url(), staff_accounts.session_stamp(user, runtime().settings.secret_key)
    session.clear()
    session[PENDING] = {"user": user.id, "stamp": stamp, "at": int(time.time()), "next": target}
    record("login_password_ok", user.username)
    commit()
    step = "staff_auth.code_form" if two_factor.enabled(user) else "staff_auth.enrol_form"
    return redirect(url_for(step))


def pending_user() -> tuple[StaffUser | None, str]:
    """The account whose password was just right, and where to go after; None once stale."""
    state = session.get(PENDING)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > PENDING_SECONDS:
        return None, ""
    user = db().get(StaffUser, int(state.get("user", 0)))
    stamp = staff_accounts.session_stamp(user, runtime().settings.secret_key) if user else ""
    if user is None or not user.active or stamp != state.get("stamp"):  # the password changed
        return None, ""
    return user, str(state.get("next", ""))


def start_session(user: StaffUser, factor: str, action: str = "login") -> None:
    """Open a new server-side session for `user` in a fresh cookie (no fixation), audited."""
    now = utcnow()
    if current_user.is_authenticated:  # signing in again replaces this browser's session
        end_current(staff_sessions.EndReason.LOGIN, now)
    session.clear()
    token = staff_sessions.open_session(db(), user.id, now, request.remote_addr)
    staff_accounts.signed_in(user, now)
    login_user(identity(user, token))
    record(action, user.username, factor=factor)
    commit()


def sign_in(user: StaffUser, factor: str, target: str) -> Response:
    """Start the session and go where the login was heading."""
    start_session(user, factor)
    return redirect(target or url_for("staff.home"))


def end_current(reason: staff_sessions.EndReason, now: datetime) -> None:
    """End the session this request came with."""
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
    end_current(staff_sessions.EndReason.LOGOUT, utcnow())
    record("logout", me().username)
    commit()
    logout_user()
    session.clear()
    return redirect(url_for("staff_auth.login_form"))
