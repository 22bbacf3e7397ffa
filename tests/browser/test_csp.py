"""The console works under its Content-Security-Policy: no page has anything blocked."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from models import Role, StaffUser
from services.staff_accounts import create_user
from tests.browser.conftest import PASSWORD, log_in

pytestmark = [
    pytest.mark.slow,
    pytest.mark.committed,  # a live HTTP server thread serving a browser
    pytest.mark.xdist_group("browser"),  # one Chromium, one port range, one artefact folder
]
# Registered by the browser itself, outside the page's policy: it sees every violation.
WATCH = """document.addEventListener("securitypolicyviolation", (e) => {
  (window.__blocked = window.__blocked || []).push(e.violatedDirective + " " + e.blockedURI);
});"""
PAGES = ["/staff/dashboard", "/staff/tickets", "/staff/feedback", "/staff/inbound",
         "/staff/simulator/", "/staff/broadcasts/", "/staff/broadcasts/new",
         "/staff/admin/centres", "/staff/admin/centres/1", "/staff/admin/services",
         "/staff/admin/holidays", "/staff/admin/keys", "/staff/admin/staff",
         "/staff/admin/audit", "/staff/admin/citizen", "/staff/account/",
         "/staff/account/two-factor"]  # fmt: skip


def _watched(page_for):
    page = page_for()
    page.add_init_script(WATCH)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    return page, refused


def _blocked(page) -> list[str]:
    return list(page.evaluate("window.__blocked || []"))


def test_no_console_page_has_anything_blocked(seeded, page_for, staff, shoot):
    page, refused = _watched(page_for)
    log_in(page, staff("root", Role.ADMIN))
    for path in PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert _blocked(page) == [] and refused == [], path
    shoot(page, "two-factor-page")
    # The watch does see what the policy blocks: an outside image, say.
    page.evaluate(
        "document.body.append(Object.assign(new Image(), {src: 'http://127.0.0.2:9/x.png'}))"
    )
    page.wait_for_function("(window.__blocked || []).length > 0")
    assert _blocked(page)[0].startswith("img-src")


def test_the_scripts_run_under_the_policy(page_for, staff):
    page, refused = _watched(page_for)
    log_in(page, staff("maker", Role.SUPERVISOR))
    page.goto("/staff/broadcasts/new")
    page.get_by_label("Text in English").fill("Karibu")
    page.locator("#count_en").filter(has_text="6 characters, 1 SMS part(s)").wait_for()
    assert _blocked(page) == [] and refused == []


def test_enrolling_with_the_qr_code_page_blocks_nothing(app, page_for, shoot):
    with app.extensions["huduma"].session_factory.begin() as session:
        create_user(session, username="amina", full_name="Amina", password=PASSWORD,
                    role=Role.SUPERVISOR)  # fmt: skip
    page, refused = _watched(page_for)
    page.goto("/staff/login")
    page.get_by_label("Username").fill("amina")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/login/enrol")
    assert page.locator("figure.qr svg").bounding_box()["width"] >= 150
    shoot(page, "enrol-qr")
    with app.extensions["huduma"].session_factory() as session:
        secret = session.scalars(select(StaffUser.totp_secret)).one()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Switch on").click()
    assert page.locator("#recovery-codes li").count() == 10
    shoot(page, "recovery-codes")
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url("**/staff/dashboard")
    assert _blocked(page) == [] and refused == []
