"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify

from ops import scrape
from ops.health import OK, readiness
from web.requests import runtime

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Answer as long as the process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Report whether the database and Redis answer; 503 if either does not."""
    checks = readiness(runtime())
    ready = all(value == OK for value in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics_view() -> Response:
    """Expose Prometheus metrics."""
    return Response(scrape.exposition(runtime()), mimetype=scrape.CONTENT_TYPE)
