"""The callbacks AT calls: POST /ussd for every hop, POST /ussd/events when a session ends."""

from __future__ import annotations

import hmac
import logging
from urllib.parse import parse_qsl

from flask import Blueprint, Response, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import ClientDisconnected

from ops.wiring import db, reader, services
from services.identity import keyed_hash, mask_phone
from services.languages import preferred
from ussd import hop as hops
from ussd.engine import N_
from ussd.events import record_event
from ussd.i18n import gettext_for
from ussd.protocol import BadHop, parse_hop, reply

bp = Blueprint("ussd", __name__)
log = logging.getLogger(__name__)
MAX_BODY = 16_384
BUSY = N_("Service busy. Please try again in a few minutes.")


def _authorised() -> bool:
    expected = services().settings.at_callback_token
    given = request.args.get("token", "")
    return not expected or hmac.compare_digest(given.encode(), expected.encode())


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
    if not _authorised():
        return _text("forbidden", 403)
    seen = {"lang": services().settings.default_language}
    form: dict[str, str] = {}
    phone = ""
    try:
        form = _form()
        hop = parse_hop(form)
        phone = hop.phone
        return _text(hops.serve(hop, services(), db(), seen, reader()))
    except BadHop:
        log.warning("ussd: unusable hop")
        return _text(
            reply(gettext_for(seen["lang"])(N_("Sorry, we could not read that.")), end=True)
        )
    except RedisError as exc:
        log.error("ussd: backend unavailable: %s", type(exc).__name__)
        seen["lang"] = _stored_language(phone) or seen["lang"]
    except SQLAlchemyError as exc:
        log.error("ussd: backend unavailable: %s", type(exc).__name__)
    except Exception:  # the edge: never let a caller see a 5xx
        log.exception("ussd: hop failed for %s", mask_phone(form.get("phoneNumber", "")))
    return _text(reply(gettext_for(seen["lang"])(BUSY), end=True))


def _stored_language(phone: str) -> str | None:
    """Return the language a phone chose, from the database (Redis is down), or None."""
    try:
        return preferred(reader(), phone)
    except SQLAlchemyError:
        return None


@bp.post("/ussd/events")
def events() -> Response:
    """Store how a session ended (for the drop-off funnel)."""
    if not _authorised():
        return _text("forbidden", 403)
    found = services()
    form = request.form
    if not form.get("sessionId") or not form.get("phoneNumber"):
        return _text("missing sessionId or phoneNumber", 400)
    phone_hash = keyed_hash(form["phoneNumber"], found.settings.secret_key)
    try:
        record_event(db(), found, form, phone_hash)
        db().commit()
    except (RedisError, SQLAlchemyError) as exc:
        log.error("ussd events: backend unavailable: %s", type(exc).__name__)
        return _text("unavailable", 503)
    return _text("OK")
