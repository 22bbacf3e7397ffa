"""Citizens' rights: a copy of all held about one of them, its erasure, a call-back by SMS."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from identifiers.numbers import keyed_hash
from models import (
    AuditEvent,
    Booking,
    Document,
    LanguagePreference,
    OptOut,
    Role,
    Slot,
    Ticket,
    utcnow,
)
from services.staff_accounts import create_user
from tests.conftest import TEST_SECRET, TEST_TOKEN
from tests.staff.conftest import csrf
from tests.test_retention import _dump, _rows

pytestmark = pytest.mark.committed  # it reads every table through a connection of its own

ME, OTHER, MY_ID = "+254711000001", "+254722000002", "23456789"
NOW = utcnow()


@pytest.fixture()
def world(seeded):
    """One row of each kind for two citizens, plus what an erasure must keep for the first."""
    found = seeded.extensions["huduma"]
    with found.session_factory.begin() as session:
        staff = create_user(session, username="clerk", full_name="Clerk", password="x" * 12,
                            role=Role.AGENT)  # fmt: skip
        for n, phone in enumerate((ME, OTHER)):
            _rows(session, phone, NOW - timedelta(days=3), n, staff.id)
        future = session.scalars(select(Slot).where(Slot.starts_at > NOW)).first()
        session.add_all([
            OptOut(phone=ME, reason="stop", source="sms"),
            LanguagePreference(phone=ME, language="sw"),
            Booking(reference="HKA-FUT1", phone=ME, slot_id=future.id, status="ACTIVE"),
            Document(reference="HK-ID-77001", kind="ID_CARD", owner_phone=ME, status="PROCESSING",
                     id_number_hash=keyed_hash(MY_ID, TEST_SECRET), status_changed_at=NOW),
        ])  # fmt: skip
        session.execute(update(Booking).where(Booking.reference == "HKA-RT0")
                        .values(status="CANCELLED"))  # fmt: skip
    return found


@pytest.fixture()
def admin(as_role):
    """An administrator's client."""
    return as_role(Role.ADMIN, "root")


def _admin_post(admin, path: str, **form: str):
    return admin.post(path, data={**form, "csrf_token": csrf(admin, "/staff/admin/citizen")})


def _export(admin, number: str) -> dict[str, Any]:
    answer = _admin_post(admin, "/staff/admin/citizen/export", number=number)
    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    copy: dict[str, Any] = json.loads(answer.get_data(as_text=True))
    return copy


def test_a_copy_holds_everything_about_one_number_and_nothing_about_others(world, admin):
    copy = _export(admin, "0711 000 001")
    sections = copy["sections"]
    assert {name for name, rows in sections.items() if rows} == {
        "applications", "application_status_history", "appointments", "sms_sent", "sms_received",
        "contact_centre_tickets", "feedback", "ussd_sessions", "opt_outs", "language_choice",
        "pending_work"}  # fmt: skip
    text = json.dumps(copy)
    assert f"ready for {ME}" in text and OTHER not in text
    assert copy["about"] == "+2547*****001"


def test_a_copy_by_id_number_holds_its_applications(world, admin):
    sections = _export(admin, MY_ID)["sections"]
    assert [row["reference"] for row in sections["applications"]] == ["HK-ID-77001"]
    assert sections["sms_received"] == []


def test_requests_are_audited_without_the_whole_number(world, admin, db_session):
    _export(admin, ME)
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "citizen_export")
    ).one()
    assert event.target == "citizen:+2547*****001" and event.detail["sms_sent"] == 1
    assert ME not in json.dumps(_dump(world)["audit_events"])


def test_erasure_leaves_only_what_the_law_keeps(world, admin):
    answer = _admin_post(admin, "/staff/admin/citizen/erase", number=ME, confirm="erase")
    assert answer.status_code == 200 and 'id="kept"' in answer.get_data(as_text=True)
    holding = {name for name, rows in _dump(world).items() for row in rows if ME in str(row)}
    assert holding == {"opt_outs", "bookings", "documents"}  # STOP, a coming visit, an open file
    with world.session_factory() as session:
        assert session.scalars(select(Booking.reference).where(Booking.phone == ME)).all() == [
            "HKA-FUT1"]  # fmt: skip
        assert session.scalars(select(Ticket.status).where(Ticket.phone.contains("*"))).all() == [
            "closed"]  # fmt: skip
    assert OTHER in str(_dump(world)["messages"])  # the other citizen keeps everything


def test_erasure_needs_its_confirmation_and_a_real_number(world, admin):
    before = _dump(world)
    _admin_post(admin, "/staff/admin/citizen/erase", number=ME, confirm="")
    _admin_post(admin, "/staff/admin/citizen/erase", number="hello", confirm="ERASE")
    after = _dump(world)
    assert {k: v for k, v in after.items() if k not in ("audit_events", "staff_sessions",
            "staff_users")} == {k: v for k, v in before.items() if k not in (
            "audit_events", "staff_sessions", "staff_users")}  # fmt: skip


def test_the_shell_exports_and_erases_too(world, app, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "copy.json"
    assert runner.invoke(args=["citizen", "export", ME, "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["sections"]["sms_sent"][0]["recipient"] == ME
    erased = runner.invoke(args=["citizen", "erase", ME, "--yes"])
    assert erased.exit_code == 0 and "sms_sent" in erased.output
    assert ME not in str(_dump(world)["messages"])


def test_a_citizen_can_ask_by_sms_for_a_call_about_their_data(app, client, db_session):
    form = {"from": ME, "to": "1919", "text": "data", "id": "in-data-1", "date": "2026-11-23"}
    assert client.post(f"/sms/inbound?token={TEST_TOKEN}", data=form).status_code == 200
    ticket = db_session.scalars(select(Ticket)).one()
    assert (ticket.reason, ticket.phone) == ("data_request", ME)
