"""Names staff type fit every screen and SMS: too long or not GSM-7 is refused, quotes plain."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Centre, Role, Service
from sms.segments import GSM7, count
from tests.staff.conftest import post
from tests.staff.test_admin import _centre_form


def _gpo(db_session):
    return db_session.scalars(select(Centre).where(Centre.code == "GPO")).one()


def _save(as_role, db_session, name: str):
    gpo = _gpo(db_session)
    client = as_role(Role.ADMIN)
    answer = post(client, f"/staff/admin/centres/{gpo.id}", **_centre_form(gpo, name=name))
    db_session.expire_all()
    return client.get(answer.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Huduma Centre " + "Kilimanjaro Road Annex " * 3, "at most"),
        ("Huduma Centre \u041dairobi", "GSM-7"),
        ("Huduma Centre {GPO}", "GSM-7"),
    ],
)
def test_a_centre_name_that_would_break_a_screen_or_an_sms_is_refused(
    seeded, as_role, db_session, name, reason
):
    page = _save(as_role, db_session, name)
    assert reason in page and _gpo(db_session).name == "Huduma Centre GPO"


def test_typographic_quotes_are_made_plain(seeded, as_role, db_session):
    _save(as_role, db_session, "Huduma Centre Murang\u2019a \u2013 GPO")
    name = _gpo(db_session).name
    assert name == "Huduma Centre Murang'a - GPO" and count(name).encoding == GSM7


def test_a_service_name_beyond_gsm7_is_refused(seeded, as_role, db_session):
    form = {"code": "NHIF_CARD", "name_en": "NHIF card \u2764", "name_sw": "Kadi ya NHIF",
            "demand_rank": "3", "agency": "1", "slot_minutes": "30"}  # fmt: skip
    client = as_role(Role.ADMIN)
    page = client.get(post(client, "/staff/admin/services", **form).headers["Location"])
    assert "GSM-7" in page.get_data(as_text=True)
    assert db_session.scalar(select(Service.id).where(Service.code == "NHIF_CARD")) is None
