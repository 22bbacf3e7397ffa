"""JSON error answers for API clients; USSD views handle their own failures."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _http_error(exc: HTTPException) -> tuple[Response, int]:
    return jsonify(error=exc.name, reason=exc.description), exc.code or 500


def _unexpected(exc: Exception) -> tuple[Response, int]:
    log.exception("unhandled error")
    return jsonify(error="Internal Server Error", reason="unexpected error; it was logged"), 500


def register(app: Flask) -> None:
    """Answer errors as JSON with a reason."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
