"""Who is logged in, what their role allows, CSRF, and the audit helper the views share."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from models import Role, StaffUser
from services import audit
from services.staff_accounts import has_role, session_stamp
from web.requests import db

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
    stamp: str = ""

    def can(self, needed: Role) -> bool:
        """True when this staff member's role reaches `needed`."""
        return has_role(self.role, needed)

    def get_id(self) -> str:
        """Name the session by account and password, so a password reset ends old sessions."""
        return f"{self.id}.{self.stamp}"


def identity(user: StaffUser) -> StaffIdentity:
    """Return the request-side view of a staff account."""
    stamp = session_stamp(user, str(current_app.secret_key))
    return StaffIdentity(user.id, user.username, user.full_name, user.role, stamp)


def _load(session_id: str) -> StaffIdentity | None:
    user_id, _, stamp = session_id.partition(".")
    user = db().get(StaffUser, int(user_id)) if user_id.isdigit() and len(user_id) < 10 else None
    # A lock only stops new logins: anyone who knows a username can lock it by failing.
    if user is None or not user.active:
        return None
    found = identity(user)
    return found if hmac.compare_digest(found.stamp, stamp) else None


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
