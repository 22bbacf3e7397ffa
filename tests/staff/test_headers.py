"""Security headers on every console response; no-store where personal data is shown."""

from __future__ import annotations

import pytest

from app import create_app
from models import Role
from tests.staff.conftest import csrf
from tests.staff.test_access import CASES, _call, _world

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CSP_PARTS = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
             "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]  # fmt: skip


def _check(answer, where: object, *, cached: bool = False) -> None:
    for name, value in HEADERS.items():
        assert answer.headers.get(name) == value, (where, name)
    policy = answer.headers.get("Content-Security-Policy", "")
    assert all(part in policy for part in CSP_PARTS), (where, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where
    assert "camera=()" in answer.headers.get("Permissions-Policy", ""), where
    no_store = "no-store" in answer.headers.get("Cache-Control", "")
    assert no_store is not cached, (where, answer.headers.get("Cache-Control"))
    assert "Strict-Transport-Security" not in answer.headers, where  # production only


def test_every_console_route_carries_the_header_table(seeded, as_role, make_staff):
    make_staff("other-supervisor", Role.SUPERVISOR)
    client = as_role(Role.ADMIN, "actor")
    world, token = _world(seeded, "actor"), csrf(client, "/staff/simulator/")
    for case in CASES:
        _check(_call(client, case, case.make(world), token), (case.method, case.path))


@pytest.mark.parametrize(
    "path", ["/staff/login", "/staff/dashboard", "/staff/no-such-page", "/staff/broadcasts/9/x"]
)
def test_pages_anyone_can_reach_carry_it_too(client, path):
    _check(client.get(path), path)


def test_static_files_may_be_cached_but_keep_the_other_headers(client):
    _check(client.get("/staff/static/staff/staff.js"), "staff.js", cached=True)


def test_hsts_only_in_production(settings):
    app = create_app(settings.with_overrides(app_env="production"))
    answer = app.test_client().get("/staff/login")
    app.extensions["huduma"].engine.dispose()
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")
