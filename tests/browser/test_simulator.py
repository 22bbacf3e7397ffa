"""Book a slot on the phone-shaped simulator page, through the real USSD menus."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models import Booking, Role
from tests.browser.conftest import PHONE, log_in

pytestmark = [
    pytest.mark.slow,
    pytest.mark.committed,  # a live HTTP server thread serving a browser
    pytest.mark.xdist_group("browser"),  # one Chromium, one port range, one artefact folder
]
# English (a first dial asks), book, replacement ID, Nairobi, its first centre, the earliest
# time, an ID number, confirm.
BOOKING = ("1", "2", "1", "1", "1", "1", "12345678", "1")


def test_book_a_slot_on_the_simulator(seeded, page_for, staff, db_session, shoot):
    page = page_for(PHONE)
    log_in(page, staff("amina", Role.AGENT))
    page.goto("/staff/simulator/")
    page.get_by_role("button", name="Dial").click()
    screen = page.locator("#screen")
    expect(screen).to_contain_text("Kiswahili")  # the dial's answer is in
    for value in BOOKING:
        before = screen.inner_text()
        page.get_by_label("Reply").fill(value)
        page.get_by_role("button", name="Send").click()
        page.wait_for_function("b => document.getElementById('screen').innerText !== b", arg=before)
    assert "Booked" in screen.inner_text()
    shoot(page, "simulator-booked-phone")
    booking = db_session.scalars(select(Booking)).one()
    assert booking.reference in screen.inner_text()
