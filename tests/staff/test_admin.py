"""Administration: the first admin, centres with hours and seats, holidays, keys, the audit page."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from models import AgencyKey, Centre, CentreService, County, Role, StaffUser
from tests.staff.conftest import login, post


def test_cli_creates_the_first_admin(runner, client, db_session):
    result = runner.invoke(args=["staff", "create-admin", "root", "--password", "a long secret!"])
    assert result.exit_code == 0, result.output
    assert db_session.scalars(select(StaffUser.role)).one() == "admin"
    assert login(client, "root", "a long secret!") == 302


def test_cli_refuses_a_short_password(runner):
    result = runner.invoke(args=["staff", "create-admin", "root", "--password", "short"])
    assert result.exit_code != 0
    assert "10 characters" in result.output


def test_admin_adds_a_centre_with_hours_and_seats(seeded, as_role, db_session):
    county = db_session.scalars(select(County).order_by(County.id)).first()
    form = {
        "code": "new-town",
        "name": "Huduma Centre New Town",
        "town": "New Town",
        "county": county.id,
        "active": "on",
        "opens_0": "08:00",
        "closes_0": "17:00",
        "offer_1": "on",
        "seats_1": "7",
    }
    answer = post(as_role(Role.ADMIN), "/staff/admin/centres/new", **form)
    assert answer.status_code == 302
    centre = db_session.scalars(select(Centre).where(Centre.code == "new-town")).one()
    assert [(h.weekday, h.opens.hour) for h in centre.hours] == [(0, 8)]
    offer = db_session.scalars(select(CentreService).where(CentreService.centre_id == centre.id))
    assert [(o.service_id, o.capacity_per_slot) for o in offer] == [(1, 7)]


def test_hours_that_close_before_opening_are_refused(seeded, as_role, db_session):
    form = {
        "code": "x",
        "name": "X",
        "town": "X",
        "county": 1,
        "opens_0": "17:00",
        "closes_0": "08:00",
    }
    post(as_role(Role.ADMIN), "/staff/admin/centres/new", **form)
    assert db_session.scalars(select(Centre).where(Centre.code == "x")).first() is None


def test_agency_key_is_shown_once_and_stored_hashed(seeded, as_role, db_session):
    client = as_role(Role.ADMIN)
    page = post(client, "/staff/admin/keys", agency=1, label="NRB feed").get_data(as_text=True)
    key = re.search(r'id="new-key">([^<]+)<', page).group(1)
    stored = db_session.scalars(select(AgencyKey)).one()
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in client.get("/staff/admin/keys").get_data(as_text=True)


def test_admin_changes_are_in_the_audit_page(seeded, as_role):
    client = as_role(Role.ADMIN)
    post(client, "/staff/admin/holidays", day="2026-12-24", name="Christmas Eve")
    page = client.get("/staff/admin/audit?action=holiday_add").get_data(as_text=True)
    assert "holiday:2026-12-24" in page
    assert "admin-user" in page


def test_admin_creates_and_switches_off_an_account(as_role, client, db_session):
    admin = as_role(Role.ADMIN)
    post(
        admin,
        "/staff/admin/staff",
        username="juma",
        full_name="Juma",
        password="x" * 12,
        role="agent",
    )
    user_id = db_session.scalars(select(StaffUser.id).where(StaffUser.username == "juma")).one()
    post(admin, f"/staff/admin/staff/{user_id}", role="agent")  # no "active": switched off
    assert login(client, "juma", "x" * 12) == 401
