"""Every screen of every menu fits 160 characters, in both languages, with the longest values."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from menus.booking import receipt_text
from menus.common import HopContext
from menus.registry import build, nodes
from models import Booking, Centre, Document, Message, Service, Slot, utcnow
from services import bookings
from ussd.engine import BUDGET, State, pages

LONG_REF = "HK-PCC-99999999999"


def _longest(db, model, column):
    return db.scalars(select(model).order_by(func.length(column).desc(), model.id)).first()


def _values(db) -> dict[str, str]:
    centre = _longest(db, Centre, Centre.name)
    service = _longest(db, Service, Service.name_sw)
    slot = db.scalars(
        select(Slot).where(Slot.centre_id == centre.id, Slot.service_id == service.id)
    ).first()
    document = db.scalars(select(Document).where(Document.kind == "GOOD_CONDUCT")).first()
    db.execute(
        update(Document)
        .where(Document.id == document.id)
        .values(reference=LONG_REF, centre_id=centre.id, status="READY_FOR_COLLECTION")
    )
    request = bookings.Request("+254711000009", slot.id, "****9999", "h", "sw", "k")
    booking = bookings.book(db, request, now=utcnow(), limit=2)
    db.add(Message(recipient="+254711000009", body="HUDUMA: " + "x" * 150, kind="k",
                   idempotency_key="m", verification_code="AAAAAA"))  # fmt: skip
    db.flush()
    return {"service": str(service.id), "county": str(centre.county_id), "centre": str(centre.id),
            "day": slot.starts_at.date().isoformat(), "slot": str(slot.id), "idm": "****9999",
            "idh": "h", "doc": str(document.id), "booking": str(booking.id), "kind": "3",
            "ref": booking.reference, "fcounty": str(centre.county_id), "fcentre": str(centre.id),
            "rating": "4", "msg": str(db.scalar(select(Message.id).where(Message.kind == "k"))),
            "why": "too_many"}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_every_screen_fits(seeded, db_session, lang):
    found = seeded.extensions["huduma"]
    data = _values(db_session)
    ctx = HopContext(db_session, found.redis, found.settings, "+254711000009", "k", "s", utcnow())
    menus = build(ctx)
    for node_id in nodes():
        state = State(
            screen=node_id, data=dict(data), stack=["main"], lang=lang, flash="Invalid choice."
        )
        for page in pages(state, menus):
            assert len(page) <= BUDGET, (node_id, lang, page)


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_receipts_fit_one_sms(seeded, db_session, lang):
    found = seeded.extensions["huduma"]
    _values(db_session)
    ctx = HopContext(db_session, found.redis, found.settings, "+254711000009", "k", "s", utcnow())
    turn = build(ctx).turn(State(lang=lang))
    booking = db_session.scalars(select(Booking)).one()
    for kind in ("booking_receipt", "booking_cancelled"):
        assert len(receipt_text(turn, booking, kind)) <= 160
