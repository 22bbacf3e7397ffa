"""The demo seed: complete, consistent and idempotent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from demo.seed import seed_all
from models import (
    Centre,
    CentreService,
    Constituency,
    County,
    Document,
    DocumentEvent,
    DocumentStatus,
    OpeningHours,
    Service,
    Slot,
)
from tests.conftest import TEST_SECRET
from tests.dates import MONDAY, TUESDAY, WEDNESDAY

NAIROBI = ZoneInfo("Africa/Nairobi")
COUNTED = (County, Constituency, Centre, Service, CentreService, Slot, Document, DocumentEvent)


def _counts(session):
    count = func.count()
    return {m.__name__: session.scalar(select(count).select_from(m)) for m in COUNTED}


def test_seed_loads_the_reference_data(seeded, db_session):
    counts = _counts(db_session)
    assert (counts["County"], counts["Constituency"], counts["Centre"]) == (47, 290, 59)
    assert counts["Service"] == 12
    assert counts["Document"] == 60


def test_running_the_seed_twice_changes_nothing(seeded, db_session):
    before = _counts(db_session)
    with seeded.extensions["huduma"].session_factory.begin() as session:
        summary = seed_all(
            session, today=MONDAY, days=2, documents=60, hash_key=TEST_SECRET, tz=NAIROBI
        )
    assert set(summary.added.values()) == {0}
    assert _counts(db_session) == before


def test_smart_dl_is_offered_only_where_there_is_a_desk(seeded, db_session):
    rows = (
        db_session.execute(
            select(Centre.smart_dl_desk)
            .join(CentreService)
            .join(Service)
            .where(Service.code == "SMART_DL")
        )
        .scalars()
        .all()
    )
    assert len(rows) == 15 and all(rows)


def test_slots_fall_on_working_days_inside_opening_hours(seeded, db_session):
    hours = {(h.centre_id, h.weekday): h for h in db_session.scalars(select(OpeningHours))}
    for slot in db_session.scalars(select(Slot).limit(3000)):
        local: datetime = slot.starts_at.astimezone(NAIROBI)
        opening = hours[(slot.centre_id, local.weekday())]
        assert opening.opens <= local.time() < opening.closes
    days = {s.astimezone(NAIROBI).date() for s in db_session.scalars(select(Slot.starts_at))}
    assert days == {TUESDAY, WEDNESDAY}


def test_documents_cover_many_statuses_with_history(seeded, db_session):
    statuses = set(db_session.scalars(select(Document.status)))
    assert {DocumentStatus.READY_FOR_COLLECTION, DocumentStatus.COLLECTED} <= statuses
    doc = db_session.scalars(select(Document).where(Document.status == "COLLECTED")).first()
    events = db_session.scalars(
        select(DocumentEvent.to_status)
        .where(DocumentEvent.document_id == doc.id)
        .order_by(DocumentEvent.changed_at)
    ).all()
    assert events[0] == "SUBMITTED" and events[-1] == "COLLECTED"
    assert doc.reference.startswith("HK-") and doc.owner_phone.startswith("+25470000")


def test_the_database_refuses_overbooking(seeded, db_session):
    slot = db_session.scalars(select(Slot).limit(1)).one()
    slot.booked = slot.capacity + 1
    with pytest.raises(IntegrityError):
        db_session.commit()


def test_the_cli_seeds_and_reports_references(app, runner):
    result = runner.invoke(args=["seed", "demo", "--days", "1", "--documents", "20"])
    assert result.exit_code == 0, result.output
    assert "centres: 59 added" in result.output
    assert "READY_FOR_COLLECTION" in result.output
    again = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert "nothing to do" in again.output
