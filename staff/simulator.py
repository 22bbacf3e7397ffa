"""A phone-shaped USSD simulator that plays the real menus through the AT protocol."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from models import Role
from ops.wiring import services
from services.identity import InvalidPhone, normalise_phone
from staff.access import html_errors, protect_forms, requires

bp = Blueprint("staff_sim", __name__, url_prefix="/staff/simulator")
bp.before_request(protect_forms)
html_errors(bp)
USSD_PATH = "/ussd"
SIM_NETWORK = "99999"  # AT's sandbox network code: never a real operator


@bp.get("/")
@requires(Role.AGENT)
def page() -> str:
    """Show the phone."""
    settings = services().settings
    return render_template("staff/simulator.html", service_code=settings.ussd_service_codes[0])


@bp.post("/hop")
@requires(Role.AGENT)
def hop() -> tuple[Response, int] | Response:
    """Post one hop to our own USSD callback, adding the secret token here, not in the browser."""
    data = request.get_json(silent=True) or {}
    try:
        phone = normalise_phone(str(data.get("phone", "")))
    except InvalidPhone as exc:
        return jsonify(error=str(exc)), 400
    settings = services().settings
    form = {
        "sessionId": f"sim-{str(data.get('session', ''))[:60]}",
        "phoneNumber": phone,
        "serviceCode": settings.ussd_service_codes[0],
        "networkCode": SIM_NETWORK,
        "text": str(data.get("text", ""))[:200],
    }
    # Dispatch inside this process: the same WSGI stack AT reaches, with no network round trip.
    with current_app.test_client() as inner:
        token = {"token": settings.at_callback_token}
        answer = inner.post(USSD_PATH, data=form, query_string=token)
    return jsonify(status=answer.status_code, text=answer.get_data(as_text=True))
