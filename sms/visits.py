"""What a citizen is told about a visit: ticket, turn near, counter, rating; one GSM-7 part each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from identifiers.codes import new_code
from models.work import Work
from sms.outbox import queue_message
from sms.segments import count, is_gsm7, normalise
from words.i18n import N_, say


class Event(StrEnum):
    """A moment of a visit the citizen hears about (at most once per visit)."""

    CHECKED_IN = "checked_in"
    NEAR = "near"
    CALLED = "called"
    RATE = "rate"
    RATED = "rated"
    ALREADY_RATED = "already_rated"


TEXTS = {
    Event.CHECKED_IN: N_(
        "HUDUMA: Ticket {ticket} at {centre}. People ahead of you: {ahead}. We will SMS you "
        "when your turn is near. Code {code}. Help: 1919"
    ),
    Event.NEAR: N_(
        "HUDUMA: Ticket {ticket}, your turn is near. People ahead of you: {ahead}. Please stay "
        "close to the counters at {centre}. Code {code}. Help: 1919"
    ),
    Event.CALLED: N_(
        "HUDUMA: Ticket {ticket}, please go to counter {counter} now. {centre}. Code {code}. "
        "Help: 1919"
    ),
    Event.RATE: N_(
        "HUDUMA: Thank you for visiting {centre}. How were you served? Reply 1 (very bad) to 5 "
        "(very good). Code {code}. Help: 1919"
    ),
    Event.RATED: N_(
        "HUDUMA: Thank you. Your rating of {rating} for {centre} was received. Code {code}. "
        "Help: 1919"
    ),
    Event.ALREADY_RATED: N_(
        "HUDUMA: You already rated your visit to {centre}. Thank you. Code {code}. Help: 1919"
    ),
}
SMS_LIMIT = 160


@dataclass(frozen=True, slots=True)
class Addressee:
    """Whom a visit's SMS goes to, in which language, and what names the visit."""

    visit_id: int
    phone: str
    language: str
    ticket: str
    centre: str


def visit_text(event: Event, who: Addressee, code: str, **values: object) -> str:
    """The text of `event` in the citizen's language, the centre's name cut to fit one part."""
    centre = normalise(who.centre)
    text = _fill(event, who, code, centre, values)
    while (not is_gsm7(text) or count(text).parts > 1) and centre:
        centre = centre[:-1]  # the centre's name gives way, never the ticket or the code
        text = _fill(event, who, code, centre, values)
    return text


def _fill(event: Event, who: Addressee, code: str, centre: str, values: dict[str, object]) -> str:
    return say(who.language, TEXTS[event], ticket=who.ticket, centre=centre, code=code, **values)


def queue_visit_sms(work: Work, event: Event, who: Addressee, **values: object) -> None:
    """Queue the SMS of `event` for a visit in this unit of work; once per visit and event."""
    code = new_code()
    queue_message(
        work, recipient=who.phone, body=visit_text(event, who, code, **values),
        kind=f"visit_{event.value}", idempotency_key=f"visit:{who.visit_id}:{event.value}",
        language=who.language, verification_code=code,
    )  # fmt: skip
