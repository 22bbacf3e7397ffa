"""Inbound SMS: store each once, and read its keyword (English or Kiswahili) and argument.

The words are here, in KEYWORDS (STATUS/HALI, STOP/ACHA, START/ANZA, HELP/MSAADA, DATA); what
each action answers is in menus/keywords.py (ACTIONS).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from identifiers.numbers import InvalidPhone, normalise_phone
from models import InboundMessage
from models.work import Work

KEYWORDS = {
    "STATUS": ("status", "en"), "HALI": ("status", "sw"),
    "STOP": ("stop", "en"), "ACHA": ("stop", "sw"), "STOPALL": ("stop", "en"),
    "START": ("start", None), "ANZA": ("start", "sw"),
    "HELP": ("help", "en"), "MSAADA": ("help", "sw"),
    "DATA": ("data", None), "PRIVACY": ("data", "en"), "FARAGHA": ("data", "sw"),
}  # fmt: skip
# A check that runs before the keywords (a visit's 1-5 rating reply); the app installs it here.
REPLY_HOOK = "huduma.sms_reply_hook"
ReplyHook = Callable[[Work, str, str], bool]


@dataclass(frozen=True, slots=True)
class Parsed:
    """The keyword of an inbound text, its argument and the language it was written in."""

    action: str
    argument: str
    language: str | None
    keyword: str | None


def parse(text: str) -> Parsed:
    """Read the first word as a keyword; anything unknown is 'other'."""
    words = text.strip().split(None, 1)
    first = words[0].upper().strip(".!,") if words else ""
    argument = words[1].strip() if len(words) > 1 else ""
    if first in KEYWORDS:
        action, language = KEYWORDS[first]
        return Parsed(action, argument, language, first)
    return Parsed("other", text.strip(), None, None)


def record_inbound(session: Session, form: Mapping[str, str]) -> InboundMessage | None:
    """Store an inbound SMS once per AT id; None for a replay or a bad sender."""
    at_id = (form.get("id") or "").replace("\x00", "").strip()[:80]
    try:
        phone = normalise_phone(form.get("from", ""))
    except InvalidPhone:
        return None
    if not at_id or session.scalar(select(InboundMessage.id).where(InboundMessage.at_id == at_id)):
        return None
    clean = {k: (form.get(k) or "").replace("\x00", "") for k in ("to", "text", "linkId",
                                                                  "networkCode")}  # fmt: skip
    inbound = InboundMessage(at_id=at_id, phone=phone, to=clean["to"][:20],
                             text=clean["text"][:1000], link_id=clean["linkId"][:80] or None,
                             network_code=clean["networkCode"][:8] or None)  # fmt: skip
    try:
        with session.begin_nested():
            session.add(inbound)
    except IntegrityError:
        return None  # AT's resend raced the first delivery
    return inbound
