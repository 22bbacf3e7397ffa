"""The waiting-hall display: the tickets being called, for a screen on the wall.

The screen logs nobody in: its link carries a key made from the centre and the deployment's
secret, and it shows ticket numbers and counters only. The page polls a small JSON board.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from models import Centre, utcnow
from services import queueing
from services.visits import local_day
from staff.access import html_errors
from web.requests import db, runtime

bp = Blueprint("staff_display", __name__, url_prefix="/staff/display")
html_errors(bp)
POLL_MS = 2000


def display_key(centre_id: int) -> str:
    """The key of a centre's display link."""
    secret = runtime().settings.secret_key.encode()
    return hmac.new(secret, f"display:{centre_id}".encode(), hashlib.sha256).hexdigest()[:24]


def display_url(centre_id: int) -> str:
    """The link a centre's wall screen opens."""
    return url_for("staff_display.page", centre_id=centre_id, key=display_key(centre_id))


def _centre(centre_id: int) -> Centre:
    given = request.args.get("key", "")
    if not hmac.compare_digest(given.encode(), display_key(centre_id).encode()):
        abort(404)
    return db().get(Centre, centre_id) or abort(404)


def _board(centre: Centre) -> dict[str, object]:
    tz = runtime().settings.tz
    now = utcnow()
    day = local_day(now, tz)
    called = queueing.board(db(), centre.id, day)
    return {
        "called": [{"ticket": c.ticket, "counter": c.counter, "service": c.service}
                   for c in called],
        "waiting": queueing.count_waiting(db(), centre.id, day),
        "time": f"{now.astimezone(tz):%H:%M}",
    }  # fmt: skip


@bp.get("/<int:centre_id>")
def page(centre_id: int) -> str:
    """The display page; it keeps itself up to date."""
    centre = _centre(centre_id)
    board_url = url_for("staff_display.board", centre_id=centre_id, key=display_key(centre_id))
    return render_template("staff/display.html", centre=centre, board=_board(centre),
                           board_url=board_url, poll_ms=POLL_MS)  # fmt: skip


@bp.get("/<int:centre_id>/board")
def board(centre_id: int) -> Response:
    """The tickets being called and how many wait, as JSON for the display page."""
    return jsonify(_board(_centre(centre_id)))
