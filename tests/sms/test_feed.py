"""The agency status feed: key required, bad rows reported by index, one notice per transition."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import AgencyKey, DocumentEvent, LanguagePreference, Message
from services.agency_keys import hash_key

PHONE = "+254700000021"


@pytest.fixture()
def key(app, runner, centre) -> str:
    result = runner.invoke(args=["agency", "create-key", "NRB"])
    assert result.exit_code == 0
    return str(result.stdout.strip().splitlines()[0])


def _update(**changes: str) -> dict[str, str]:
    item = {
        "reference": "HK-ID-482913",
        "kind": "ID_CARD",
        "status": "READY_FOR_COLLECTION",
        "phone": "0700000021",
        "centre": "NAKURU",
    }
    return item | changes


def _post(client, key: str, updates: list[object]) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {key}"}
    response = client.post("/api/v1/documents/status", json={"updates": updates}, headers=headers)
    assert response.status_code == 200, response.json
    return dict(response.json)


def _notices(db_session) -> list[Message]:
    return list(db_session.scalars(select(Message).where(Message.kind == "notice")))


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc"])
def test_feed_needs_an_agency_key(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.post(
        "/api/v1/documents/status", json={"updates": [_update()]}, headers=headers
    )
    assert response.status_code == 401 and response.json["reason"]


def test_key_is_stored_only_as_a_hash(key, db_session):
    stored = db_session.scalars(select(AgencyKey)).one()
    assert stored.key_hash == hash_key(key) and key not in (stored.prefix, stored.label)


def test_bad_rows_are_reported_by_index_and_good_rows_kept(client, key, db_session):
    bad = [
        _update(reference="HK-ID-1", phone="12"),
        _update(reference="HK-ID-2", kind="CAR"),
        _update(reference="HK-ID-3", centre="NOWHERE"),
        "not an object",
        _update(reference="HK-ID-4", changed_at="yesterday"),
    ]
    result = _post(client, key, [_update(), *bad])
    assert (result["accepted"], result["rejected"]) == (1, 5)
    assert [e["index"] for e in result["errors"]] == [1, 2, 3, 4, 5]
    assert len(_notices(db_session)) == 1


def test_repeated_updates_send_one_notice(client, key, db_session):
    for _ in range(3):
        result = _post(client, key, [_update(), _update()])
    assert (result["accepted"], result["unchanged"]) == (0, 2)
    notices = _notices(db_session)
    assert len(notices) == 1 and notices[0].verification_code in notices[0].body
    assert db_session.scalar(select(func.count()).select_from(DocumentEvent)) == 1


def test_a_new_transition_to_ready_notifies_again(client, key, db_session):
    _post(client, key, [_update()])
    _post(client, key, [_update(status="COLLECTED")])
    _post(client, key, [_update()])
    assert len(_notices(db_session)) == 2


def test_notice_is_in_the_owners_language(client, key, db_session):
    db_session.add(LanguagePreference(phone=PHONE, language="sw"))
    db_session.commit()
    _post(client, key, [_update()])
    notice = _notices(db_session)[0]
    assert notice.body.startswith("HUDUMA: Kitambulisho chako HK-ID-482913 kiko tayari")
    assert (notice.language, notice.encoding, notice.parts) == ("sw", "GSM-7", 1)


def test_good_conduct_available_on_ecitizen_notifies_download(client, key, db_session):
    update = _update(reference="HK-PCC-1", kind="GOOD_CONDUCT", status="AVAILABLE_ON_ECITIZEN")
    _post(client, key, [update | {"centre": ""}])
    assert "download on eCitizen" in _notices(db_session)[0].body


def test_too_many_updates_is_refused(client, key):
    headers = {"Authorization": f"Bearer {key}"}
    response = client.post(
        "/api/v1/documents/status", json={"updates": [_update()] * 1001}, headers=headers
    )
    assert response.status_code == 400


def test_feed_enqueues_the_notice_on_the_transactional_queue(app, client, key):
    _post(client, key, [_update()])
    assert app.extensions["huduma"].queues["transactional"].count == 1


def test_csv_import_applies_rows_and_reports_bad_ones(runner, centre, db_session, tmp_path):
    path = tmp_path / "updates.csv"
    path.write_text(
        "reference,kind,status,phone,centre\n"
        "HK-ID-1,ID_CARD,READY_FOR_COLLECTION,0700000021,NAKURU\n"
        "HK-ID-2,ID_CARD,READY_FOR_COLLECTION,123,NAKURU\n"
    )
    result = runner.invoke(args=["documents", "import", str(path), "--agency", "NRB"])
    assert "accepted 1, unchanged 0, rejected 1" in result.output
    assert len(_notices(db_session)) == 1
