"""Two-factor sign-in: required for supervisors and admins, optional for agents, reset by admins."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
from sqlalchemy import select

from models import AuditEvent, Role, StaffUser, utcnow
from services.staff_accounts import create_user
from services.two_factor import new_recovery_codes
from tests.staff.conftest import PASSWORD, csrf, current_code, login

CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def _plain_account(app, username: str, role: Role) -> None:
    """An account with no authenticator yet (made before two-factor sign-in existed)."""
    with app.extensions["huduma"].session_factory.begin() as session:
        create_user(session, username=username, full_name="Amina", password=PASSWORD, role=role)


def _password(client, username: str):
    data = {"username": username, "password": PASSWORD, "csrf_token": csrf(client)}
    return client.post("/staff/login", data=data)


def _code(client, code: str, path: str = "/staff/login/code"):
    return client.post(path, data={"code": code, "csrf_token": csrf(client, path)})


def _secret(app, username: str) -> str:
    with app.extensions["huduma"].session_factory() as session:
        query = select(StaffUser.totp_secret).where(StaffUser.username == username)
        return str(session.scalars(query).one())


def _actions(app) -> list[str]:
    with app.extensions["huduma"].session_factory() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_supervisor_without_an_authenticator_must_enrol_first(app, client):
    _plain_account(app, "amina", Role.SUPERVISOR)
    assert _password(client, "amina").headers["Location"].endswith("/staff/login/enrol")
    assert client.get("/staff/dashboard").status_code == 302  # the password alone opens nothing
    page = client.get("/staff/login/enrol").get_data(as_text=True)
    assert '<svg viewBox="' in page and _secret(app, "amina") in page
    assert _code(client, "000000", "/staff/login/enrol").status_code == 400
    code = pyotp.TOTP(_secret(app, "amina")).now()
    shown = _code(client, code, "/staff/login/enrol").get_data(as_text=True)
    assert len(set(CODES.findall(shown))) == 10
    assert client.get("/staff/dashboard").status_code == 200
    assert _actions(app)[-1] == "login_2fa_enrolled"


def test_an_agent_may_sign_in_with_the_password_alone(app, client):
    _plain_account(app, "amina", Role.AGENT)
    assert _password(client, "amina").headers["Location"].endswith("/staff/")
    assert client.get("/staff/dashboard").status_code == 200


def test_a_wrong_code_is_refused_audited_and_counted(app, client, make_staff):
    make_staff("amina", Role.ADMIN)
    assert _password(client, "amina").headers["Location"].endswith("/staff/login/code")
    codes = [_code(client, "123456").status_code for _ in range(5)]
    assert codes == [401] * 5
    assert client.get("/staff/dashboard").status_code == 302
    assert _code(client, current_code(app, "amina")).status_code == 401  # locked from here now
    assert _actions(app).count("login_bad_code") == 5


def test_a_code_opens_one_session_only(app, make_staff):
    make_staff("amina", Role.SUPERVISOR)
    first, second = app.test_client(), app.test_client()
    code = current_code(app, "amina")
    _password(first, "amina")
    assert _code(first, code).status_code == 302
    _password(second, "amina")
    assert _code(second, code).status_code == 401  # replayed


def test_a_recovery_code_signs_in_once(app, make_staff):
    make_staff("amina", Role.SUPERVISOR)
    with app.extensions["huduma"].session_factory.begin() as session:
        user = session.scalars(select(StaffUser)).one()
        codes = new_recovery_codes(session, user, app.config["SECRET_KEY"])
    first, second = app.test_client(), app.test_client()
    _password(first, "amina")
    assert _code(first, codes[3].upper()).headers["Location"].endswith("/staff/")
    _password(second, "amina")
    assert _code(second, codes[3]).status_code == 401


def test_an_admin_reset_ends_sessions_and_asks_for_enrolment_again(app, as_role, db_session):
    supervisor, admin = as_role(Role.SUPERVISOR, "amina"), as_role(Role.ADMIN, "root")
    user_id = db_session.scalars(select(StaffUser.id).where(StaffUser.username == "amina")).one()
    token = csrf(admin, "/staff/admin/staff")
    admin.post(f"/staff/admin/staff/{user_id}/two-factor", data={"csrf_token": token})
    assert supervisor.get("/staff/dashboard").status_code == 302
    assert "staff_2fa_reset" in _actions(app)
    assert _password(app.test_client(), "amina").headers["Location"].endswith("/login/enrol")


def test_the_second_step_expires_after_five_minutes(app, client, make_staff):
    make_staff("amina", Role.SUPERVISOR)
    _password(client, "amina")
    with client.session_transaction() as state:
        state["pending_login"] = {**state["pending_login"], "at": int(time.time()) - 301}
    form = {"code": current_code(app, "amina"), "csrf_token": csrf(client)}
    answer = client.post("/staff/login/code", data=form)
    assert answer.headers["Location"].endswith("/staff/login")
    assert client.get("/staff/dashboard").status_code == 302


def test_an_agent_can_switch_two_factor_on_and_then_needs_it(app, as_role):
    agent = as_role(Role.AGENT, "amina")
    agent.get("/staff/account/two-factor")
    code = pyotp.TOTP(_secret(app, "amina")).now()
    assert _code(agent, code, "/staff/account/two-factor").status_code == 200
    fresh = app.test_client()
    assert _password(fresh, "amina").headers["Location"].endswith("/staff/login/code")
    assert login(app.test_client(), "amina") == 302


def test_the_shell_can_unlock_and_reset_the_last_admin(app, runner, make_staff):
    make_staff("root", Role.ADMIN)
    with app.extensions["huduma"].session_factory.begin() as session:
        session.scalars(select(StaffUser)).one().locked_until = utcnow() + timedelta(hours=1)
    assert runner.invoke(args=["staff", "unlock", "root"]).exit_code == 0
    assert runner.invoke(args=["staff", "reset-two-factor", "root"]).exit_code == 0
    assert _password(app.test_client(), "root").headers["Location"].endswith("/login/enrol")
    assert _actions(app)[-3:] == ["staff_unlock", "staff_2fa_reset", "login_password_ok"]


def test_an_agent_promoted_to_supervisor_signs_in_again_with_a_second_factor(app, as_role):
    agent, admin = as_role(Role.AGENT, "amina"), as_role(Role.ADMIN, "root")
    with app.extensions["huduma"].session_factory() as session:
        user_id = session.scalars(select(StaffUser.id).where(StaffUser.username == "amina")).one()
    form = {"role": "supervisor", "active": "on", "csrf_token": csrf(admin, "/staff/admin/staff")}
    admin.post(f"/staff/admin/staff/{user_id}", data=form)
    assert agent.get("/staff/broadcasts/").status_code == 302
    assert _password(app.test_client(), "amina").headers["Location"].endswith("/login/enrol")
