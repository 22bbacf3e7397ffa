"""Inbound SMS keywords, English and Kiswahili: STATUS/HALI, STOP/ACHA, START, HELP/MSAADA, DATA."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from redis import Redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config import Settings
from identifiers.numbers import InvalidPhone, normalise_phone
from models import Document, InboundMessage
from models.work import Work
from sms import optouts
from sms.languages import languages
from sms.outbox import queue_message
from sms.ratelimit import allow_reply
from sms.templates import kind_values, render, status_words
from sms.tickets import DATA_REQUEST, SMS_HELP, open_ticket

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


def respond(
    work: Work,
    redis: Redis,
    settings: Settings,
    inbound: InboundMessage,
    hook: ReplyHook | None = None,
) -> str:
    """Act on an inbound SMS and queue the reply (rate-limited per number); return the action."""
    session = work.session
    if hook is not None and hook(work, inbound.phone, inbound.text):
        inbound.keyword, inbound.matched = "RATING", True
        return "rating"
    parsed = parse(inbound.text)
    inbound.keyword, inbound.matched = parsed.keyword, parsed.action != "other"
    preferred = languages(session, [inbound.phone], settings.default_language)[inbound.phone]
    language = parsed.language or preferred
    body = reply_text(session, inbound.phone, parsed, language)
    if parsed.action in ("help", "other"):
        # Someone asking for help, or writing what no keyword matches, wants a person.
        summary = "Asked for help by SMS" if parsed.action == "help" else "SMS staff should read"
        open_ticket(session, SMS_HELP, inbound.phone, summary, inbound_id=inbound.id)
    if parsed.action == "data":  # Data Protection Act: a person calls back about access or erasure
        summary = "Asked by SMS about their personal data (a copy or erasure)"
        open_ticket(session, DATA_REQUEST, inbound.phone, summary, inbound_id=inbound.id)
    if allow_reply(redis, inbound.phone, settings.sms_replies_per_hour):
        queue_message(work, recipient=inbound.phone, body=body, kind="reply",
                      idempotency_key=f"reply:{inbound.at_id}", language=language)  # fmt: skip
    return parsed.action


def reply_text(session: Session, phone: str, parsed: Parsed, language: str) -> str:
    """Carry out the keyword and word the answer."""
    if parsed.action == "status":
        return status_reply(session, parsed.argument, language)
    if parsed.action == "stop":
        optouts.add(session, phone, optouts.STOP, "sms")
        return render("stopped", language)
    if parsed.action == "start":
        optouts.remove(session, phone)
        return render("started", language)
    if parsed.action == "data":
        return render("data_request", language)
    return render("help", language)


def status_reply(session: Session, reference: str, language: str) -> str:
    """The status of application `reference` in plain words."""
    ref = reference.split()[0].upper()[:40] if reference.strip() else ""
    document = session.scalars(select(Document).where(Document.reference == ref)).first()
    if document is None:
        return render("not_found", language, ref=ref or "?")
    kind = kind_values(document.kind, language)["kind"]
    status = status_words(document.status, language)
    return render("status", language, kind=kind, ref=ref, status=status)
