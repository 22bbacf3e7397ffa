"""A booking a hop promised is kept after any outage: a receipt, or an apology, never silence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from app import create_app
from jobs.promises import keep, sweep_promises
from models import Booking, Message, Promise, PromiseStatus, Slot, utcnow
from services import bookings
from services.promises import defer_booking

PHONE = "+254711000088"


def _promise(app, key: str = "ussd:s-1:7") -> int:
    found = app.extensions["huduma"]
    with found.transaction() as work:
        slot = work.session.scalars(select(Slot).order_by(Slot.starts_at.desc())).first()
        request = bookings.Request(PHONE, slot.id, "****5678", "h", "sw", key)
        return defer_booking(work, request).id


def _state(app, promise_id: int) -> tuple[str, list[str]]:
    with app.extensions["huduma"].session_factory() as session:
        promise = session.get(Promise, promise_id)
        kinds = list(session.scalars(select(Message.kind).where(Message.recipient == PHONE)))
        return promise.status, kinds


def test_a_promise_recorded_at_the_hop_is_kept_with_a_receipt(seeded):
    promise_id = _promise(seeded)
    assert keep(promise_id, seeded.extensions["huduma"]) == "kept"
    assert keep(promise_id, seeded.extensions["huduma"]) == "not pending"  # a replayed job
    assert _state(seeded, promise_id) == (PromiseStatus.KEPT, ["booking_receipt"])


def test_a_promise_whose_slot_passed_gets_an_apology(seeded):
    promise_id = _promise(seeded)
    with seeded.extensions["huduma"].session_factory.begin() as session:
        session.execute(update(Promise).values(expires_at=utcnow() - timedelta(minutes=1)))
    keep(promise_id, seeded.extensions["huduma"])
    assert _state(seeded, promise_id) == (PromiseStatus.BROKEN, ["booking_failed"])


def test_a_promise_whose_slot_filled_gets_an_apology(seeded):
    promise_id = _promise(seeded)
    with seeded.extensions["huduma"].session_factory.begin() as session:
        session.execute(update(Slot).values(booked=Slot.capacity))
    keep(promise_id, seeded.extensions["huduma"])
    assert _state(seeded, promise_id) == (PromiseStatus.BROKEN, ["booking_failed"])


@pytest.mark.postgres
@pytest.mark.committed  # a second app through a proxy
def test_a_promise_outlives_a_database_outage_and_is_kept_after(seeded, settings, postgres_proxy):
    promise_id = _promise(seeded)
    url = make_url(settings.database_url).set(host="127.0.0.1", port=postgres_proxy.port)
    cut_off = create_app(settings.with_overrides(database_url=url.render_as_string(False)))
    postgres_proxy.reset()
    assert keep(promise_id, cut_off.extensions["huduma"]) == "postponed"
    assert _state(seeded, promise_id)[0] == PromiseStatus.PENDING
    postgres_proxy.pass_through()
    with seeded.extensions["huduma"].session_factory.begin() as session:
        session.execute(update(Promise).values(next_attempt_at=utcnow()))
    assert sweep_promises(cut_off.extensions["huduma"]) == 1
    job = cut_off.extensions["huduma"].queues["transactional"].jobs[-1]
    assert keep(*job.args, found=cut_off.extensions["huduma"]) == "kept"
    with seeded.extensions["huduma"].session_factory() as session:
        assert session.scalar(select(func.count(Booking.id))) == 1
    cut_off.extensions["huduma"].dispose()
