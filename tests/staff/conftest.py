"""Fixtures of the console tests: staff accounts and logged-in clients."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Role
from services.staff_accounts import create_user

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf(client: FlaskClient, path: str = "/staff/login") -> str:
    """Return the CSRF token a page of the console carries."""
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> int:
    """Log in through the form, as a browser would; return the status code."""
    data = {"username": username, "password": password, "csrf_token": csrf(client)}
    return client.post("/staff/login", data=data).status_code


def post(client: FlaskClient, path: str, **data: object):
    """POST a console form with a valid CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf(client, "/staff/simulator/")})


@pytest.fixture()
def make_staff(app: Flask) -> Callable[[str, Role], str]:
    """Create staff accounts; return the username."""

    def make(username: str, role: Role) -> str:
        with app.extensions["huduma"].session_factory.begin() as session:
            create_user(
                session, username=username, full_name=username.title(), password=PASSWORD, role=role
            )
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
