"""The callbacks AT calls: POST /ussd for every hop, POST /ussd/events when a session ends."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, current_app, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ClientDisconnected

from identifiers.numbers import keyed_hash
from ops.metrics import HopOutcome, count_hop
from ussd.events import BadEvent, parse_event, record_event
from ussd.hop import Content, answer
from ussd.protocol import BadHop, parse_hop, reply
from web.auth import callback_authorised
from web.requests import commit, db, reader, runtime, work
from words.i18n import N_, say

bp = Blueprint("ussd", __name__)
log = logging.getLogger(__name__)
EXTENSION = "ussd"
MAX_BODY = 16_384
UNREADABLE = N_("Sorry, we could not read that.")


def install(app: Flask, content: Content[Any]) -> None:
    """Serve `content` (the app's menus) on the USSD callbacks."""
    app.extensions[EXTENSION] = content
    app.register_blueprint(bp)


def _form() -> dict[str, str]:
    """Return AT's form fields (a urlencoded body is parsed directly: it is the hot path)."""
    if request.mimetype != "application/x-www-form-urlencoded":
        return request.form.to_dict()
    try:
        raw = request.stream.read(MAX_BODY + 1)
    except ClientDisconnected as exc:  # a body shorter than its Content-Length
        raise BadHop("truncated body") from exc
    if len(raw) > MAX_BODY:
        raise BadHop("body too large")
    body = raw.decode("utf-8", "replace")
    try:
        return dict(parse_qsl(body, keep_blank_values=True, max_num_fields=20))
    except ValueError as exc:  # more fields than any hop has
        raise BadHop(str(exc)) from exc


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status, mimetype="text/plain")


@bp.post("/ussd")
def callback() -> Response:
    """Answer one hop; any failure becomes a polite END (AT ends the session on non-200)."""
    if not callback_authorised():
        return _text("forbidden", 403)
    found = runtime()
    try:
        hop = parse_hop(_form())
    except BadHop:
        log.warning("ussd: unusable hop")
        count_hop(HopOutcome.UNREADABLE)
        return _text(reply(say(found.settings.default_language, UNREADABLE), end=True))
    content: Content[Any] = current_app.extensions[EXTENSION]
    return _text(answer(hop, found, content, work(), reader).body)


@bp.post("/ussd/events")
def events() -> Response:
    """Store how a session ended (for the drop-off funnel)."""
    if not callback_authorised():
        return _text("forbidden", 403)
    found = runtime()
    form = request.form
    try:
        event = parse_event(form)
    except BadEvent as bad:
        log.warning("ussd events: refused: %s", bad)
        return _text(f"bad event: {bad}", 400)
    phone_hash = keyed_hash(form["phoneNumber"].strip(), found.settings.secret_key)
    try:
        record_event(db(), found, event, phone_hash)
        commit()
    except (RedisError, SQLAlchemyError) as exc:
        log.error("ussd events: backend unavailable: %s", type(exc).__name__)
        return _text("unavailable", 503)
    return _text("OK")
