"""The agency status feed: key required, bad rows reported by index, one notice per transition."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from models import AgencyKey, Document, DocumentEvent, LanguagePreference, Message
from services.agency_keys import authenticate, hash_key

PHONE = "+254700000021"


@pytest.fixture()
def key(app, runner, centre) -> str:
    result = runner.invoke(args=["agency", "create-key", "NRB"])
    assert result.exit_code == 0
    return str(result.stdout.strip().splitlines()[0])


def _update(**changes: object) -> dict[str, object]:
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
    assert notice.body.startswith("HUDUMA: Kitambulisho HK-ID-482913 kiko tayari kuchukuliwa")
    assert (notice.language, notice.encoding, notice.parts) == ("sw", "GSM-7", 1)


def test_good_conduct_available_on_ecitizen_notifies_download(client, key, db_session):
    update = _update(reference="HK-PCC-1", kind="GOOD_CONDUCT", status="AVAILABLE_ON_ECITIZEN")
    _post(client, key, [update | {"centre": ""}])
    assert "Download it on eCitizen" in _notices(db_session)[0].body


@pytest.mark.parametrize("kind", ["ID_CARD", "BIRTH_CERTIFICATE", "PASSPORT"])
def test_only_good_conduct_notifies_when_available_on_ecitizen(client, key, db_session, kind):
    update = _update(reference="HK-X-1", kind=kind, status="AVAILABLE_ON_ECITIZEN")
    result = _post(client, key, [update | {"centre": ""}])
    assert result["accepted"] == 1 and _notices(db_session) == []


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


def test_a_key_is_stamped_at_most_once_a_minute_outside_the_batch(client, key, db_session):
    _post(client, key, [_update()])
    first = db_session.scalars(select(AgencyKey.last_used_at)).one()
    _post(client, key, [_update(reference="HK-ID-2")])
    db_session.expire_all()
    assert db_session.scalars(select(AgencyKey.last_used_at)).one() == first
    db_session.execute(update(AgencyKey).values(last_used_at=first - timedelta(minutes=2)))
    db_session.commit()
    _post(client, key, [_update(reference="HK-ID-3")])
    db_session.expire_all()
    assert db_session.scalars(select(AgencyKey.last_used_at)).one() > first


def test_authenticating_leaves_no_transaction_open(app, key):
    with app.extensions["huduma"].session_factory() as session:
        assert authenticate(session, key) is not None
        assert not session.in_transaction()


BAD_ITEMS = [
    ("not an object", "each update is a JSON object"),
    (None, "each update is a JSON object"),
    ([1, 2], "each update is a JSON object"),
    (_update(changed_at="0001-01-01T00:00:00+01:00"), "changed_at"),
    (_update(changed_at="9999-12-31T23:59:59-01:00"), "changed_at"),
    (_update(changed_at=123), "changed_at"),
    (_update(reference="HK-ID-\x001"), "reference"),
    (_update(centre="NAK\x00URU"), "centre"),
    (_update(phone="0700\x00000021"), "phone"),
    (_update(status="READY\x00"), "status"),
    (_update(reference=123), "reference must be a string"),
    (_update(phone=["0700000021"]), "phone must be a string"),
    (_update(kind={"a": 1}), "kind must be a string"),
    (_update(centre=5), "centre must be a string"),
    (_update(id_number=True), "id_number"),
    (_update(id_number="12ab"), "ID number"),
    (_update(reference="A" * 100_000), "reference"),
    (_update(phone="7" * 100_000), "phone"),
    (_update(reference="HK ID <script>"), "reference"),
]


@pytest.mark.parametrize(("item", "reason"), BAD_ITEMS)
def test_a_bad_item_is_reported_by_index_and_the_good_one_kept(client, key, db_session, item,
                                                                reason):  # fmt: skip
    result = _post(client, key, [item, _update()])
    assert (result["accepted"], result["rejected"]) == (1, 1)
    assert result["errors"][0]["index"] == 0 and reason in result["errors"][0]["reason"]
    assert len(_notices(db_session)) == 1


BAD_BODIES = [
    ("not json {", "application/json", 400),
    ("[1, 2]", "application/json", 400),
    ('{"updates": 5}', "application/json", 400),
    ('{"updates": []}', "application/json", 400),
    ('{"updates": [{"reference": "HK-ID-1"}]}', "text/plain", 400),
    ("\x00\x01\x02", "application/json", 400),
    ("[" * 100_000 + "]" * 100_000, "application/json", 400),
    ('{"updates": ' + "[" * 50_000 + "]" * 50_000 + "}", "application/json", 400),
    ('{"updates": ["' + "x" * (3 * 1024 * 1024) + '"]}', "application/json", 413),
]


@pytest.mark.parametrize(("body", "content_type", "status"), BAD_BODIES)
def test_a_bad_body_is_a_4xx_with_a_json_reason(client, key, body, content_type, status):
    headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type}
    response = client.post("/api/v1/documents/status", data=body, headers=headers)
    assert response.status_code == status and response.json["reason"]


def test_a_repeated_status_with_a_new_phone_moves_the_document_without_a_notice(
    client, key, db_session
):
    _post(client, key, [_update()])
    result = _post(client, key, [_update(phone="0700000022")])
    assert (result["accepted"], result["unchanged"]) == (1, 0)
    owner = db_session.scalars(select(Document.owner_phone)).one()
    assert owner == "+254700000022" and len(_notices(db_session)) == 1


@pytest.mark.committed  # batches race in threads
def test_overlapping_batches_at_once_never_fail_and_notify_once(app, key, db_session):
    refs = [f"HK-ID-{n:04d}" for n in range(150)]
    answers: list[int] = []

    def post(order: list[str]) -> None:
        local = app.test_client()
        for _ in range(3):
            body = {"updates": [_update(reference=r) for r in order]}
            response = local.post("/api/v1/documents/status", json=body,
                                  headers={"Authorization": f"Bearer {key}"})  # fmt: skip
            answers.append(response.status_code)

    threads = [threading.Thread(target=post, args=(o,)) for o in (refs, refs[::-1], refs[50:])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert answers == [200] * 9
    assert len(_notices(db_session)) == len(refs)


def test_csv_import_reports_bad_lines_by_number_and_keeps_good_ones(runner, centre, db_session,
                                                                     tmp_path):  # fmt: skip
    path = tmp_path / "updates.csv"
    path.write_bytes(
        b"reference,kind,status,phone,centre\n"
        b"HK-ID-1,ID_CARD,READY_FOR_COLLECTION,0700000021,NAKURU\n"
        b'"HK-ID-2\nX",ID_CARD,READY_FOR_COLLECTION,0700000022,NAKURU\n'
        b"HK-ID-3,ID_CARD,READY_FOR_COLLECTION,0700\x00000023,NAKURU\n"
        b"HK-ID-4,ID_CARD,READY_FOR_COLLECTION,0700000024,NAKURU,extra\n"
        b"HK-ID-\xff5,ID_CARD,READY_FOR_COLLECTION,0700000025,NAKURU\n"
        b"HK-ID-6,ID_CARD,READY_FOR_COLLECTION,0700000026,NAKURU\n"
    )
    result = runner.invoke(args=["documents", "import", str(path), "--agency", "NRB"])
    assert result.exit_code == 0, result.output
    assert "accepted 2, unchanged 0, rejected 4" in result.output
    for line in ("line 3:", "line 5:", "line 6:", "line 7:"):
        assert line in result.output
    refs = db_session.scalars(select(Document.reference).order_by(Document.reference)).all()
    assert refs == ["HK-ID-1", "HK-ID-6"]
