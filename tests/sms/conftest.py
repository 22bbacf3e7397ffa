"""SMS fixtures: a fake AT over real HTTP, settings pointing the real SDK at it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from models import Agency, Centre, County, Message
from sms.delivery import Delivery
from sms.fake_at import FakeAT, serve
from sms.outbox import queue_message
from sms.sender import ATSender


@dataclass
class RunningFake:
    """A fake AT listening on 127.0.0.1."""

    url: str
    app: FakeAT

    def control(self, **orders: object) -> None:
        requests.post(f"{self.url}/control", json=orders, timeout=5).raise_for_status()

    def stats(self) -> dict[str, int]:
        return dict(requests.get(f"{self.url}/stats", timeout=5).json())


@pytest.fixture()
def fake_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningFake]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = serve(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield RunningFake(f"http://127.0.0.1:{server.server_port}", cast(FakeAT, server.app))
    server.shutdown()
    server.server_close()


@pytest.fixture()
def settings(settings: Settings, fake_at: RunningFake) -> Settings:
    """The test settings, sending through the real SDK to the fake AT, retrying at once."""
    return settings.with_overrides(
        at_api_key="test-at-key",
        at_api_base_url=f"{fake_at.url}/version1",
        sms_rate_per_second=10_000.0,
        sms_retry_base_seconds=0.0,
        sms_send_timeout=1.0,
    )


@pytest.fixture()
def delivery(app: Flask) -> Delivery:
    found = app.extensions["huduma"]
    return Delivery(
        found.settings, found.session_factory, found.redis_raw, ATSender(found.settings)
    )


@pytest.fixture()
def centre(app: Flask) -> str:
    """One centre and the NRB agency; returns the centre code."""
    with app.extensions["huduma"].session_factory.begin() as session:
        county = County(code=32, name="Nakuru")
        session.add_all([county, Agency(code="NRB", name="National Registration Bureau")])
        session.flush()
        session.add(
            Centre(code="NAKURU", name="Huduma Centre Nakuru", county_id=county.id, town="Nakuru")
        )
    return "NAKURU"


def add_message(app: Flask, **fields: object) -> int:
    """Queue and commit one message; return its id."""
    values: dict[str, object] = {
        "recipient": "+254700000001",
        "body": "Hello",
        "kind": "test",
        "idempotency_key": f"k-{fields.get('recipient', '')}-{fields}",
    }
    values.update(fields)
    with app.extensions["huduma"].session_factory.begin() as session:
        return queue_message(session, **values).id  # type: ignore[arg-type]


def message(app: Flask, message_id: int) -> Message:
    """Read a message afresh."""
    session: Session = app.extensions["huduma"].session_factory()
    with session:
        found = session.scalars(select(Message).where(Message.id == message_id)).one()
    return found
