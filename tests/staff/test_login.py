"""CSRF, lockout, login throttling and the audit of logins."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditEvent, Role, StaffUser
from tests.staff.conftest import PASSWORD, csrf, login


def test_post_without_csrf_token_is_refused(as_role):
    client = as_role(Role.ADMIN)
    answer = client.post("/staff/admin/holidays", data={"day": "2026-12-01", "name": "Test"})
    assert answer.status_code == 400
    assert b"CSRF" in answer.data


def test_login_without_csrf_token_is_refused(client, make_staff):
    make_staff("amina", Role.AGENT)
    answer = client.post("/staff/login", data={"username": "amina", "password": "x" * 12})
    assert answer.status_code == 400


def test_account_locks_after_repeated_failures_from_one_address(client, make_staff):
    make_staff("amina", Role.AGENT)
    codes = [login(client, "amina", "wrong password!") for _ in range(5)]
    assert codes == [401] * 5
    assert login(client, "amina") == 401  # the right password no longer opens it from here
    assert _login_from(client, "10.0.0.10", "amina") == 302  # but does from elsewhere


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


def _login_from(client, address: str, username: str, password: str = PASSWORD):
    data = {"username": username, "password": password, "csrf_token": csrf(client)}
    return client.post("/staff/login", data=data, environ_base={"REMOTE_ADDR": address}).status_code


def test_failures_from_one_address_are_throttled_whatever_the_username(app, make_staff):
    app.extensions["huduma"].settings = app.extensions["huduma"].settings.with_overrides(
        login_ip_max_failures=3
    )
    make_staff("amina", Role.SUPERVISOR)
    sprayer, colleague = app.test_client(), app.test_client()
    codes = [_login_from(sprayer, "10.0.0.9", name, "Password123!") for name in ("a", "b", "c")]
    assert codes == [401, 401, 401]
    assert _login_from(sprayer, "10.0.0.9", "amina") == 429  # even the right password
    assert _login_from(colleague, "10.0.0.10", "amina") == 302
    redis = app.extensions["huduma"].redis
    assert 0 < redis.ttl("staff:login:failures:10.0.0.9") <= 15 * 60


def test_throttled_attempts_are_audited_and_do_not_touch_the_account(app, make_staff, db_session):
    app.extensions["huduma"].settings = app.extensions["huduma"].settings.with_overrides(
        login_ip_max_failures=1
    )
    make_staff("amina", Role.AGENT)
    client = app.test_client()
    _login_from(client, "10.0.0.9", "nobody", "wrong password!")
    _login_from(client, "10.0.0.9", "amina", "wrong password!")
    actions = db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["login_bad_credentials", "login_throttled"]
    assert db_session.scalars(select(StaffUser.failed_logins)).one() == 0


def test_someone_elses_failures_do_not_end_a_logged_in_session(app, as_role, db_session):
    found = app.extensions["huduma"]
    found.settings = found.settings.with_overrides(login_account_max_failures=5)
    supervisor = as_role(Role.SUPERVISOR, "amina")
    attacker = app.test_client()
    for _ in range(5):
        login(attacker, "amina", "wrong password!")
    assert db_session.scalars(select(StaffUser.locked_until)).one() is not None
    assert supervisor.get("/staff/broadcasts/").status_code == 200
    assert _login_from(app.test_client(), "10.0.0.10", "amina") == 401  # new logins must wait


def test_without_trusted_proxies_a_forwarded_address_is_ignored(app, make_staff):
    found = app.extensions["huduma"]
    found.settings = found.settings.with_overrides(login_ip_max_failures=3)
    client = app.test_client()
    for n in range(3):
        data = {"username": f"guess{n}", "password": "wrong!", "csrf_token": csrf(client)}
        client.post("/staff/login", data=data, headers={"X-Forwarded-For": f"203.0.113.{n}"})
    data = {"username": "x", "password": "y", "csrf_token": csrf(client)}
    answer = client.post("/staff/login", data=data, headers={"X-Forwarded-For": "198.51.100.7"})
    assert answer.status_code == 429  # a forged header does not buy an attacker a new address
