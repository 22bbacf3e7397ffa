"""References are found however people type them: case, spaces, missing hyphens, slashes."""

from __future__ import annotations

import pytest

from identifiers.references import booking_of, compact, document_keys
from models import Document, utcnow
from tests.ussd_dial import Dial

STATUS = ("1",)  # check document status


def _document(db_session, reference: str) -> None:
    db_session.add(Document(reference=reference, kind="ID_CARD", owner_phone="+254700000077",
                            status="PROCESSING", status_changed_at=utcnow()))  # fmt: skip
    db_session.commit()


@pytest.mark.parametrize(
    "typed", ["HK-ID-911100", "HKID911100", "hk id 911100", " hk-id-911100 ", "911100"]
)
def test_a_reference_is_found_however_it_is_typed(client, seeded, db_session, typed):
    _document(db_session, "HK-ID-911100")
    dial = Dial(client)
    dial.start()
    assert "being processed" in dial.send(*STATUS, typed)


@pytest.mark.parametrize("typed", ["HK-ID/2024/911", "hk-id/2024/911", "hkid 2024 911"])
def test_a_reference_with_slashes_from_the_feed_is_found(client, seeded, db_session, typed):
    _document(db_session, "HK-ID/2024/911")
    dial = Dial(client)
    dial.start()
    assert "being processed" in dial.send(*STATUS, typed)


def test_digits_naming_applications_of_two_kinds_ask_which(client, seeded, db_session):
    _document(db_session, "HK-ID-911101")
    db_session.add(Document(reference="HK-PP-911101", kind="PASSPORT", owner_phone="+254700000078",
                            status="SUBMITTED", status_changed_at=utcnow()))  # fmt: skip
    db_session.commit()
    dial = Dial(client)
    dial.start()
    which = dial.send(*STATUS, "911101")
    assert "Which document?" in which and dial.options() == {"1": "ID card", "2": "Passport"}
    assert "received" in dial.send("2")


def test_typed_forms_reduce_to_one_key():
    assert {compact(t) for t in ("HK-ID-482913", "hk id 482913", "HK/ID/482913")} == {"HKID482913"}
    assert document_keys("482913")[0] == "HKID482913" and len(document_keys("482913")) == 6
    assert document_keys("\u0661\u0662") == [] and document_keys("  ") == []


@pytest.mark.parametrize("typed", ["HKA-7Q4M2", "hka 7q4m2", "HKA7Q4M2"])
def test_booking_references_are_read_however_typed(typed):
    assert booking_of(typed) == "HKA-7Q4M2"
    assert booking_of("HK-ID-482913") is None
