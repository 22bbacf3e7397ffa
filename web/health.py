"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from ops import metrics
from web.requests import runtime

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Answer as long as the process is up."""
    return jsonify(status="ok")


def _check_database() -> str:
    try:
        with runtime().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return f"down: {type(exc).__name__}"
    return "ok"


def _check_redis() -> str:
    try:
        runtime().redis.ping()
    except Exception as exc:
        log.warning("readiness: redis unreachable: %s", type(exc).__name__)
        return f"down: {type(exc).__name__}"
    return "ok"


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Report whether the database and Redis answer; 503 if either does not."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics_view() -> Response:
    """Expose Prometheus metrics."""
    found = runtime()
    body = metrics.exposition(found.queues, found.settings.metrics_dir)
    return Response(body, mimetype=metrics.CONTENT_TYPE)
