"""Administration: the first admin, centres with hours and seats, holidays, keys, the audit page."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import (
    Agency,
    AgencyKey,
    AuditEvent,
    Booking,
    Centre,
    CentreService,
    County,
    Holiday,
    Role,
    Service,
    Slot,
    StaffUser,
    Ticket,
)
from tests.staff.conftest import csrf, login, post

NAIROBI = ZoneInfo("Africa/Nairobi")


@pytest.fixture()
def basics(app):
    """A county, an agency and a service with id 1: enough for the forms, quicker than the seed."""
    with app.extensions["huduma"].session_factory.begin() as session:
        session.add_all(
            [County(id=1, code=1, name="Mombasa"), Agency(id=1, code="NRB", name="NRB")]
        )
        session.flush()
        session.add(Service(id=1, code="ID_FIRST", name_en="First ID", name_sw="Kitambulisho",
                            agency_id=1))  # fmt: skip


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
    centre = db_session.scalars(select(Centre).where(Centre.code == "NEW-TOWN")).one()
    assert [(h.weekday, h.opens.hour) for h in centre.hours] == [(0, 8)]
    offer = db_session.scalars(select(CentreService).where(CentreService.centre_id == centre.id))
    assert [(o.service_id, o.capacity_per_slot) for o in offer] == [(1, 7)]


def test_hours_that_close_before_opening_are_refused(seeded, as_role, db_session):
    form = {
        "code": "xx",
        "name": "X",
        "town": "X",
        "county": 1,
        "opens_0": "17:00",
        "closes_0": "08:00",
    }
    post(as_role(Role.ADMIN), "/staff/admin/centres/new", **form)
    assert db_session.scalars(select(Centre).where(Centre.code == "XX")).first() is None


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


def _centre_form(centre: Centre, **changes: object) -> dict[str, object]:
    """The centre's page as submitted unchanged, with some fields replaced."""
    form: dict[str, object] = {"code": centre.code, "name": centre.name, "town": centre.town,
                               "county": centre.county_id, "constituency": centre.constituency_id,
                               "active": "on"}  # fmt: skip
    for h in centre.hours:
        form[f"opens_{h.weekday}"] = h.opens.strftime("%H:%M")
        form[f"closes_{h.weekday}"] = h.closes.strftime("%H:%M")
    for offer in centre.services:
        form[f"seats_{offer.service_id}"] = str(offer.capacity_per_slot)
        if offer.active:
            form[f"offer_{offer.service_id}"] = "on"
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _gpo(db_session):
    return db_session.scalars(select(Centre).where(Centre.code == "GPO")).one()


def _future_slots(db_session, centre_id: int, service_id: int | None = None) -> list[Slot]:
    query = select(Slot).where(Slot.centre_id == centre_id, Slot.starts_at > datetime.now(UTC))
    if service_id is not None:
        query = query.where(Slot.service_id == service_id)
    return list(db_session.scalars(query.order_by(Slot.starts_at, Slot.id)))


def test_saving_a_centre_reaches_its_existing_slots(seeded, as_role, db_session):
    gpo = _gpo(db_session)
    service_id = gpo.services[0].service_id
    first = _future_slots(db_session, gpo.id)[0]
    weekday = first.starts_at.astimezone(NAIROBI).weekday()
    first.booked = 1
    db_session.add(Booking(reference="HKA-ADM01", phone="+254700000009", slot_id=first.id))
    db_session.commit()
    form = _centre_form(gpo, **{f"seats_{service_id}": "2", f"opens_{weekday}": None,
                                f"closes_{weekday}": None})  # fmt: skip
    client = as_role(Role.ADMIN)
    page = client.get(post(client, f"/staff/admin/centres/{gpo.id}", **form).headers["Location"])
    db_session.expire_all()
    assert "booked appointments need a call" in page.get_data(as_text=True)
    days = {s.starts_at.astimezone(NAIROBI).weekday() for s in _future_slots(db_session, gpo.id)}
    assert weekday in days  # only the booked slot is left that day...
    assert [s.id for s in _future_slots(db_session, gpo.id) if
            s.starts_at.astimezone(NAIROBI).weekday() == weekday] == [first.id]  # fmt: skip
    assert db_session.get(Slot, first.id).capacity == 1  # ...and it takes no one else
    others = {s.capacity for s in _future_slots(db_session, gpo.id, service_id) if s != first}
    assert others == {2}
    ticket = db_session.scalars(select(Ticket)).one()
    assert ticket.summary.startswith("HKA-ADM01:")


def test_centre_save_audit_names_what_changed(seeded, as_role, db_session):
    gpo = _gpo(db_session)
    service = gpo.services[0]
    form = _centre_form(gpo, name="Huduma Centre GPO Nairobi", opens_5="09:00", closes_5="13:00",
                        **{f"seats_{service.service_id}": "3"})  # fmt: skip
    client = as_role(Role.ADMIN)
    post(client, f"/staff/admin/centres/{gpo.id}", **form)
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "centre_save")).one()
    assert event.detail["fields"] == {"name": ["Huduma Centre GPO", "Huduma Centre GPO Nairobi"]}
    assert event.detail["hours"] == {"Sat": ["closed", "09:00-13:00"]}
    assert event.detail["seats"] == {service.service.code: [service.capacity_per_slot, 3]}
    assert event.detail["slots_added"] > 0  # Saturday opened


def test_admin_adds_a_service_type_then_a_centre_offers_it(seeded, as_role, db_session):
    client = as_role(Role.ADMIN)
    form = {"code": "nhif_card", "name_en": "NHIF card", "name_sw": "Kadi ya NHIF",
            "demand_rank": "3", "agency": "1", "slot_minutes": "30"}  # fmt: skip
    post(client, "/staff/admin/services", **form)
    service = db_session.scalars(select(Service).where(Service.code == "NHIF_CARD")).one()
    assert (service.name_sw, service.demand_rank) == ("Kadi ya NHIF", 3)
    gpo = _gpo(db_session)
    offer = {f"offer_{service.id}": "on", f"seats_{service.id}": "4"}
    post(client, f"/staff/admin/centres/{gpo.id}", **_centre_form(gpo, **offer))
    assert {s.capacity for s in _future_slots(db_session, gpo.id, service.id)} == {4}
    assert "NHIF card" in client.get("/staff/admin/services").get_data(as_text=True)


@pytest.mark.parametrize(
    "change",
    [{"code": "x"}, {"code": "ID_FIRST"}, {"name_en": ""}, {"name_sw": "K" * 31},
     {"demand_rank": "0"}, {"demand_rank": "abc"}, {"agency": "999"}, {"slot_minutes": "7"}],
)  # fmt: skip
def test_a_bad_service_type_is_a_form_error(basics, as_role, db_session, change):
    client = as_role(Role.ADMIN)
    form = {"code": "NEW_ONE", "name_en": "New one", "name_sw": "Mpya", "demand_rank": "3",
            "agency": "1", "slot_minutes": "30", **change}  # fmt: skip
    before = db_session.scalar(select(func.count(Service.id)))
    answer = post(client, "/staff/admin/services", **form)
    assert answer.status_code == 302
    assert 'class="flash error"' in client.get("/staff/admin/services").get_data(as_text=True)
    assert db_session.scalar(select(func.count(Service.id))) == before


def test_a_password_reset_ends_old_sessions_and_lifts_the_lock(app, as_role, db_session):
    juma = as_role(Role.AGENT, "juma")
    with app.extensions["huduma"].session_factory.begin() as session:
        session.scalars(
            select(StaffUser).where(StaffUser.username == "juma")
        ).one().failed_logins = 3
    admin = as_role(Role.ADMIN)
    user_id = db_session.scalars(select(StaffUser.id).where(StaffUser.username == "juma")).one()
    post(admin, f"/staff/admin/staff/{user_id}/password", password="a brand new secret")
    assert juma.get("/staff/dashboard").status_code == 302  # the old session has ended
    assert login(app.test_client(), "juma", "a brand new secret") == 302
    assert login(app.test_client(), "juma") == 401
    audit = db_session.scalars(select(AuditEvent.target).where(
        AuditEvent.action == "staff_password_reset")).all()  # fmt: skip
    assert audit == ["staff:juma"]


def test_a_short_new_password_is_refused(app, as_role, db_session):
    as_role(Role.AGENT, "juma")
    client = as_role(Role.ADMIN)
    user_id = db_session.scalars(select(StaffUser.id).where(StaffUser.username == "juma")).one()
    post(client, f"/staff/admin/staff/{user_id}/password", password="short")
    assert "at least 10 characters" in client.get("/staff/admin/staff").get_data(as_text=True)
    assert login(app.test_client(), "juma") == 302


def test_the_new_key_page_is_never_cached(seeded, as_role):
    answer = post(as_role(Role.ADMIN), "/staff/admin/keys", agency=1, label="NRB feed")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"


def _row_counts(db_session) -> dict[str, int]:
    """Rows of every table the admin forms above write."""
    models = (Centre, Holiday, AgencyKey, StaffUser)
    return {m.__name__: db_session.scalar(select(func.count()).select_from(m)) for m in models}


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/staff/admin/centres/new", {"code": "zz", "name": "Z", "town": "Z", "county": "0"}),
        ("/staff/admin/centres/new", {"code": "zz", "name": "Z", "town": "Z", "county": "abc"}),
        ("/staff/admin/centres/new", {"code": "zz", "name": "Z", "town": "Z", "county": "1",
                                      "constituency": "99999"}),
        ("/staff/admin/centres/new", {"code": "zz", "name": "Z", "town": "Z", "county": "1",
                                      "opens_0": "25:99", "closes_0": "26:00"}),
        ("/staff/admin/centres/new", {"code": "zz", "name": "Z", "town": "Z", "county": "1",
                                      "offer_1": "on", "seats_1": "many"}),
        ("/staff/admin/holidays", {"day": "", "name": "X"}),
        ("/staff/admin/holidays", {"day": "2026-12-01", "name": "X", "centre": "99999"}),
        ("/staff/admin/holidays", {"day": "2026-12-01", "name": "X", "centre": "x"}),
        ("/staff/admin/keys", {"agency": "0"}),
        ("/staff/admin/keys", {"agency": "NRB"}),
        ("/staff/admin/staff", {"username": "a", "password": "x" * 12, "role": "boss"}),
    ],
)  # fmt: skip
def test_bad_admin_input_is_a_form_error_never_a_500(basics, as_role, db_session, path, form):
    client = as_role(Role.ADMIN)
    before = _row_counts(db_session)
    answer = client.post(path, data={**form, "csrf_token": csrf(client, path if "new" in path
                                                                 else "/staff/admin/centres")},
                         headers={"Referer": f"http://localhost{path}"})  # fmt: skip
    assert answer.status_code == 302
    assert 'class="flash error"' in client.get(answer.headers["Location"]).get_data(as_text=True)
    db_session.expire_all()
    assert _row_counts(db_session) == before  # nothing of the bad form was saved


def test_a_service_switched_off_loses_its_free_future_slots(seeded, as_role, db_session):
    gpo = _gpo(db_session)
    service_id = gpo.services[0].service_id
    booked = _future_slots(db_session, gpo.id, service_id)[0]
    booked.booked = 1
    db_session.add(Booking(reference="HKA-SVC01", phone="+254700000009", slot_id=booked.id))
    db_session.commit()
    post(as_role(Role.ADMIN), f"/staff/admin/services/{service_id}")  # "active" unticked
    db_session.expire_all()
    assert db_session.get(Service, service_id).active is False
    assert [(s.id, s.capacity) for s in _future_slots(db_session, gpo.id, service_id)] == [
        (booked.id, 1)
    ]
    assert db_session.scalars(select(Ticket.summary)).one().startswith("HKA-SVC01:")
