"""A change staff make to centres reaches every web process at once: no stale list is shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from models import Centre, Role
from tests.staff.conftest import post
from tests.staff.test_admin import _centre_form
from tests.ussd_dial import Dial


def _kiambu_centres(app, phone: str) -> str:
    dial = Dial(app.test_client(), session_id=f"s-{phone}", phone=phone)
    dial.start()
    dial.send("2", "1")
    return dial.pick("Kiambu")


@pytest.mark.committed  # a second app: a process of its own, with its own connections
def test_a_centre_switched_off_leaves_the_lists_of_every_process(
    seeded, as_role, settings, db_session
):
    other = create_app(settings)  # a second web process, with a catalogue cache of its own
    assert "Gatundu North" in _kiambu_centres(other, "+254711000101")
    gatundu = db_session.scalars(select(Centre).where(Centre.code == "GATUNDU-NORTH")).one()
    form = _centre_form(gatundu, active=None)  # the box unticked: switched off
    saved = post(as_role(Role.ADMIN), f"/staff/admin/centres/{gatundu.id}", **form)
    assert saved.status_code == 302
    after = _kiambu_centres(other, "+254711000102")
    assert "Gatundu North" not in after and "Huduma Centre Thika" in after
    other.extensions["huduma"].dispose()
