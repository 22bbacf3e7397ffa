"""Africa's Talking's USSD wire protocol: the form of a hop in, `CON`/`END` text out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ussd.engine import BUDGET, fit

MAX_FIELD = 200
PHONE = re.compile(r"\+?[0-9]{6,15}")
MAX_TEXT = 2000


class BadHop(ValueError):
    """The form lacks what a hop needs."""


@dataclass(frozen=True, slots=True)
class Hop:
    """One callback from AT."""

    session_id: str
    service_code: str
    phone: str
    network_code: str
    text: str


def parse_hop(form: Mapping[str, str]) -> Hop:
    """Read a hop from AT's form fields; raise BadHop when it cannot be served."""
    session_id = (form.get("sessionId") or "").strip()
    phone = (form.get("phoneNumber") or "").strip()
    if not session_id or len(session_id) > MAX_FIELD or not PHONE.fullmatch(phone):
        raise BadHop("a sessionId and an E.164 phoneNumber are required")
    if phone[0] not in "+0":
        # AT sends E.164; a "+" sent unencoded in a form body arrives as a space (stripped above).
        # Receipts go to this number, and the SDK refuses one without its "+".
        phone = "+" + phone
    return Hop(
        session_id=session_id,
        service_code=(form.get("serviceCode") or "")[:MAX_FIELD],
        phone=phone,
        network_code=(form.get("networkCode") or "")[:MAX_FIELD],
        text=(form.get("text") or "")[:MAX_TEXT],
    )


def new_input(text: str, previous: str) -> str | None:
    """Return what the caller typed since the previous hop; None if `text` does not extend it."""
    if previous == "":
        return text or None
    if text.startswith(previous + "*"):
        return text[len(previous) + 1 :]
    return None


def reply(text: str, *, end: bool) -> str:
    """Return the response body: the prefix and at most BUDGET characters."""
    return ("END " if end else "CON ") + fit(text)[:BUDGET]
