"""Roles, CSRF, lockout and the audit of logins."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEvent, Role, StaffUser
from tests.staff.conftest import csrf, login

# (method, path, the lowest role allowed)
ACTIONS = [
    ("GET", "/staff/dashboard", Role.AGENT),
    ("GET", "/staff/feedback", Role.AGENT),
    ("GET", "/staff/inbound", Role.AGENT),
    ("GET", "/staff/tickets", Role.AGENT),
    ("POST", "/staff/tickets/999/close", Role.AGENT),
    ("POST", "/staff/tickets/999/reply", Role.AGENT),
    ("GET", "/staff/simulator/", Role.AGENT),
    ("GET", "/staff/broadcasts/", Role.SUPERVISOR),
    ("GET", "/staff/broadcasts/new", Role.SUPERVISOR),
    ("POST", "/staff/broadcasts/", Role.SUPERVISOR),
    ("GET", "/staff/broadcasts/999", Role.SUPERVISOR),
    ("POST", "/staff/broadcasts/999/submit", Role.SUPERVISOR),
    ("POST", "/staff/broadcasts/999/approve", Role.SUPERVISOR),
    ("POST", "/staff/broadcasts/999/reject", Role.SUPERVISOR),
    ("POST", "/staff/broadcasts/999/pause", Role.SUPERVISOR),
    ("POST", "/staff/broadcasts/999/resume", Role.SUPERVISOR),
    ("POST", "/staff/broadcasts/999/cancel", Role.SUPERVISOR),
    ("GET", "/staff/broadcasts/999/progress", Role.SUPERVISOR),
    ("GET", "/staff/broadcasts/999/export.csv", Role.SUPERVISOR),
    ("GET", "/staff/admin/centres", Role.ADMIN),
    ("GET", "/staff/admin/centres/new", Role.ADMIN),
    ("POST", "/staff/admin/centres/new", Role.ADMIN),
    ("GET", "/staff/admin/holidays", Role.ADMIN),
    ("POST", "/staff/admin/holidays", Role.ADMIN),
    ("POST", "/staff/admin/holidays/999/delete", Role.ADMIN),
    ("GET", "/staff/admin/keys", Role.ADMIN),
    ("POST", "/staff/admin/keys", Role.ADMIN),
    ("POST", "/staff/admin/keys/999/revoke", Role.ADMIN),
    ("GET", "/staff/admin/staff", Role.ADMIN),
    ("POST", "/staff/admin/staff", Role.ADMIN),
    ("POST", "/staff/admin/staff/999", Role.ADMIN),
    ("GET", "/staff/admin/audit", Role.ADMIN),
]
RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}


@pytest.mark.parametrize("role", list(Role))
def test_every_role_against_every_protected_action(as_role, role):
    client = as_role(role)
    token = csrf(client, "/staff/simulator/")
    for method, path, needed in ACTIONS:
        answer = client.open(path, method=method, data={"csrf_token": token})
        allowed = RANK[role] >= RANK[needed]
        assert (answer.status_code != 403) is allowed, (role, method, path, answer.status_code)
        assert answer.status_code < 500, (method, path)


def test_anonymous_is_sent_to_login(client):
    for method, path, _ in ACTIONS:
        answer = client.open(path, method=method)
        assert answer.status_code in (302, 400), (method, path)  # 400: refused for lack of CSRF


def test_post_without_csrf_token_is_refused(as_role):
    client = as_role(Role.ADMIN)
    answer = client.post("/staff/admin/holidays", data={"day": "2026-12-01", "name": "Test"})
    assert answer.status_code == 400
    assert b"CSRF" in answer.data


def test_login_without_csrf_token_is_refused(client, make_staff):
    make_staff("amina", Role.AGENT)
    answer = client.post("/staff/login", data={"username": "amina", "password": "x" * 12})
    assert answer.status_code == 400


def test_account_locks_after_repeated_failures(client, make_staff, db_session):
    make_staff("amina", Role.AGENT)
    codes = [login(client, "amina", "wrong password!") for _ in range(5)]
    assert codes == [401] * 5
    assert login(client, "amina") == 401  # the right password no longer opens it
    user = db_session.scalars(select(StaffUser).where(StaffUser.username == "amina")).one()
    assert user.locked_until is not None


def test_logins_are_audited(client, make_staff, db_session):
    make_staff("amina", Role.AGENT)
    login(client, "amina", "wrong password!")
    login(client, "amina")
    actions = db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["login_bad_credentials", "login"]


def test_switched_off_account_cannot_log_in(client, make_staff, app):
    make_staff("amina", Role.AGENT)
    with app.extensions["huduma"].session_factory.begin() as session:
        session.scalars(select(StaffUser)).one().active = False
    assert login(client, "amina") == 401


def test_session_cookie_is_secure_in_production(settings):
    from app import create_app

    app = create_app(settings.with_overrides(app_env="production"))
    app.extensions["huduma"].engine.dispose()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
