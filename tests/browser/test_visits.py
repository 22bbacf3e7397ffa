"""Desk, counter and waiting-hall display in headless Chromium: the display follows the calls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from models import Role, StaffUser, utcnow
from tests.browser.conftest import LAPTOP, PHONE, log_in
from tests.visits.conftest import build, local_now_slot
from tests.visits.test_ratings import serve

pytestmark = pytest.mark.slow
TABLET = {"width": 768, "height": 1024}
CITIZEN = "+254712000001"


@pytest.fixture()
def floor(app):
    now = utcnow()
    return build(app, now, (local_now_slot(now),), capacity=3)


def _agent_of(app, floor, staff):
    name = staff("wanjiru", Role.AGENT)
    with app.extensions["huduma"].session_factory.begin() as session:
        session.execute(update(StaffUser).where(StaffUser.username == name)
                        .values(centre_id=floor.centres["GPO"]))  # fmt: skip
    return name


def test_desk_and_counter_drive_the_waiting_hall_display(app, floor, page_for, staff, shoot):
    reference = floor.book(CITIZEN, next(iter(key[2] for key in floor.slots)))
    desk, counter, hall = page_for(PHONE), page_for(TABLET), page_for(LAPTOP)
    name = _agent_of(app, floor, staff)
    log_in(desk, name)
    desk.goto("/staff/desk/")
    desk.get_by_label("Booking reference or phone number").fill(reference.lower())
    desk.get_by_role("button", name="Check in", exact=True).click()
    expect(desk.locator("#ticket-number")).to_have_text("001")
    shoot(desk, "desk-booked-ticket-phone")
    desk.get_by_label("Service").select_option(label="KRA PIN")
    desk.get_by_label("Phone number (for the SMS; may stay empty)").fill("0712 000 002")
    desk.get_by_role("button", name="Give a ticket").click()
    expect(desk.locator("#ticket-number")).to_have_text("002")
    shoot(desk, "desk-walk-in-ticket-phone")

    log_in(counter, name)
    counter.goto("/staff/counter/")
    counter.get_by_label("Counter number").select_option("4")
    counter.get_by_role("button", name="Open this counter").click()
    hall.goto(counter.get_by_role("link", name="Waiting-hall display of this centre")
              .get_attribute("href"))  # fmt: skip
    expect(hall.locator("#called")).to_contain_text("Please wait for your number")
    hall.evaluate("window.stillTheSamePage = true")
    shoot(hall, "display-empty-laptop")

    counter.get_by_role("button", name="Call next").click()
    expect(counter.locator("#current-ticket")).to_have_text("001")
    expect(hall.locator("#called tr.latest")).to_have_text("0014", timeout=10_000)
    shoot(counter, "counter-serving-tablet")
    shoot(hall, "display-first-call-laptop")

    counter.get_by_label("Outcome").select_option(label="Done")
    counter.get_by_role("button", name="Served").click()
    expect(counter.get_by_role("status")).to_contain_text("Ticket 001 served")
    counter.get_by_role("button", name="Call next").click()
    expect(counter.locator("#current-ticket")).to_have_text("002")
    expect(hall.locator("#called tr.latest")).to_have_text("0024", timeout=10_000)
    expect(hall.locator("#called tr")).to_have_count(2)
    assert hall.evaluate("window.stillTheSamePage") is True  # updated in place, never reloaded
    shoot(hall, "display-second-call-laptop")


def test_an_agent_books_for_a_citizen_and_reads_the_visits_dashboard(app, floor, page_for, staff,
                                                                      shoot):  # fmt: skip
    tomorrow = floor.add_slot(utcnow() + timedelta(days=1))
    page = page_for(TABLET)
    log_in(page, _agent_of(app, floor, staff))
    page.goto("/staff/assisted/")
    page.get_by_label("Citizen's phone number").fill("0712 000 001")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Show services").click()
    page.get_by_label("Service").select_option(label="Replacement ID card")
    page.get_by_role("button", name="Show free times").click()
    page.locator(f'input[name="slot"][value="{tomorrow}"]').check()
    page.get_by_label("ID number").fill("12345678")
    page.get_by_label("Language of the SMS receipt").select_option(label="Kiswahili")
    shoot(page, "assisted-choose-time-tablet")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("the receipt SMS is on its way")
    expect(page.locator(".booking-row")).to_contain_text("booked at the desk by Wanjiru")
    shoot(page, "assisted-booked-tablet")
    serve(floor, "+254712000003")
    page.goto("/staff/visits/")
    assert page.locator("svg[role=img]").count() == 4  # the four time charts
    expect(page.locator("p.empty")).to_contain_text(["No-show rate", "Satisfaction"])  # none yet
    shoot(page, "visits-dashboard-tablet")
