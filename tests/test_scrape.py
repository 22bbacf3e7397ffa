"""What /metrics reads at scrape time: queue depths and the oldest due SMS's age."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from models import utcnow
from models.messaging import Message, MessageClass, MessageStatus


def _samples(body: str) -> dict[tuple[str, str], float]:
    return {(s.name, s.labels.get("class", s.labels.get("queue", ""))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}  # fmt: skip


def _message(n: int, status: str, kind: MessageClass, **times: object) -> Message:
    return Message(recipient="+254711000001", body="hello", kind="test", message_class=kind,
                   status=status, idempotency_key=f"scrape-{n}", **times)  # fmt: skip


def test_the_oldest_due_sms_age_is_read_from_the_database(client, db_session):
    now, T, A = utcnow(), MessageClass.TRANSACTIONAL, MessageClass.AWARENESS
    db_session.add_all([
        _message(1, MessageStatus.PENDING, T, created_at=now - timedelta(seconds=300)),
        _message(2, MessageStatus.QUEUED, T, next_attempt_at=now + timedelta(hours=1)),
        _message(3, MessageStatus.SENT, T, created_at=now - timedelta(days=1)),
        _message(4, MessageStatus.QUEUED, A, next_attempt_at=now - timedelta(seconds=60)),
        _message(5, MessageStatus.SENDING, A, next_attempt_at=now - timedelta(seconds=90)),
    ])  # fmt: skip
    db_session.commit()
    found = _samples(client.get("/metrics").get_data(as_text=True))
    assert 300 <= found["huduma_sms_queue_age_seconds", "transactional"] < 330
    assert 90 <= found["huduma_sms_queue_age_seconds", "awareness"] < 120
    assert (
        found["huduma_sms_due", "transactional"] == 1 and found["huduma_sms_due", "awareness"] == 2
    )


def test_an_empty_queue_is_zero_not_missing(client):
    found = _samples(client.get("/metrics").get_data(as_text=True))
    assert found["huduma_sms_queue_age_seconds", "transactional"] == 0
    assert found["huduma_queue_depth", "bulk"] == 0


def test_metrics_answer_without_the_sms_figures_while_the_database_is_down(settings):
    app = create_app(settings.with_overrides(database_url="postgresql+psycopg://x@127.0.0.1:1/x"))
    response = app.test_client().get("/metrics")
    again = app.test_client().get("/metrics").get_data(as_text=True)  # counted during the first
    app.extensions["huduma"].dispose()
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "huduma_queue_depth" in body
    assert "huduma_sms_queue_age_seconds{" not in body
    assert 'huduma_dependency_errors_total{dependency="database",kind="OperationalError"}' in again
