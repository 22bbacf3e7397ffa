"""Liveness, readiness (with real outages) and metrics."""

from __future__ import annotations

import pytest

from app import create_app


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


@pytest.mark.committed  # readiness checks on a connection of its own
def test_readyz_is_ready_when_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_reports_a_stopped_redis(settings, stoppable_redis):
    url, process = stoppable_redis
    app = create_app(settings.with_overrides(redis_url=url))
    assert app.test_client().get("/readyz").status_code == 200
    process.terminate()
    process.wait(timeout=10)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"].startswith("down")
    assert response.json["checks"]["database"] == "ok"


def test_readyz_reports_an_unreachable_postgres(settings):
    app = create_app(
        settings.with_overrides(database_url="postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("down")
    assert response.json["checks"]["redis"] == "ok"


def test_readyz_reports_an_unopenable_sqlite(settings, tmp_path):
    missing = tmp_path / "no-such-dir" / "x.db"
    app = create_app(settings.with_overrides(database_url=f"sqlite:///{missing}"))
    assert app.test_client().get("/readyz").status_code == 503


def test_metrics_show_request_latency_and_queue_depths(client):
    client.get("/healthz")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'huduma_http_request_seconds_count{endpoint="health.healthz"' in body
    assert 'huduma_queue_depth{queue="transactional"}' in body


def test_unknown_paths_answer_json_with_a_reason(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.json["error"] == "Not Found"
