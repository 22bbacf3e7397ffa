"""Africa's Talking signs no callback: each must carry the deployment's secret token."""

from __future__ import annotations

import hmac
import logging

from flask import request

from web.requests import runtime

log = logging.getLogger(__name__)


def callback_authorised() -> bool:
    """True when the request carries AT_CALLBACK_TOKEN; an unset token refuses everyone."""
    expected = runtime().settings.at_callback_token
    given = request.args.get("token", "")
    if expected and hmac.compare_digest(given.encode(), expected.encode()):
        return True
    log.warning("callback %s refused: bad or missing token", request.path)
    return False
