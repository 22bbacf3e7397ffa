"""Bulk messages: counting parts, audiences, maker-checker, fan-out, pause, cancel, export."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from jobs.broadcasts import fan_out
from models import AuditEvent, Broadcast, LanguagePreference, Message, OptOut, Role
from services.audiences import from_csv
from services.broadcasts import count_parts, fan_out_batch
from tests.staff.conftest import compose_csv, post

A, B, C = "+254712000001", "+254712000002", "+254712000003"


@pytest.mark.parametrize(
    ("text", "encoding", "parts"),
    [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        ("Asante ✓", "UCS-2", 1),
        ("ü" * 70, "GSM-7", 1),
        ("ł" * 70, "UCS-2", 1),
        ("ł" * 71, "UCS-2", 2),
    ],
)
def test_parts_follow_gsm7_and_ucs2_rules(text, encoding, parts):
    found = count_parts(text)
    assert (found.encoding, found.parts) == (encoding, parts)


def test_csv_audience_normalises_dedupes_and_lists_bad_rows():
    audience = from_csv("phone\n0712000001\n+254712000001\n712000002\nhello\n0201234567\n")
    assert audience.phones == [A, B]
    assert audience.duplicates == 1
    assert [row["row"] for row in audience.invalid] == ["5", "6"]


def test_parts_endpoint_warns_on_ucs2(as_role):
    answer = as_role(Role.SUPERVISOR).get("/staff/broadcasts/parts?text=Karibu “sana”")
    assert answer.json["encoding"] == "UCS-2"
    assert answer.json["ucs2_chars"] == ["“", "”"]


def _broadcast(app, broadcast_id=1):
    with app.extensions["huduma"].session_factory() as session:
        found = session.get(Broadcast, broadcast_id)
        session.expunge_all()
        return found


def _messages(app) -> list[Message]:
    with app.extensions["huduma"].session_factory() as session:
        return list(session.scalars(select(Message).order_by(Message.recipient)))


def test_small_send_goes_out_without_a_checker_in_each_language(app, as_role):
    with app.extensions["huduma"].session_factory.begin() as session:
        session.add(LanguagePreference(phone=B, language="sw"))
    client = as_role(Role.SUPERVISOR)
    assert compose_csv(client, ["0712000001", "0712000002"]).status_code == 302
    assert post(client, "/staff/broadcasts/1/submit").status_code == 302
    fan_out(1, app.extensions["huduma"])
    fan_out(1, app.extensions["huduma"])  # a replayed job adds nothing
    found = _messages(app)
    assert [(m.recipient, m.language, m.broadcast_id) for m in found] == [
        (A, "en", 1),
        (B, "sw", 1),
    ]
    assert found[1].body == "GPO itafungwa Ijumaa."


def test_large_send_needs_a_different_supervisor(app, as_role):
    maker = as_role(Role.SUPERVISOR, "maker")
    compose_csv(maker, ["0712000001", "0712000002", "0712000003"])
    post(maker, "/staff/broadcasts/1/submit")
    post(maker, "/staff/broadcasts/1/approve")
    assert _broadcast(app).status == "pending_approval"
    checker = as_role(Role.SUPERVISOR, "checker")
    post(checker, "/staff/broadcasts/1/approve")
    assert _broadcast(app).status == "approved"
    assert _broadcast(app).approved_by_id != _broadcast(app).created_by_id


def test_nothing_is_queued_before_approval(app, as_role):
    maker = as_role(Role.SUPERVISOR)
    compose_csv(maker, ["0712000001", "0712000002", "0712000003"])
    post(maker, "/staff/broadcasts/1/submit")
    fan_out(1, app.extensions["huduma"])
    assert _messages(app) == []


def test_awareness_skips_opted_out_and_transactional_skips_blacklisted(app, as_role):
    with app.extensions["huduma"].session_factory.begin() as session:
        session.add_all(
            [
                OptOut(phone=A, reason="stop", source="sms"),
                OptOut(phone=B, reason="blacklisted", source="at"),
            ]
        )
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001", "0712000002", "0712000003"], "awareness")
    compose_csv(client, ["0712000001", "0712000002", "0712000003"], "transactional")
    assert _broadcast(app, 1).audience["phones"] == [C]
    assert _broadcast(app, 2).audience["phones"] == [A, C]
    assert {e["reason"] for e in _broadcast(app, 1).audience["excluded"]} == {
        "opted out",
        "blacklisted",
    }


def test_preview_shows_recipients_parts_and_cost(as_role):
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001", "0712000002", "bad"], "awareness")
    page = client.get("/staff/broadcasts/1").get_data(as_text=True)
    assert "2 (2 English, 0 Kiswahili)" in page
    assert "KES 1.60" in page
    assert "Reply STOP to opt out." in page
    assert "1 invalid rows" in page


def test_cancel_stops_unsent_messages(app, as_role):
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001", "0712000002"])
    post(client, "/staff/broadcasts/1/submit")
    fan_out(1, app.extensions["huduma"])
    post(client, "/staff/broadcasts/1/cancel")
    assert {m.status for m in _messages(app)} == {"cancelled"}
    assert client.get("/staff/broadcasts/1/progress").json["cancelled"] == 2


def test_paused_broadcast_fans_out_nothing_until_resumed(app, as_role):
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001", "0712000002"])
    post(client, "/staff/broadcasts/1/submit")
    post(client, "/staff/broadcasts/1/pause")
    fan_out(1, app.extensions["huduma"])
    assert _messages(app) == []
    post(client, "/staff/broadcasts/1/resume")
    fan_out(1, app.extensions["huduma"])
    assert len(_messages(app)) == 2


def test_export_is_csv_and_audited(app, as_role, db_session):
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001"])
    post(client, "/staff/broadcasts/1/submit")
    fan_out(1, app.extensions["huduma"])
    answer = client.get("/staff/broadcasts/1/export.csv")
    assert answer.data.decode().splitlines()[1].startswith(f"{A},en,pending")
    actions = db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-4:] == ["login", "compose", "send", "export"]


def test_scheduled_send_waits_for_its_time(app, as_role):
    client = as_role(Role.SUPERVISOR)
    upload = (io.BytesIO(b"0712000001\n"), "one.csv")
    post(client, "/staff/broadcasts/", title="Later", body_en="Hi", body_sw="Habari",
         message_class="transactional", audience="csv", phones=upload,
         scheduled_for="2030-01-06T09:00")  # fmt: skip
    post(client, "/staff/broadcasts/1/submit")
    assert fan_out(1, app.extensions["huduma"]) == 0
    assert _messages(app) == []
    assert _broadcast(app).scheduled_for == datetime(2030, 1, 6, 6, tzinfo=UTC)


def test_awareness_rows_leave_the_opt_out_line_to_the_sender(app, as_role):
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001"], "awareness")
    post(client, "/staff/broadcasts/1/submit")
    with app.extensions["huduma"].session_factory.begin() as session:
        fan_out_batch(session, 1, start=0, size=10, default_language="en")
    assert [(m.body, m.message_class) for m in _messages(app)] == [
        ("GPO closes on Friday.", "awareness")
    ]
