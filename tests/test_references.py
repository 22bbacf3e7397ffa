"""References are found however people type them: case, spaces, missing hyphens, slashes."""

from __future__ import annotations

import pytest

from models import Document, utcnow
from tests.ussd_dial import Dial

STATUS = ("1", "1")  # check document status, ID card


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
