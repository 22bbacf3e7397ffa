"""A phone-shaped USSD simulator that plays the real menus through the AT protocol.

It dials only training numbers (`SIMULATOR_PHONE_PREFIX`), so an agent can never book, cancel or
trigger an SMS for a real citizen; the session id is made here and bound to the agent in Redis.
"""

from __future__ import annotations

import json
from typing import Any, cast
from uuid import uuid4

from flask import Blueprint, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from identifiers.numbers import InvalidPhone, mask_phone, normalise_phone
from models import Role
from staff.access import html_errors, me, protect_forms, record, requires
from web.requests import commit, runtime

bp = Blueprint("staff_sim", __name__, url_prefix="/staff/simulator")
bp.before_request(protect_forms)
html_errors(bp)
USSD_PATH = "/ussd"
SIM_NETWORK = "99999"  # AT's sandbox network code: never a real operator
KEY = "staff:sim:{}"
MAX_HOPS = 60
MAX_INPUT = 80


class SimulatorError(ValueError):
    """The simulator refuses the request; the message says why."""


def training_phone(raw: str, prefix: str) -> str:
    """Return the E.164 form of `raw` if it is a training number, else refuse it."""
    try:
        phone = normalise_phone(raw)
    except InvalidPhone as exc:
        raise SimulatorError(str(exc)) from None
    if not prefix or not phone.startswith(prefix):
        shown = prefix or "(none configured)"
        raise SimulatorError(f"the simulator dials only training numbers starting {shown}")
    return phone


@bp.get("/")
@requires(Role.AGENT)
def page() -> str:
    """Show the phone."""
    settings = runtime().settings
    prefix = settings.simulator_phone_prefix
    return render_template(
        "staff/simulator.html",
        service_code=settings.ussd_service_codes[0],
        prefix=prefix,
        example="0" + prefix[4:].ljust(9, "1") if prefix.startswith("+254") else "",
    )


def _play(session_id: str, phone: str, inputs: list[str]) -> tuple[int, str]:
    """Post one hop to our own USSD callback, adding the secret token here, not in the browser."""
    settings = runtime().settings
    form = {
        "sessionId": session_id,
        "phoneNumber": phone,
        "serviceCode": settings.ussd_service_codes[0],
        "networkCode": SIM_NETWORK,
        "text": "*".join(inputs),
    }
    # Dispatch inside this process: the same WSGI stack AT reaches, with no network round trip.
    with current_app.test_client() as inner:
        token = {"token": settings.at_callback_token}
        answer = inner.post(USSD_PATH, data=form, query_string=token)
    return answer.status_code, answer.get_data(as_text=True)


def _save(session_id: str, state: dict[str, Any], text: str) -> None:
    store, key = runtime().redis, KEY.format(session_id)
    if text.startswith("END"):
        store.delete(key)
    else:
        store.set(key, json.dumps(state), ex=runtime().settings.ussd_session_ttl)


def _answer(session_id: str, status: int, text: str) -> Response:
    return jsonify(session=session_id, status=status, text=text, open=text.startswith("CON "))


@bp.post("/start")
@requires(Role.AGENT)
def start() -> tuple[Response, int] | Response:
    """Dial the service code from a training number: a new session, audited once."""
    data = request.get_json(silent=True) or {}
    try:
        phone = training_phone(str(data.get("phone", ""))[:20], _prefix())
    except SimulatorError as exc:
        return jsonify(error=str(exc)), 400
    session_id = f"sim-{uuid4().hex}"
    record("simulator_start", f"ussd:{session_id}", phone=mask_phone(phone))
    commit()
    state = {"staff": me().id, "phone": phone, "inputs": []}
    status, text = _play(session_id, phone, [])
    _save(session_id, state, text)
    return _answer(session_id, status, text)


@bp.post("/hop")
@requires(Role.AGENT)
def hop() -> tuple[Response, int] | Response:
    """Send the next input of a session this agent started."""
    data = request.get_json(silent=True) or {}
    session_id = str(data.get("session", ""))[:60]
    raw = (
        cast(str | None, runtime().redis.get(KEY.format(session_id)))
        if session_id.startswith("sim-")
        else None
    )
    state: dict[str, Any] = json.loads(raw) if raw else {}
    if state.get("staff") != me().id:
        return jsonify(error="this session has ended: dial again"), 400
    inputs: list[str] = state["inputs"]
    if len(inputs) >= MAX_HOPS:
        return jsonify(error="this session is too long: dial again"), 400
    inputs.append(str(data.get("input", ""))[:MAX_INPUT])
    status, text = _play(session_id, state["phone"], inputs)
    _save(session_id, state, text)
    return _answer(session_id, status, text)


def _prefix() -> str:
    return runtime().settings.simulator_phone_prefix
