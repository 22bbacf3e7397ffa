"""Drive the console in headless Chromium: log in, compose from a CSV, approve as a checker."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models import Role
from services.broadcasts import count_parts
from sms.templates import with_opt_out
from tests.browser.conftest import PHONE, log_in
from tests.dates import TUESDAY

pytestmark = [
    pytest.mark.slow,
    pytest.mark.committed,  # a live HTTP server thread serving a browser
    pytest.mark.xdist_group("browser"),  # one Chromium, one port range, one artefact folder
]
CSV = b"phone\n0712000001\n0712000002\n+254712000003\n0712000001\nnot-a-phone\n"


def compose(page, tmp_path) -> None:
    """Fill the compose form with an uploaded CSV and ask for the preview."""
    upload = tmp_path / "closure.csv"
    upload.write_bytes(CSV)
    page.goto("/staff/broadcasts/new")
    page.get_by_label("Title (for staff only)").fill("GPO closed Friday")
    page.get_by_label("Text in English").fill("HUDUMA: GPO centre is closed on Friday. Help: 1919")
    page.get_by_label("Text in Kiswahili").fill(
        "HUDUMA: Kituo cha GPO kimefungwa Ijumaa. Msaada: 1919"
    )
    page.get_by_label("Transactional (any hour)").check()
    page.get_by_label("Uploaded CSV of phone numbers").check()
    page.get_by_label("CSV file (phone numbers in the first column)").set_input_files(str(upload))
    page.get_by_role("button", name="Preview").click()


def test_login_shows_the_dashboard(seeded, page_for, staff, shoot):
    page = page_for()
    log_in(page, staff("amina", Role.AGENT))
    page.goto(f"/staff/dashboard?day={TUESDAY}")
    assert page.locator("svg[role=img]").count() >= 2
    shoot(page, "dashboard-laptop")


def test_counter_warns_when_a_character_forces_ucs2(page_for, staff, shoot):
    page = page_for()
    log_in(page, staff("maker", Role.SUPERVISOR))
    page.goto("/staff/broadcasts/new")
    page.get_by_label("Text in English").fill("Karibu sana ✓")
    page.locator("#count_en").filter(has_text="UCS-2").wait_for()
    assert "forces UCS-2" in page.locator("#count_en").inner_text()
    shoot(page, "compose-counter-laptop")


def test_counter_counts_the_opt_out_line_like_the_preview(page_for, staff, tmp_path, shoot):
    page, text = page_for(), "HUDUMA: " + "a" * 140
    log_in(page, staff("maker", Role.SUPERVISOR))
    page.goto("/staff/broadcasts/new")
    page.get_by_label("Text in English").fill(text)
    page.locator("#count_en").filter(has_text="148 characters, 1 SMS part(s)").wait_for()
    page.get_by_label("Awareness", exact=False).check()
    sent = count_parts(with_opt_out(text, "en"))
    counted = f"{sent.units} characters with the opt-out line, {sent.parts} SMS part(s)"
    page.locator("#count_en").filter(has_text=counted).wait_for()
    shoot(page, "compose-awareness-counter-laptop")
    upload = tmp_path / "one.csv"
    upload.write_bytes(b"0712000001\n")
    page.get_by_label("Title (for staff only)").fill("Opt-out count")
    page.get_by_label("Text in Kiswahili").fill("HUDUMA: Karibu")
    page.get_by_label("Uploaded CSV of phone numbers").check()
    page.get_by_label("CSV file (phone numbers in the first column)").set_input_files(str(upload))
    page.get_by_role("button", name="Preview").click()
    heading = page.get_by_role("heading", name="English:")
    assert heading.inner_text().startswith(f"English: {sent.parts} part(s), GSM-7")


def test_compose_from_csv_then_approve_as_second_supervisor(page_for, staff, tmp_path, shoot):
    maker, checker = page_for(), page_for(PHONE)
    log_in(maker, staff("maker", Role.SUPERVISOR))
    compose(maker, tmp_path)
    assert "3 (3 English, 0 Kiswahili)" in maker.locator("#recipients").inner_text()
    maker.get_by_role("button", name="Ask for approval").click()
    assert maker.get_by_text("Waiting for a different supervisor to approve.").is_visible()
    shoot(maker, "broadcast-pending-laptop")
    log_in(checker, staff("checker", Role.SUPERVISOR))
    checker.goto("/staff/broadcasts/1")
    checker.get_by_role("button", name="Approve and send").click()
    checker.locator("#progress").wait_for()
    assert checker.get_by_text("Approved: sending.").is_visible()
    shoot(checker, "broadcast-approved-phone")


PAGES = ["/staff/dashboard", "/staff/tickets", "/staff/feedback", "/staff/broadcasts/new",
         "/staff/simulator/", "/staff/admin/centres/1", "/staff/admin/services",
         "/staff/admin/holidays", "/staff/admin/keys", "/staff/admin/staff",
         "/staff/admin/audit", "/staff/admin/citizen", "/staff/account/",
         "/staff/account/two-factor"]  # fmt: skip


def test_pages_fit_a_phone_screen(seeded, page_for, staff, shoot):
    page = page_for(PHONE)
    log_in(page, staff("root", Role.ADMIN))
    for path in PAGES:
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)
        shoot(page, "phone" + path.replace("/", "-"))


def test_charts_and_row_buttons_speak_to_screen_readers(seeded, page_for, staff, shoot):
    page = page_for()
    log_in(page, staff("root", Role.ADMIN))
    page.goto("/staff/admin/holidays")
    page.get_by_label("Day", exact=True).fill("2026-12-24")
    page.get_by_label("Name", exact=True).fill("Christmas Eve")
    page.get_by_role("button", name="Add holiday").click()
    remove = page.get_by_role("button", name="Remove holiday Christmas Eve on 24/12/2026")
    expect(remove).to_have_count(1)
    page.goto(f"/staff/dashboard?day={TUESDAY}")
    figures = page.get_by_role("table", name=re.compile("^Seat use per centre"))
    expect(figures).to_be_hidden()
    page.get_by_text("Figures: Seat use per centre").click()
    expect(figures).to_be_visible()
    assert figures.get_by_role("columnheader", name=f"{TUESDAY:%a %d}").count() == 1
    shoot(page, "dashboard-figures-laptop")
