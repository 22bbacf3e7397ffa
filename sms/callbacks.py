"""AT's SMS callbacks: delivery reports, inbound SMS and opt-outs, each behind the token."""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, abort, jsonify, request

from ops.wiring import db, services
from services.identity import InvalidPhone, mask_phone, normalise_phone
from sms import optouts
from sms.keywords import record_inbound, respond
from sms.reports import receive_report

bp = Blueprint("sms_callbacks", __name__, url_prefix="/sms")
log = logging.getLogger(__name__)


@bp.before_request
def _check_token() -> None:
    expected = services().settings.at_callback_token
    given = request.args.get("token", "")
    # An unset token refuses everything rather than accepting anyone.
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        log.warning("sms callback %s refused: bad token", request.path)
        abort(403)


@bp.post("/delivery-reports")
def delivery_reports() -> Response:
    """Update a message from AT's delivery report; replays change nothing."""
    found = services()
    outcome = receive_report(db(), found.redis, request.form, found.settings)
    db().commit()
    return jsonify(result=outcome)


@bp.post("/inbound")
def inbound() -> Response:
    """Store an inbound SMS once per AT id, act on its keyword and queue the reply."""
    session = db()
    message = record_inbound(session, request.form)
    if message is None:
        return jsonify(result="duplicate or ignored")
    found = services()
    action = respond(session, found.redis, found.settings, message)
    session.commit()
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
    db().commit()
    return jsonify(result="opted out")
