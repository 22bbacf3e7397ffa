"""AT callbacks: token required, delivery reports and inbound SMS idempotent, keywords answered."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from models import Document, InboundMessage, Message, OptOut, utcnow
from sms.delivery import deliver
from tests.conftest import TEST_TOKEN
from tests.sms.conftest import add_message, message

PHONE = "+254700000005"


def _inbound(client, text: str, at_id: str = "in-1", phone: str = PHONE):
    form = {"from": phone, "to": "1919", "text": text, "id": at_id, "date": "2026-11-23"}
    return client.post(f"/sms/inbound?token={TEST_TOKEN}", data=form)


def _replies(db_session) -> list[str]:
    return list(db_session.scalars(select(Message.body).where(Message.kind == "reply")))


@pytest.mark.parametrize("path", ["/sms/delivery-reports", "/sms/inbound", "/sms/opt-outs"])
@pytest.mark.parametrize("query", ["", "?token=wrong"])
def test_callbacks_refuse_a_missing_or_wrong_token(client, path, query):
    assert client.post(path + query, data={"id": "x"}).status_code == 403


def test_delivery_report_replayed_has_one_effect(app, client, db_session):
    message_id = add_message(app)
    db_session.execute(update(Message).values(status="sent", at_message_id="ATXid_7"))
    db_session.commit()
    form = {"id": "ATXid_7", "status": "Success", "phoneNumber": "+254700000001"}
    answers = [client.post(f"/sms/delivery-reports?token={TEST_TOKEN}", data=form) for _ in "ab"]
    assert [a.json["result"] for a in answers] == ["delivered", "ignored"]
    assert message(app, message_id).status == "delivered"


def test_failed_report_keeps_the_reason(app, client, db_session):
    message_id = add_message(app)
    db_session.execute(update(Message).values(status="sent", at_message_id="ATXid_8"))
    db_session.commit()
    form = {"id": "ATXid_8", "status": "Failed", "failureReason": "UserIsInactive"}
    client.post(f"/sms/delivery-reports?token={TEST_TOKEN}", data=form)
    assert message(app, message_id).failure_reason == "UserIsInactive"


def test_report_for_an_unknown_id_is_answered_200(client):
    response = client.post(f"/sms/delivery-reports?token={TEST_TOKEN}", data={"id": "nope"})
    assert response.status_code == 200 and response.json["result"] == "unknown"


def test_a_report_that_beats_the_sender_is_applied_once_the_id_is_recorded(app, client, db_session):
    from sms.reports import apply_parked

    found = app.extensions["huduma"]
    message_id = add_message(app)
    form = {"id": "ATXid_early", "status": "Success", "phoneNumber": "+254700000001"}
    early = client.post(f"/sms/delivery-reports?token={TEST_TOKEN}", data=form)
    assert early.json["result"] == "unknown"
    db_session.execute(update(Message).values(status="sent", at_message_id="ATXid_early"))
    assert apply_parked(db_session, found.redis, ["ATXid_early"], found.settings) == 1
    db_session.commit()
    assert message(app, message_id).status == "delivered"
    assert apply_parked(db_session, found.redis, ["ATXid_early"], found.settings) == 0


def test_inbound_replayed_is_stored_and_answered_once(client, db_session):
    for _ in range(3):
        assert _inbound(client, "HELP").status_code == 200
    assert db_session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    assert len(_replies(db_session)) == 1


def test_hali_answers_the_status_in_kiswahili(client, db_session):
    db_session.add(
        Document(
            reference="HK-ID-482913",
            kind="ID_CARD",
            owner_phone=PHONE,
            status="PROCESSING",
            status_changed_at=utcnow(),
        )
    )
    db_session.commit()
    _inbound(client, "hali hk-id-482913")
    [reply] = _replies(db_session)
    assert reply.startswith("HUDUMA: Ombi ***913: linashughulikiwa. Tutakutumia SMS likiwa tayari.")


def test_stop_then_start_opts_out_and_back_in(client, db_session):
    _inbound(client, "ACHA", "in-1")
    assert db_session.scalars(select(OptOut.reason)).all() == ["stop"]
    _inbound(client, "START", "in-2")
    assert db_session.scalars(select(OptOut.reason)).all() == []


def test_unknown_text_gets_help_and_is_kept_unmatched_for_staff(client, db_session):
    _inbound(client, "my ID is lost, what do I do")
    inbound = db_session.scalars(select(InboundMessage)).one()
    assert inbound.matched is False and "STATUS HK-ID-123456" in _replies(db_session)[0]


def test_replies_are_rate_limited_per_number(app, client, db_session):
    limit = app.extensions["huduma"].settings.sms_replies_per_hour
    for n in range(limit + 3):
        _inbound(client, "HELP", f"in-{n}")
    assert len(_replies(db_session)) == limit


def test_at_opt_out_callback_suppresses_awareness(client, db_session):
    form = {"senderId": "HUDUMA", "phoneNumber": PHONE}
    assert client.post(f"/sms/opt-outs?token={TEST_TOKEN}", data=form).status_code == 200
    assert db_session.scalars(select(OptOut.reason)).one() == "at_optout"


def test_failed_report_for_a_blacklisted_user_suppresses_the_number(app, client, db_session):
    add_message(app)
    db_session.execute(update(Message).values(status="sent", at_message_id="ATXid_9"))
    db_session.commit()
    form = {"id": "ATXid_9", "status": "Failed", "failureReason": "UserInBlackList"}
    for _ in range(2):  # a replay, too, leaves one entry
        client.post(f"/sms/delivery-reports?token={TEST_TOKEN}", data=form)
    assert [(o.phone, o.reason) for o in db_session.scalars(select(OptOut))] == [
        ("+254700000001", "blacklist")
    ]


def test_other_failure_reasons_suppress_nothing(app, client, db_session):
    add_message(app)
    db_session.execute(update(Message).values(status="sent", at_message_id="ATXid_10"))
    db_session.commit()
    form = {"id": "ATXid_10", "status": "Failed", "failureReason": "UserIsInactive"}
    client.post(f"/sms/delivery-reports?token={TEST_TOKEN}", data=form)
    assert db_session.scalars(select(OptOut)).all() == []


@pytest.mark.parametrize(
    ("text", "language", "start"),
    [
        ("STATUS HK-ID-482913", "en", "HUDUMA: Application ***913: being processed."),
        ("hali HK-ID-482913", "sw", "HUDUMA: Ombi ***913: linashughulikiwa."),
        ("HELP", "en", "HUDUMA: Send STATUS and a reference (STATUS HK-ID-123456)"),
        ("msaada", "sw", "HUDUMA: Tuma HALI na nambari ya ombi (HALI HK-ID-123456)"),
    ],
)  # fmt: skip
@pytest.mark.committed  # delivery pins a connection of its own
def test_keywords_are_answered_in_the_language_they_were_written_in(
    app, client, db_session, delivery, fake_at, text, language, start
):
    db_session.add(Document(reference="HK-ID-482913", kind="ID_CARD", owner_phone=PHONE,
                            status="PROCESSING", status_changed_at=utcnow()))  # fmt: skip
    db_session.commit()
    _inbound(client, text)
    reply = db_session.scalars(select(Message).where(Message.kind == "reply")).one()
    assert reply.language == language and reply.body.startswith(start)
    deliver(delivery, [reply.id])
    assert fake_at.app.state.inbox[PHONE][0][1] == reply.body  # sent through the real SDK


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/sms/delivery-reports", {"id": "ATXid_\x00", "status": "Success"}),
        ("/sms/delivery-reports", {"id": "x" * 10_000, "status": "Failed"}),
        ("/sms/inbound", {"from": PHONE, "text": "HELP\x00", "id": "in-\x00", "linkId": "l" * 500}),
        ("/sms/inbound", {"from": "not a phone", "text": "x", "id": "in-9"}),
        ("/sms/opt-outs", {"phoneNumber": "\x00"}),
    ],
)
def test_odd_callback_input_is_answered_200(client, path, form):
    assert client.post(f"{path}?token={TEST_TOKEN}", data=form).status_code == 200
