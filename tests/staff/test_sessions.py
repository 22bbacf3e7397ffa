"""Console sessions end on the server: logout, password changes, resets, idle and age limits."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Role, StaffSession, StaffUser
from tests.staff.conftest import csrf, login


def _copy(source: FlaskClient, app: Flask) -> FlaskClient:
    """Return a second client holding the same session cookie, as a thief would."""
    cookie = source.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_a_cookie_copied_before_logout_is_refused_after_it(app, as_role):
    client = as_role(Role.AGENT)
    thief = _copy(client, app)
    assert thief.get("/staff/dashboard").status_code == 200
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/dashboard")})
    answer = thief.get("/staff/dashboard")
    assert answer.status_code == 302
    assert "/staff/login" in answer.headers["Location"]


def _session_rows(app) -> list[StaffSession]:
    with app.extensions["huduma"].session_factory() as session:
        return list(session.scalars(select(StaffSession).order_by(StaffSession.id)))


def _age(app, **moved: timedelta) -> None:
    """Move every session's times back, as if that much time had passed."""
    with app.extensions["huduma"].session_factory.begin() as session:
        for row in session.scalars(select(StaffSession)):
            for column, delta in moved.items():
                setattr(row, column, getattr(row, column) - delta)


def test_a_session_left_idle_too_long_ends(app, as_role):
    client = as_role(Role.AGENT)
    _age(app, last_seen_at=timedelta(minutes=29))
    assert client.get("/staff/dashboard").status_code == 200  # and that use counts as activity
    _age(app, last_seen_at=timedelta(minutes=31))
    assert client.get("/staff/dashboard").status_code == 302
    assert _session_rows(app)[0].end_reason == "idle"


def test_a_busy_session_still_ends_at_its_absolute_lifetime(app, as_role):
    client = as_role(Role.AGENT)
    _age(app, created_at=timedelta(hours=11, minutes=59))
    assert client.get("/staff/dashboard").status_code == 200
    _age(app, created_at=timedelta(minutes=2))
    assert client.get("/staff/dashboard").status_code == 302
    assert _session_rows(app)[0].end_reason == "expired"


def test_each_login_gets_a_new_session_id_and_ends_the_previous_one(app, make_staff):
    client = app.test_client()
    make_staff("amina", Role.AGENT)
    login(client, "amina")
    first = _copy(client, app)
    login(client, "amina")
    rows = _session_rows(app)
    assert [row.end_reason for row in rows] == ["new_login", None]
    assert rows[0].token_hash != rows[1].token_hash
    assert first.get("/staff/dashboard").status_code == 302
    assert client.get("/staff/dashboard").status_code == 200


def test_an_admin_password_reset_ends_every_session_of_the_account(app, as_role, db_session):
    agent, admin = as_role(Role.AGENT, "amina"), as_role(Role.ADMIN, "root")
    user_id = db_session.scalars(select(StaffUser.id).where(StaffUser.username == "amina")).one()
    token = csrf(admin, "/staff/admin/staff")
    admin.post(f"/staff/admin/staff/{user_id}/password",
               data={"password": "a fresh long secret", "csrf_token": token})  # fmt: skip
    assert agent.get("/staff/dashboard").status_code == 302
    assert admin.get("/staff/dashboard").status_code == 200


def test_switching_an_account_off_ends_its_sessions(app, as_role, db_session):
    agent, admin = as_role(Role.AGENT, "amina"), as_role(Role.ADMIN, "root")
    user_id = db_session.scalars(select(StaffUser.id).where(StaffUser.username == "amina")).one()
    token = csrf(admin, "/staff/admin/staff")
    admin.post(f"/staff/admin/staff/{user_id}", data={"role": "agent", "csrf_token": token})
    assert [row.end_reason for row in _session_rows(app)][0] == "switched_off"
    assert agent.get("/staff/dashboard").status_code == 302


def test_changing_ones_password_ends_every_other_session_and_renews_this_one(app, as_role):
    client = as_role(Role.AGENT, "amina")
    other, copied = app.test_client(), _copy(client, app)
    login(other, "amina")
    form = {"current": "correct horse battery", "new": "a brand new secret",
            "csrf_token": csrf(client, "/staff/account/")}  # fmt: skip
    assert client.post("/staff/account/password", data=form).status_code == 302
    assert other.get("/staff/dashboard").status_code == 302
    assert copied.get("/staff/dashboard").status_code == 302  # the old cookie of this browser
    assert client.get("/staff/dashboard").status_code == 200


def test_a_wrong_current_password_changes_nothing(app, as_role, db_session):
    client = as_role(Role.AGENT, "amina")
    before = db_session.scalars(select(StaffUser.password_hash)).one()
    form = {"current": "not my password", "new": "a brand new secret",
            "csrf_token": csrf(client, "/staff/account/")}  # fmt: skip
    client.post("/staff/account/password", data=form)
    db_session.expire_all()
    assert db_session.scalars(select(StaffUser.password_hash)).one() == before
    assert client.get("/staff/dashboard").status_code == 200
