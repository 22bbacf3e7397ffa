"""Fixtures of the console tests: staff accounts and logged-in clients."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Role, StaffUser, utcnow
from services.staff_accounts import create_user
from services.two_factor import required_for

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf(client: FlaskClient, path: str = "/staff/login") -> str:
    """Return the CSRF token a page of the console carries."""
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> int:
    """Log in through the form, as a browser would, with the app's code when asked; the status."""
    data = {"username": username, "password": password, "csrf_token": csrf(client)}
    answer = client.post("/staff/login", data=data)
    if answer.status_code != 302 or "/staff/login/code" not in answer.headers["Location"]:
        return answer.status_code
    code = current_code(client.application, username)
    form = {"code": code, "csrf_token": csrf(client, "/staff/login/code")}
    return client.post("/staff/login/code", data=form).status_code


def current_code(app: Flask, username: str) -> str:
    """Return a code the account's authenticator app would show now, not used before."""
    with app.extensions["huduma"].session_factory() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.username == username)).one()
        secret, last = user.totp_secret, user.totp_last_step
    assert secret, f"{username} has no authenticator"
    step = max(int(time.time()) // 30, last + 1)  # a second login within 30 s uses the next code
    return pyotp.TOTP(secret).at(step * 30)


def enable_two_factor(session: Session, user: StaffUser) -> str:
    """Give an account a confirmed authenticator, as if enrolled earlier; return its secret."""
    user.totp_secret, user.totp_enabled_at = pyotp.random_base32(), utcnow()
    return user.totp_secret


def post(client: FlaskClient, path: str, **data: object):
    """POST a console form with a valid CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf(client, "/staff/simulator/")})


@pytest.fixture()
def make_staff(app: Flask) -> Callable[[str, Role], str]:
    """Create staff accounts; return the username."""

    def make(username: str, role: Role) -> str:
        with app.extensions["huduma"].session_factory.begin() as session:
            user = create_user(
                session, username=username, full_name=username.title(), password=PASSWORD, role=role
            )
            if required_for(role):
                enable_two_factor(session, user)
        return username

    return make


@pytest.fixture()
def as_role(app: Flask, make_staff: Callable[[str, Role], str]) -> Callable[[Role], FlaskClient]:
    """Return a client logged in as a new staff member of a role."""

    def client_for(role: Role, username: str = "") -> FlaskClient:
        client = app.test_client()
        name = make_staff(username or f"{role.value}-user", role)
        assert login(client, name) == 302
        return client

    return client_for


@pytest.fixture()
def settings(settings):
    """The console tests' settings: a low approval threshold so two recipients need a checker."""
    return settings.with_overrides(broadcast_approval_threshold=2)


def compose_csv(client: FlaskClient, phones: list[str], message_class: str = "transactional"):
    """Compose a broadcast from an uploaded CSV through the form."""
    upload = (io.BytesIO(b"phone\n" + "\n".join(phones).encode()), "list.csv")
    return post(
        client,
        "/staff/broadcasts/",
        title="Centre closed",
        body_en="GPO closes on Friday.",
        body_sw="GPO itafungwa Ijumaa.",
        message_class=message_class,
        audience="csv",
        phones=upload,
    )
