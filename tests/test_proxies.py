"""Behind a reverse proxy the console throttles each client, not the proxy."""

from __future__ import annotations

import pytest

from app import create_app
from models import Role
from tests.staff.conftest import PASSWORD, csrf, make_staff  # noqa: F401

PROXY = "10.0.0.1"


def _login_via_proxy(client, client_address: str, username: str, password: str):
    data = {"username": username, "password": password, "csrf_token": csrf(client)}
    headers = {"X-Forwarded-For": client_address}
    return client.post("/staff/login", data=data, headers=headers,
                       environ_base={"REMOTE_ADDR": PROXY}).status_code  # fmt: skip


@pytest.fixture()
def app(settings):
    """The app behind one trusted proxy hop, throttling after 2 failures per address."""
    from tests.conftest import _wipe

    application = create_app(settings.with_overrides(trusted_proxies=1, login_ip_max_failures=2))
    application.config.update(TESTING=True)
    yield application
    found = application.extensions["huduma"]
    _wipe(found.engine)
    found.redis.flushdb()
    found.dispose()


def test_a_sprayer_behind_the_proxy_does_not_lock_out_its_neighbours(app, make_staff):  # noqa: F811
    make_staff("amina", Role.SUPERVISOR)
    sprayer, colleague = app.test_client(), app.test_client()
    codes = [_login_via_proxy(sprayer, "203.0.113.9", name, "Password123!") for name in "ab"]
    assert codes == [401, 401]
    assert _login_via_proxy(sprayer, "203.0.113.9", "amina", PASSWORD) == 429
    assert _login_via_proxy(colleague, "203.0.113.10", "amina", PASSWORD) == 302


def test_forwarded_headers_are_ignored_without_trusted_proxies(settings):
    app = create_app(settings)
    seen = app.test_client().get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"},
                                 environ_base={"REMOTE_ADDR": PROXY})  # fmt: skip
    app.extensions["huduma"].dispose()
    assert seen.request.remote_addr == PROXY
