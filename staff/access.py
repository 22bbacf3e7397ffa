"""Who is logged in, what their role allows, CSRF, and the audit helper the views share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, render_template, request
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from models import Role, StaffUser, utcnow
from services import audit, staff_sessions
from services.staff_accounts import has_role
from web.requests import commit, db, runtime

F = TypeVar("F", bound=Callable[..., Any])
csrf = CSRFProtect()
login_manager = LoginManager()


@dataclass(slots=True)
class StaffIdentity(UserMixin):  # type: ignore[misc]
    """The logged-in staff member, as the request sees them."""

    id: int
    username: str
    full_name: str
    role: str
    token: str = ""
    session_row: int = 0

    def can(self, needed: Role) -> bool:
        """True when this staff member's role reaches `needed`."""
        return has_role(self.role, needed)

    def get_id(self) -> str:
        """Name the server-side session this cookie stands for, not just the account."""
        return f"{self.id}.{self.token}"


def identity(user: StaffUser, token: str = "", session_row: int = 0) -> StaffIdentity:
    """Return the request-side view of a staff account signed in under `token`."""
    return StaffIdentity(user.id, user.username, user.full_name, user.role, token, session_row)


def session_limits() -> staff_sessions.Limits:
    """The idle timeout and absolute lifetime of console sessions, from the settings."""
    settings = runtime().settings
    return staff_sessions.Limits(
        idle=timedelta(minutes=settings.staff_session_idle_minutes),
        lifetime=timedelta(hours=settings.staff_session_max_hours),
    )


def _load(session_id: str) -> StaffIdentity | None:
    user_id, _, token = session_id.partition(".")
    if not user_id.isdigit() or len(user_id) > 9 or not token:
        return None
    row = staff_sessions.find(db(), int(user_id), token[:100])
    user = db().get(StaffUser, row.user_id) if row else None
    # A lock only stops new logins: anyone who knows a username can lock it by failing.
    if row is None or user is None or not user.active:
        return None
    now = utcnow()
    reason = staff_sessions.lapsed(row, now, session_limits())
    if reason is not None:
        staff_sessions.end(row, reason, now)
        commit()
        return None
    if staff_sessions.touch(row, now):
        commit()
    return identity(user, token, row.id)


def init(app: Flask) -> None:
    """Install login, CSRF and cookie settings on the app."""
    production = app.extensions["huduma"].settings.is_production
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # only the console's forms; AT callbacks carry no token
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_SECURE=production,
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "staff_auth.login_form"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load)


def protect_forms() -> None:
    """Refuse any state-changing console request without a valid CSRF token."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


def requires(role: Role) -> Callable[[F], F]:
    """Let a view run only for logged-in staff whose role reaches `role`."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def me() -> StaffIdentity:
    """Return the logged-in staff member."""
    user: StaffIdentity = current_user._get_current_object()
    return user


def record(action: str, target: str = "", **detail: Any) -> None:
    """Add an audit event by the logged-in staff member to this request's session."""
    who = me() if current_user.is_authenticated else None
    audit.record(
        db(),
        actor_id=who.id if who else None,
        actor=who.username if who else "anonymous",
        action=action,
        target=target,
        ip=request.remote_addr,
        **detail,
    )


def _error_page(exc: HTTPException) -> tuple[str, int]:
    return render_template("staff/error.html", error=exc), exc.code or 500


def html_errors(blueprint: Blueprint) -> None:
    """Answer the console's refusals (403, 404, 400 for CSRF) with a page, not JSON."""
    for code in (400, 403, 404):
        blueprint.register_error_handler(code, _error_page)
