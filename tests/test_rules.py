"""Rules written once: the development secret, callback auth, the language a phone chose."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from config import load_settings
from config.settings import DEVELOPMENT_SECRET
from models import Booking, Document
from tests.ussd_dial import Dial

BOOK = ("2", "1", "1", "1", "1", "12345678", "1")


def test_development_settings_resolve_the_secret_once():
    assert load_settings({}).secret_key == DEVELOPMENT_SECRET


@pytest.mark.committed  # a second app, its own connections
def test_ussd_and_the_feed_hash_an_id_number_alike_without_a_secret(seeded, settings, db_session):
    app = create_app(settings.with_overrides(app_env="development", secret_key=""))
    runner, client = app.test_cli_runner(), app.test_client()
    key = runner.invoke(args=["agency", "create-key", "NRB"]).stdout.strip().splitlines()[0]
    dial = Dial(client)
    dial.start()
    assert "Booked" in dial.send(*BOOK)
    update = {"reference": "HK-ID-777001", "kind": "ID_CARD", "status": "PROCESSING",
              "phone": "0700000021", "id_number": "12345678"}  # fmt: skip
    response = client.post("/api/v1/documents/status", json={"updates": [update]},
                           headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert response.json["accepted"] == 1
    booked = db_session.scalar(select(Booking.id_number_hash))
    fed = db_session.scalar(
        select(Document.id_number_hash).where(Document.reference == update["reference"])
    )
    assert booked == fed is not None
    app.extensions["huduma"].dispose()


@pytest.mark.parametrize("path", ["/ussd", "/ussd/events", "/sms/inbound", "/sms/opt-outs"])
def test_an_unset_callback_token_refuses_every_callback(settings, path):
    app = create_app(settings.with_overrides(at_callback_token=""))
    form = {"sessionId": "s", "phoneNumber": "+254711000001", "text": "", "from": "+254711000001",
            "id": "1", "serviceCode": "*384*1919#"}  # fmt: skip
    assert app.test_client().post(f"{path}?token=", data=form).status_code == 403
    app.extensions["huduma"].dispose()
