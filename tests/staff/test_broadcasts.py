"""Bulk messages: counting parts, audiences, maker-checker, fan-out, pause, cancel, export."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from identifiers.numbers import mask_phone
from jobs.broadcasts import fan_out, finish
from jobs.periodic import ensure_scheduled
from models import AuditEvent, Broadcast, LanguagePreference, Message, OptOut, Role
from ops.queues import DEFAULT
from services.audiences import from_csv
from services.broadcasts import BroadcastError, approve, count_parts, fan_out_batch
from sms import optouts
from sms.templates import with_opt_out
from staff.bulk import FormError, schedule_time
from tests.staff.conftest import compose_csv, csrf, post

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
    answer = as_role(Role.SUPERVISOR).get("/staff/broadcasts/parts?text=Karibu sana ✓")
    assert answer.json["encoding"] == "UCS-2"
    assert answer.json["ucs2_chars"] == ["✓"]


def _count(client, text: str, lang: str, message_class: str):
    query = {"text": text, "lang": lang, "class": message_class}
    return client.get("/staff/broadcasts/parts", query_string=query).json


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_the_counter_adds_the_opt_out_line_to_awareness_texts(as_role, lang):
    client, text = as_role(Role.SUPERVISOR), "a" * 150
    plain = _count(client, text, lang, "transactional")
    aware = _count(client, text, lang, "awareness")
    assert (plain["units"], plain["parts"], plain["opt_out"]) == (150, 1, False)
    expected = count_parts(with_opt_out(text, lang))
    assert (aware["units"], aware["parts"], aware["opt_out"]) == (expected.units, 2, True)


def test_the_counter_counts_typographic_quotes_as_they_will_be_sent(as_role):
    found = _count(as_role(Role.SUPERVISOR), "Karibu “sana” – asante", "en", "transactional")
    assert (found["encoding"], found["ucs2_chars"]) == ("GSM-7", [])


def test_the_counter_agrees_with_the_preview(as_role):
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001"], "awareness")
    page = client.get("/staff/broadcasts/1").get_data(as_text=True)
    for lang, body in (("en", "GPO closes on Friday."), ("sw", "GPO itafungwa Ijumaa.")):
        found = _count(client, body, lang, "awareness")
        assert f"{found['parts']} part(s), {found['encoding']}" in page
        assert with_opt_out(body, lang) in page


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
                OptOut(phone=B, reason=optouts.BLACKLIST, source="at"),
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
    assert answer.data.decode().splitlines()[1].startswith(f"'{mask_phone(A)},en,pending")
    actions = db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-5:] == ["login", "compose", "send", "send_start", "export"]


def _submit_scheduled(client) -> None:
    """Compose and submit broadcast 1 to one number, scheduled for a later date."""
    upload = (io.BytesIO(b"0712000001\n"), "one.csv")
    post(client, "/staff/broadcasts/", title="Later", body_en="Hi", body_sw="Habari",
         message_class="transactional", audience="csv", phones=upload,
         scheduled_for="2030-01-06T09:00")  # fmt: skip
    post(client, "/staff/broadcasts/1/submit")


def test_scheduled_send_waits_for_its_time(app, as_role):
    _submit_scheduled(as_role(Role.SUPERVISOR))
    assert fan_out(1, app.extensions["huduma"]) == 0
    assert _messages(app) == []
    assert _broadcast(app).scheduled_for == datetime(2030, 1, 6, 6, tzinfo=UTC)


def test_awareness_rows_leave_the_opt_out_line_to_the_sender(app, as_role):
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001"], "awareness")
    post(client, "/staff/broadcasts/1/submit")
    with app.extensions["huduma"].transaction() as work:
        fan_out_batch(work, 1, size=10, default_language="en")
    assert [(m.body, m.message_class) for m in _messages(app)] == [
        ("GPO closes on Friday.", "awareness")
    ]


def _deliver_all(app) -> None:
    with app.extensions["huduma"].session_factory.begin() as session:
        session.execute(update(Message).values(status="delivered"))


def _events(app, action: str) -> list[AuditEvent]:
    with app.extensions["huduma"].session_factory() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(session.scalars(query))


def test_the_worker_finishes_a_broadcast_nobody_watches(app, as_role):
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001", "0712000002"])
    post(client, "/staff/broadcasts/1/submit")
    fan_out(1, app.extensions["huduma"])
    assert finish(app.extensions["huduma"]) == 0  # messages still in flight
    _deliver_all(app)
    assert finish(app.extensions["huduma"]) == 1
    assert finish(app.extensions["huduma"]) == 0  # a second run (or the page) audits nothing
    assert (_broadcast(app).status, _broadcast(app).finished_at is not None) == ("done", True)
    done = _events(app, "send_done")
    assert [(e.actor, e.target, e.detail["delivered"]) for e in done] == [
        ("system", "broadcast:1", 2)
    ]


def test_the_finishing_task_is_scheduled_with_the_worker(app):
    found = app.extensions["huduma"]
    ensure_scheduled(found.queues, found.settings)
    scheduled = found.queues[DEFAULT].scheduled_job_registry.get_job_ids()
    assert any(job.startswith("periodic-bulk-") for job in scheduled)


def test_a_scheduled_start_by_the_worker_is_audited_as_the_system(app, as_role):
    _submit_scheduled(as_role(Role.SUPERVISOR))
    with app.extensions["huduma"].session_factory.begin() as session:  # the time has come
        session.get(Broadcast, 1).scheduled_for = datetime.now(UTC) - timedelta(minutes=1)
    fan_out(1, app.extensions["huduma"])
    fan_out(1, app.extensions["huduma"])  # a replay starts nothing new
    started = _events(app, "send_start")
    assert [(e.actor, e.actor_id, e.target) for e in started] == [("system", None, "broadcast:1")]
    assert started[0].detail["scheduled_for"] is not None


def test_approval_is_audited_as_a_send_by_the_checker(app, as_role):
    maker = as_role(Role.SUPERVISOR, "maker")
    compose_csv(maker, ["0712000001", "0712000002", "0712000003"])
    post(maker, "/staff/broadcasts/1/submit")
    post(as_role(Role.SUPERVISOR, "checker"), "/staff/broadcasts/1/approve")
    sends = _events(app, "send")
    assert [(e.actor, e.target, e.detail["recipients"]) for e in sends] == [
        ("checker", "broadcast:1", 3)
    ]


NAIROBI = ZoneInfo("Africa/Nairobi")
NOW = datetime(2029, 6, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2030-01-06T09:00", datetime(2030, 1, 6, 6, 0, tzinfo=UTC)),  # naive: Nairobi time
        ("2030-01-06T09:00+00:00", datetime(2030, 1, 6, 9, 0, tzinfo=UTC)),
        ("2030-01-06T09:00Z", datetime(2030, 1, 6, 9, 0, tzinfo=UTC)),
        ("2030-01-06T09:00+01:00", datetime(2030, 1, 6, 8, 0, tzinfo=UTC)),
        ("", None),
    ],
)
def test_a_send_time_is_local_unless_it_carries_an_offset(raw, expected):
    assert schedule_time(raw, NAIROBI, NOW) == expected


@pytest.mark.parametrize("raw", ["2029-06-01T11:59", "2020-01-01T09:00Z", "tomorrow", "2029-13-01"])
def test_a_past_or_unreadable_send_time_is_refused(raw):
    with pytest.raises(FormError):
        schedule_time(raw, NAIROBI, NOW)


def test_the_form_refuses_a_send_time_in_the_past(app, as_role):
    client = as_role(Role.SUPERVISOR)
    upload = (io.BytesIO(b"0712000001\n"), "one.csv")
    answer = post(client, "/staff/broadcasts/", title="Late", body_en="Hi", body_sw="Habari",
                  message_class="transactional", audience="csv", phones=upload,
                  scheduled_for="2020-01-06T09:00")  # fmt: skip
    assert answer.status_code == 400
    assert "is in the past" in answer.get_data(as_text=True)
    assert _broadcast(app) is None


def _pending_for_two_checkers(as_role):
    maker = as_role(Role.SUPERVISOR, "maker")
    compose_csv(maker, ["0712000001", "0712000002", "0712000003"])
    post(maker, "/staff/broadcasts/1/submit")
    return as_role(Role.SUPERVISOR, "checker1"), as_role(Role.SUPERVISOR, "checker2")


def test_an_approval_from_a_stale_page_is_refused(app, as_role):
    first, second = _pending_for_two_checkers(as_role)
    post(first, "/staff/broadcasts/1/approve")
    page = post(second, "/staff/broadcasts/1/approve").headers["Location"]
    assert "already approved" in second.get(page).get_data(as_text=True)
    assert [e.actor for e in _events(app, "send")] == ["checker1"]


@pytest.mark.committed  # two transactions at once
def test_a_stale_broadcast_object_cannot_be_approved_twice(app, as_role):
    _pending_for_two_checkers(as_role)
    factory = app.extensions["huduma"].session_factory
    with factory() as stale:
        broadcast = stale.get(Broadcast, 1)  # read while still pending
        with factory.begin() as other:
            approve(other, other.get(Broadcast, 1), approver_id=2, now=datetime.now(UTC))
        with pytest.raises(BroadcastError, match="already approved"):
            approve(stale, broadcast, approver_id=3, now=datetime.now(UTC))


@pytest.mark.committed  # approvals race in threads
def test_two_approvals_at_once_give_one_fan_out(app, as_role):
    clients = _pending_for_two_checkers(as_role)
    tokens = [csrf(c, "/staff/simulator/") for c in clients]
    start, answers = threading.Barrier(2), []

    def approve_now(client, token):
        start.wait(timeout=10)
        answers.append(client.post("/staff/broadcasts/1/approve", data={"csrf_token": token}))

    pairs = zip(clients, tokens, strict=True)
    threads = [threading.Thread(target=approve_now, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(a.status_code for a in answers) == [302, 302]
    assert len(_events(app, "send")) == 1
    jobs = app.extensions["huduma"].queues[DEFAULT].get_jobs()
    assert [job.func_name for job in jobs].count("jobs.broadcasts.fan_out") == 1


def test_a_double_submit_sends_once(app, as_role):
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001"])
    post(client, "/staff/broadcasts/1/submit")
    post(client, "/staff/broadcasts/1/submit")
    assert len(_events(app, "send")) == 1
