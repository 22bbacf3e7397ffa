"""The second step of a login: a code from the authenticator app, or enrolling one first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from models import StaffUser, utcnow
from services import staff_accounts, two_factor
from services.staff_accounts import LoginResult
from staff import throttle
from staff.auth import (
    MESSAGES,
    attempt_by,
    bp,
    failed,
    limits,
    pending_user,
    refused,
    sign_in,
    start_session,
)
from web.requests import commit, db, runtime

EXPIRED = "Your sign-in took too long: enter your password again."


def _start_again() -> Response:
    flash(EXPIRED, "error")
    return redirect(url_for("staff_auth.login_form"))


def enrolment_page(user: StaffUser, action: str, status: int = 200) -> tuple[str, int]:
    """Show the QR code (and the secret as text) of the account's enrolment, and the code form."""
    secret = two_factor.pending_secret(user)
    commit()  # the same secret on a reload, until it is confirmed
    uri = two_factor.provisioning_uri(user, secret)
    page = render_template("staff/enrol.html", qr=two_factor.qr_svg(uri), secret=secret,
                           action=action, user=user)  # fmt: skip
    return page, status


@bp.get("/login/code")
def code_form() -> Any:
    """Ask for the code of the authenticator app (or a recovery code)."""
    user, _ = pending_user()
    if user is None:
        return _start_again()
    if not two_factor.enabled(user):
        return redirect(url_for("staff_auth.enrol_form"))
    return render_template("staff/login_code.html")


def _wrong_code(user: StaffUser, attempt: throttle.Attempt) -> Any:
    settings = runtime().settings
    result = staff_accounts.note_failure(
        user, now=utcnow(), max_failures=settings.login_account_max_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )  # fmt: skip
    message = MESSAGES[result] if result == LoginResult.LOCKED else "That code is not right."
    return failed(attempt, "login_bad_code", message, "staff/login_code.html")


@bp.post("/login/code")
def code() -> Any:
    """Finish the login with a TOTP code or an unused recovery code."""
    user, target = pending_user()
    if user is None:
        return _start_again()
    attempt = attempt_by(user.username)
    why = throttle.refusal(runtime().redis, attempt, limits())
    if why is not None:
        return refused(attempt, why, "staff/login_code.html")
    if staff_accounts.locked(user, utcnow()):
        locked = MESSAGES[LoginResult.LOCKED]
        return failed(attempt, "login_locked", locked, "staff/login_code.html", count=False)
    key = runtime().settings.secret_key
    factor = two_factor.verify(db(), user, request.form.get("code", ""), utcnow(), key)
    if factor is None:
        return _wrong_code(user, attempt)
    return sign_in(user, factor, target)


@bp.get("/login/enrol")
def enrol_form() -> Any:
    """Show a member of staff who needs two-factor sign-in how to set it up."""
    user, _ = pending_user()
    if user is None:
        return _start_again()
    if two_factor.enabled(user):
        return redirect(url_for("staff_auth.code_form"))
    return enrolment_page(user, url_for("staff_auth.enrol"))


@bp.post("/login/enrol")
def enrol() -> Any:
    """Confirm the new authenticator with its first code, sign in and show the recovery codes."""
    user, target = pending_user()
    if user is None or two_factor.enabled(user):
        return _start_again()
    attempt = attempt_by(user.username)
    why = throttle.refusal(runtime().redis, attempt, limits())
    if why is not None:
        return refused(attempt, why, "staff/login.html")
    key = runtime().settings.secret_key
    codes = two_factor.confirm(db(), user, request.form.get("code", ""), utcnow(), key)
    if not codes:
        throttle.count_failure(runtime().redis, attempt, limits())
        flash("That code is not right: check the phone's clock and type the newest code.", "error")
        return enrolment_page(user, url_for("staff_auth.enrol"), 400)
    start_session(user, two_factor.Factor.TOTP, "login_2fa_enrolled")
    return render_template("staff/recovery_codes.html", codes=codes, target=target)
