"""Replies to inbound SMS keywords, worded as on USSD, with the same limits on status lookups.

The keywords themselves are read in sms/keywords.py (KEYWORDS); what each action does is in
ACTIONS below. The app registers `respond` with the /sms/inbound callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis

from config import Settings
from identifiers.codes import verification_code
from identifiers.numbers import keyed_hash
from identifiers.references import compact, document_keys
from menus.common import LOCKED, minutes
from models import InboundMessage
from models.work import Work
from services import status
from sms import optouts
from sms.keywords import Parsed, ReplyHook, parse
from sms.languages import languages
from sms.outbox import queue_message
from sms.ratelimit import allow_reply
from sms.templates import compose, public_code
from sms.tickets import DATA_REQUEST, SMS_HELP, open_ticket
from words.documents import kind_name, short_reference, status_text
from words.i18n import N_, say

HELP = N_("Send STATUS and a reference (STATUS HK-ID-123456) to check an application. "
          "STOP stops awareness SMS, START restarts them.")  # fmt: skip
STOPPED = N_("You will get no more awareness SMS. Send START to get them again.")
STARTED = N_("Awareness SMS are back on. Send STOP to stop them.")
NOT_FOUND = N_("No application {ref} found. Check the reference and try again, or call 1919.")
OPEN = status.Gate.OPEN
DATA_ASKED = N_("We got your request about your personal data. The contact centre will call you "
                "back on this number.")  # fmt: skip
SEVERAL = N_("{ref} is the number of: {kinds}. Send STATUS and the whole reference.")


@dataclass(slots=True)
class Inbound:
    """What a keyword's action works with."""

    work: Work
    redis: Redis
    settings: Settings
    message: InboundMessage
    parsed: Parsed
    lang: str

    @property
    def phone_key(self) -> str:
        """The phone as the status limits know it (the same key as on USSD)."""
        return keyed_hash(self.message.phone, self.settings.secret_key)


def respond(
    work: Work,
    redis: Redis,
    settings: Settings,
    message: InboundMessage,
    hook: ReplyHook | None = None,
) -> str:
    """Act on an inbound SMS and queue the reply (rate-limited per number); return the action.

    `hook` sees the text first (a visit's 1-5 rating): when it takes it, no keyword is read.
    """
    if hook is not None and hook(work, message.phone, message.text):
        message.keyword, message.matched = "RATING", True
        return "rating"
    parsed = parse(message.text)
    message.keyword, message.matched = parsed.keyword, parsed.action != "other"
    chosen = languages(work.session, [message.phone], settings.default_language)[message.phone]
    inbound = Inbound(work, redis, settings, message, parsed, parsed.language or chosen)
    body = ACTIONS[parsed.action](inbound)
    if parsed.action in ("help", "other"):
        # Someone asking for help, or writing what no keyword matches, wants a person.
        summary = "Asked for help by SMS" if parsed.action == "help" else "SMS staff should read"
        open_ticket(work.session, SMS_HELP, message.phone, summary, inbound_id=message.id)
    if allow_reply(redis, message.phone, settings.sms_replies_per_hour):
        _reply(inbound, body)
    return parsed.action


def _reply(inbound: Inbound, body: str) -> None:
    code, lang = verification_code(), inbound.lang
    queue_message(
        inbound.work, recipient=inbound.message.phone, kind="reply", language=lang,
        body=compose(lang, body, code, public_code(inbound.settings)), verification_code=code,
        idempotency_key=f"reply:{inbound.message.at_id}",
    )  # fmt: skip


def _status(inbound: Inbound) -> str:
    """The status of an application, as USSD tells it, under the same limits and lockout."""
    redis, key, settings = inbound.redis, inbound.phone_key, inbound.settings
    typed = inbound.parsed.argument
    if not document_keys(typed):
        return say(inbound.lang, HELP)
    if status.lockout(redis, key, settings) or status.gate(redis, key, settings) is not OPEN:
        return _locked(inbound)
    found = status.find(inbound.work.session, typed)
    if not found:
        if status.record_miss(redis, key, settings):
            return _locked(inbound)
        return say(inbound.lang, NOT_FOUND, ref=compact(typed)[:20])
    if len(found) > 1:
        kinds = ", ".join(kind_name(inbound.lang, d.kind) for d in found)
        return say(inbound.lang, SEVERAL, ref=compact(typed)[:20], kinds=kinds)
    one = found[0]
    return status_text(inbound.lang, one.kind, one.status, short_reference(one.reference),
                       one.centre)  # fmt: skip


def _locked(inbound: Inbound) -> str:
    wait = status.lockout(inbound.redis, inbound.phone_key, inbound.settings)
    return say(inbound.lang, LOCKED, minutes=minutes(wait))


def _stop(inbound: Inbound) -> str:
    optouts.add(inbound.work.session, inbound.message.phone, optouts.STOP, "sms")
    return say(inbound.lang, STOPPED)


def _start(inbound: Inbound) -> str:
    optouts.remove(inbound.work.session, inbound.message.phone)
    return say(inbound.lang, STARTED)


def _help(inbound: Inbound) -> str:
    return say(inbound.lang, HELP)


def _data(inbound: Inbound) -> str:
    # Data Protection Act: a person at the contact centre calls back about access or erasure.
    summary = "Asked by SMS about their personal data (a copy or erasure)"
    message = inbound.message
    open_ticket(inbound.work.session, DATA_REQUEST, message.phone, summary, inbound_id=message.id)
    return say(inbound.lang, DATA_ASKED)


ACTIONS: dict[str, Callable[[Inbound], str]] = {
    "status": _status,
    "stop": _stop,
    "start": _start,
    "help": _help,
    "data": _data,
    "other": _help,  # unmatched texts stay for staff; the sender learns the keywords
}
