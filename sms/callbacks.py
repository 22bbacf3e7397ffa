"""AT's SMS callbacks: delivery reports, inbound SMS and opt-outs, each behind the token."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from redis import Redis

from config import Settings
from identifiers.numbers import InvalidPhone, mask_phone, normalise_phone
from models import InboundMessage
from models.work import Work
from sms import optouts
from sms.keywords import REPLY_HOOK, ReplyHook, record_inbound
from sms.reports import receive_report
from web.auth import callback_authorised
from web.requests import commit, db, runtime, work

bp = Blueprint("sms_callbacks", __name__, url_prefix="/sms")
log = logging.getLogger(__name__)
KEYWORDS = "sms_keywords"
# Acts on an inbound SMS (after the reply hook, if any) and queues the reply; returns the action.
Responder = Callable[[Work, Redis, Settings, InboundMessage, ReplyHook | None], str]


def install(app: Flask, responder: Responder) -> None:
    """Serve the SMS callbacks, answering inbound keywords with `responder` (the app's)."""
    app.extensions[KEYWORDS] = responder
    app.register_blueprint(bp)


@bp.before_request
def _check_token() -> None:
    if not callback_authorised():
        abort(403)


@bp.post("/delivery-reports")
def delivery_reports() -> Response:
    """Update a message from AT's delivery report; replays change nothing."""
    found = runtime()
    outcome = receive_report(db(), found.redis, request.form, found.settings)
    commit()
    return jsonify(result=outcome)


@bp.post("/inbound")
def inbound() -> Response:
    """Store an inbound SMS once per AT id, act on its keyword and queue the reply."""
    message = record_inbound(db(), request.form)
    if message is None:
        return jsonify(result="duplicate or ignored")
    found, respond = runtime(), current_app.extensions[KEYWORDS]
    hook = current_app.extensions.get(REPLY_HOOK)
    action = respond(work(), found.redis, found.settings, message, hook)
    commit()
    log.info("inbound sms from %s: %s", mask_phone(message.phone), action)
    return jsonify(result=action)


@bp.post("/opt-outs")
def opt_outs() -> Response:
    """Add a number AT reports as opted out of our bulk sender id."""
    try:
        phone = normalise_phone(request.form.get("phoneNumber", ""))
    except InvalidPhone:
        return jsonify(result="ignored: not a Kenyan mobile number")
    optouts.add(db(), phone, optouts.AT_OPTOUT, "at")
    commit()
    return jsonify(result="opted out")
