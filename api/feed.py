"""POST /api/v1/documents/status: agencies push status changes, up to 1,000 at a time."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import RequestEntityTooLarge

from models import AgencyKey
from services.agency_keys import authenticate
from services.documents import MAX_BATCH, FeedBusy, apply_and_commit
from sms.templates import public_code
from web.requests import db, rollback, runtime, work

bp = Blueprint("feed", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)
# 1,000 updates of a few hundred bytes each, with room to spare.
MAX_BODY = 2 * 1024 * 1024


def _problem(status: int, reason: str) -> tuple[Response, int]:
    return jsonify(error="rejected", reason=reason), status


def _agency_key() -> AgencyKey | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 200:
        return None
    return authenticate(db(), token.strip())


def _updates() -> list[Any] | str:
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        return "the JSON is nested too deeply"
    if not isinstance(payload, dict) or not isinstance(payload.get("updates"), list):
        return 'send JSON {"updates": [...]}'
    updates: list[Any] = payload["updates"]
    if not updates:
        return "updates is empty"
    if len(updates) > MAX_BATCH:
        return f"at most {MAX_BATCH} updates per request"
    return updates


@bp.post("/documents/status")
def document_status() -> tuple[Response, int]:
    """Apply a batch of status updates and count what happened to each."""
    key = _agency_key()
    if key is None:
        return _problem(401, "a valid agency key is required: Authorization: Bearer <key>")
    agency_id = key.agency_id
    request.max_content_length = MAX_BODY
    try:
        updates = _updates()
    except RequestEntityTooLarge:
        return _problem(413, f"the body is larger than {MAX_BODY} bytes")
    if isinstance(updates, str):
        return _problem(400, updates)
    try:
        return jsonify(_apply(agency_id, updates)), 200
    except FeedBusy as exc:
        return _problem(503, str(exc))
    except DataError:
        # Validation should stop such values first; never answer a bad value with a 500.
        log.exception("feed batch holds a value the database refused")
        rollback()
        return _problem(400, "an update holds a value that cannot be stored")


def _apply(agency_id: int, updates: list[Any]) -> dict[str, Any]:
    settings = runtime().settings
    result = apply_and_commit(
        work(), updates, agency_id=agency_id, source="api",
        hash_key=settings.secret_key,
        default_language=settings.default_language, dial=public_code(settings),
    )  # fmt: skip
    return result.as_dict()
