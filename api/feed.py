"""POST /api/v1/documents/status: agencies push status changes, up to 1,000 at a time."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.exc import IntegrityError

from models import AgencyKey
from ops.wiring import db, services
from services.agency_keys import authenticate
from services.documents import MAX_BATCH, apply_updates

bp = Blueprint("feed", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)


def _problem(status: int, reason: str) -> tuple[Response, int]:
    return jsonify(error="rejected", reason=reason), status


def _agency_key() -> AgencyKey | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return authenticate(db(), token.strip())


def _updates() -> list[Any] | str:
    payload = request.get_json(silent=True)
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
    updates = _updates()
    if isinstance(updates, str):
        return _problem(400, updates)
    for attempt in (1, 2):
        try:
            return jsonify(_apply(agency_id, updates)), 200
        except IntegrityError:
            # Two batches created the same new document at once; the retry sees it.
            db().rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _apply(agency_id: int, updates: list[Any]) -> dict[str, Any]:
    settings = services().settings
    session = db()
    result = apply_updates(
        session, updates, agency_id=agency_id, source="api",
        hash_key=settings.secret_key or "development-only-key",
        default_language=settings.default_language,
    )  # fmt: skip
    session.commit()
    return result.as_dict()
