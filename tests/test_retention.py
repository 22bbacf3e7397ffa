"""The retention job: old rows anonymised or deleted, new rows untouched, a second run a no-op."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identifiers.numbers import keyed_hash
from jobs.periodic import interval
from jobs.retention import apply_retention
from models import (
    AuditEvent,
    Base,
    Booking,
    Document,
    DocumentEvent,
    Feedback,
    InboundMessage,
    Message,
    Promise,
    RetentionMark,
    Role,
    Slot,
    StaffSession,
    Ticket,
    UssdSessionEvent,
    utcnow,
)
from services.retention import CLASSES
from services.staff_accounts import create_user
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.committed  # it reads every table through a connection of its own

OLD, NEW = "+254711000001", "+254722000002"
NOW = utcnow()


def _rows(session: Session, phone: str, at: datetime, n: int, staff_id: int) -> None:
    """Add one row of every data class for `phone`, stamped `at` (n keeps keys unique)."""
    slot = session.scalars(select(Slot).order_by(Slot.id)).first()
    assert slot is not None
    h = keyed_hash(phone, TEST_SECRET)
    document = Document(
        reference=f"HK-ID-99{n}",
        kind="ID_CARD",
        owner_phone=phone,
        id_number_hash=h,
        id_number_masked="****5678",
        status="COLLECTED",
        status_changed_at=at,
        created_at=at,
    )
    session.add_all([
        Message(recipient=phone, body=f"HUDUMA: ready for {phone}", kind="notice",
                idempotency_key=f"broadcast:1:{phone}", verification_code=f"C{n}", created_at=at),
        InboundMessage(at_id=f"at-{n}", phone=phone, to="1919", text=f"call me on {phone}",
                       received_at=at),
        UssdSessionEvent(session_id=f"s-{n}", service_code="*384*1919#", phone_hash=h,
                         status="Success", last_app_response="END Thank you", ended_at=at,
                         received_at=at),
        Feedback(centre_id=slot.centre_id, rating=4, comment=f"I am {phone}", phone_hash=h,
                 created_at=at),
        Booking(reference=f"HKA-RT{n}", phone=phone, slot_id=slot.id, id_number_hash=h,
                id_number_masked="****5678", created_at=at),
        document,
        Ticket(reason="sms_help", phone=phone, summary="help", note=f"rang {phone}",
               status="closed", created_at=at),
        Promise(kind="booking", key=f"p-{n}", phone=phone, payload={"phone": phone},
                status="kept", created_at=at, expires_at=at),
        StaffSession(token_hash=f"{n:064d}", user_id=staff_id, ip="10.0.0.9", created_at=at,
                     last_seen_at=at, ended_at=at),
        AuditEvent(actor="system", action="test", target="t", at=at),
    ])  # fmt: skip
    session.flush()
    session.add(DocumentEvent(document_id=document.id, to_status="COLLECTED", changed_at=at,
                              received_at=at, source="api"))  # fmt: skip


@pytest.fixture()
def world(seeded):
    """Old rows (well past every class's retention) and new ones (a day old)."""
    found = seeded.extensions["huduma"]
    with found.session_factory.begin() as session:
        staff = create_user(session, username="amina", full_name="Amina", password="x" * 12,
                            role=Role.AGENT)  # fmt: skip
        for n, (phone, age) in enumerate([(OLD, timedelta(days=800)), (NEW, timedelta(days=1))]):
            _rows(session, phone, NOW - age, n, staff.id)
    return found


def _dump(found) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as text: what a second run must leave as it is."""
    with found.engine.connect() as conn:
        return {t.name: [tuple(map(str, row))
                         for row in conn.execute(select(t).order_by(*t.primary_key))]
                for t in Base.metadata.sorted_tables}  # fmt: skip


def _holding(found, phone: str) -> set[str]:
    """The tables in which `phone` (or its hash) still appears whole."""
    hashed = keyed_hash(phone, TEST_SECRET)
    return {name for name, rows in _dump(found).items()
            for row in rows if any(phone in cell or hashed in cell for cell in row)}  # fmt: skip


def _count(found, model) -> int:
    with found.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


KEPT = {"messages", "inbound_messages", "feedback", "bookings", "documents", "tickets"}


def test_old_rows_lose_every_whole_number_and_new_rows_keep_theirs(world):
    assert _holding(world, OLD) == _holding(world, NEW) >= KEPT | {"promises"}
    apply_retention(world)
    assert _holding(world, OLD) == set()
    assert _holding(world, NEW) >= KEPT | {"promises", "ussd_session_events"}


def test_anonymised_rows_stay_for_the_figures_and_deleted_ones_go(world):
    deleting = (UssdSessionEvent, DocumentEvent, Promise, StaffSession)
    before = [_count(world, model) for model in deleting]
    apply_retention(world)
    with world.session_factory() as session:
        old = session.scalars(select(Message).order_by(Message.id)).first()
        assert (old.recipient, old.body, old.verification_code) == ("+2547*****001", "", None)
        assert old.idempotency_key == f"broadcast:1:#{old.id}"
        assert session.scalars(select(Feedback.rating).order_by(Feedback.id)).all() == [4, 4]
    assert [_count(world, model) for model in deleting] == [n - 1 for n in before]


def test_a_second_run_changes_nothing(world):
    first = apply_retention(world)
    before = _dump(world)
    again = apply_retention(world)
    assert all(first[data.name] >= 1 for data in CLASSES if data.name != "audit")
    assert set(again.values()) == {0}
    assert _dump(world) == before


def test_each_class_treated_is_audited_and_counted(world):
    sample = {"data_class": "outbox", "treatment": "anonymised"}
    counted = REGISTRY.get_sample_value("huduma_retention_rows_total", sample) or 0.0
    apply_retention(world)
    with world.session_factory() as session:
        query = select(AuditEvent.target).where(AuditEvent.action == "retention")
        targets = set(session.scalars(query))
    assert targets == {f"data:{data.name}" for data in CLASSES}
    assert REGISTRY.get_sample_value("huduma_retention_rows_total", sample) == counted + 1


def test_small_batches_and_a_time_budget(world):
    with world.session_factory.begin() as session:
        session.add_all(Message(recipient=f"+2547110000{n:02d}", body="old", kind="notice",
                                idempotency_key=f"k{n}", created_at=NOW - timedelta(days=100))
                        for n in range(10, 15))  # fmt: skip
    found = world.settings
    world.settings = found.with_overrides(retention_batch_size=2)
    assert apply_retention(world, budget=0)["outbox"] == 0  # out of time before the first batch
    assert apply_retention(world)["outbox"] == 6
    world.settings = found


def test_a_row_stamped_older_than_its_id_suggests_is_treated_in_the_same_run(world):
    with world.session_factory.begin() as session:
        late = Message(
            recipient="+254733000003",
            body="late",
            kind="notice",
            idempotency_key="late",
            created_at=NOW - timedelta(days=100),
        )
        session.add(late)  # fmt: skip
    assert apply_retention(world)["outbox"] == 2  # the world's old message and the late one
    with world.session_factory() as session:
        young = session.scalars(select(Message.id).where(Message.recipient == NEW)).one()
        assert session.get(RetentionMark, "outbox").last_id == young - 1  # next run starts there


def test_retention_runs_nightly_and_shows_its_table(world, app):
    assert interval("retention", world.settings) == 86400
    shown = app.test_cli_runner().invoke(args=["retention", "show"]).output
    assert "outbox             90 days" in shown and "audit             730 days" in shown
