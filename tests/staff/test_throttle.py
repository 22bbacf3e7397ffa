"""The login throttle behind a proxy: no address can lock out staff who sign in from elsewhere."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Role, StaffUser
from tests.staff.conftest import PASSWORD, csrf

PROXY = "10.0.0.1"


@pytest.fixture()
def settings(settings):
    """One proxy hop in front of the app, as the README asks for production."""
    return settings.with_overrides(trusted_proxies=1, broadcast_approval_threshold=2)


def _login_via_proxy(client, client_address: str, username: str, password: str = PASSWORD) -> int:
    data = {"username": username, "password": password, "csrf_token": csrf(client)}
    answer = client.post("/staff/login", data=data, environ_base={"REMOTE_ADDR": PROXY},
                         headers={"X-Forwarded-For": client_address})  # fmt: skip
    return int(answer.status_code)


def test_thirty_failures_from_one_address_do_not_stop_a_login_from_another(app, make_staff):
    make_staff("amina", Role.AGENT)
    attacker = app.test_client()
    codes = {_login_via_proxy(attacker, "203.0.113.9", f"guess{n}", "wrong!") for n in range(30)}
    assert codes == {401}
    assert _login_via_proxy(attacker, "203.0.113.9", "amina") == 429
    assert _login_via_proxy(app.test_client(), "198.51.100.7", "amina") == 302


def test_failing_on_an_account_locks_it_only_for_the_failing_address(app, make_staff, db_session):
    make_staff("amina", Role.AGENT)
    attacker = app.test_client()
    codes = [_login_via_proxy(attacker, "203.0.113.9", "amina", "wrong!") for _ in range(6)]
    assert codes == [401] * 6
    assert _login_via_proxy(attacker, "203.0.113.9", "amina") == 401  # even the right password
    assert _login_via_proxy(app.test_client(), "198.51.100.7", "amina") == 302
    assert db_session.scalars(select(StaffUser.locked_until)).one() is None


def test_failures_spread_over_many_addresses_lock_the_account_until_an_admin_unlocks_it(
    app, make_staff, as_role
):
    found = app.extensions["huduma"]
    found.settings = found.settings.with_overrides(login_account_max_failures=4)
    make_staff("amina", Role.AGENT)
    for n in range(4):
        _login_via_proxy(app.test_client(), f"203.0.113.{n}", "amina", "wrong!")
    assert _login_via_proxy(app.test_client(), "198.51.100.7", "amina") == 401
    admin = as_role(Role.ADMIN, "root")
    with found.session_factory() as session:
        user_id = session.scalars(select(StaffUser.id).where(StaffUser.username == "amina")).one()
    form = {"role": "agent", "active": "on", "csrf_token": csrf(admin, "/staff/dashboard")}
    admin.post(f"/staff/admin/staff/{user_id}", data=form)
    assert _login_via_proxy(app.test_client(), "198.51.100.7", "amina") == 302
