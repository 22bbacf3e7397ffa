"""Citizens' rights under the Data Protection Act: a copy of what is held about one of them,
and its erasure (all but what the law obliges us to keep)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, false, inspect, select
from sqlalchemy.orm import Session

from identifiers.numbers import (
    InvalidIdNumber,
    InvalidPhone,
    keyed_hash,
    mask_id_number,
    mask_phone,
    normalise_phone,
    validate_id_number,
)
from models import (
    Base,
    Booking,
    BookingStatus,
    Document,
    DocumentEvent,
    Feedback,
    InboundMessage,
    LanguagePreference,
    Message,
    MessageStatus,
    OptOut,
    Promise,
    PromiseStatus,
    Slot,
    Ticket,
    UssdSessionEvent,
)
from services import anonymise
from services.retention import FINISHED

# What an erasure leaves, and why: shown to staff with every erasure and in the README.
KEPT = (
    "Opt-outs and the blacklist: the number stays so that no bulk SMS reaches it again.",
    "Applications an issuing agency is still processing and appointments still to come: they "
    "stay until finished or passed, then retention anonymises them (cancel an appointment "
    "first if the citizen asks).",
    "SMS counts and costs, without number or text: public finance records.",
    "The audit log, which records this erasure with the number masked.",
)


class PrivacyError(ValueError):
    """The request names no phone number or ID number we can act on."""


@dataclass(frozen=True, slots=True)
class Subject:
    """The citizen a request is about: a phone number, or an ID number (only its hash is used)."""

    phone: str | None
    phone_hash: str | None
    id_hash: str | None
    label: str  # masked, for the audit log and file names


def subject(raw: str, key: str) -> Subject:
    """Read a Kenyan mobile number or a national ID number from staff's input."""
    try:
        phone = normalise_phone(raw)
    except InvalidPhone:
        phone = ""
    if phone:
        return Subject(phone, keyed_hash(phone, key), None, mask_phone(phone))
    try:
        number = validate_id_number(raw.strip())
    except InvalidIdNumber:
        raise PrivacyError("give a Kenyan mobile number or a national ID number") from None
    return Subject(None, None, keyed_hash(number, key), mask_id_number(number))


# Sections of the copy, in order: a name a person can read, and the table behind it.
SECTIONS: tuple[tuple[str, type[Base]], ...] = (
    ("applications", Document), ("application_status_history", DocumentEvent),
    ("appointments", Booking), ("sms_sent", Message), ("sms_received", InboundMessage),
    ("contact_centre_tickets", Ticket), ("feedback", Feedback),
    ("ussd_sessions", UssdSessionEvent), ("opt_outs", OptOut),
    ("language_choice", LanguagePreference), ("pending_work", Promise),
)  # fmt: skip


def _documents(who: Subject) -> Select[Any]:
    if who.phone:
        return select(Document.id).where(Document.owner_phone == who.phone)
    return select(Document.id).where(Document.id_number_hash == who.id_hash)


def _bookings(who: Subject) -> Select[Any]:
    if who.phone:
        return select(Booking.id).where(Booking.phone == who.phone)
    return select(Booking.id).where(Booking.id_number_hash == who.id_hash)


def _where(who: Subject, model: type[Base]) -> ColumnElement[bool]:
    """Which rows of `model` are about `who`."""
    if model is Document:
        return Document.id.in_(_documents(who))
    if model is DocumentEvent:
        return DocumentEvent.document_id.in_(_documents(who))
    if model is Booking:
        return Booking.id.in_(_bookings(who))
    if model is Message and not who.phone:
        linked = Message.document_id.in_(_documents(who)) | Message.booking_id.in_(_bookings(who))
        return linked
    if not who.phone:
        return false()  # an ID number is held with applications and appointments only
    by_phone: dict[type[Base], ColumnElement[bool]] = {
        Message: Message.recipient == who.phone, InboundMessage: InboundMessage.phone == who.phone,
        Ticket: Ticket.phone == who.phone, Feedback: Feedback.phone_hash == who.phone_hash,
        UssdSessionEvent: UssdSessionEvent.phone_hash == who.phone_hash,
        OptOut: OptOut.phone == who.phone, Promise: Promise.phone == who.phone,
        LanguagePreference: LanguagePreference.phone == who.phone,
    }  # fmt: skip
    return by_phone[model]


def _readable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    plain = value is None or isinstance(value, (int, float, str, bool, dict, list))
    return value if plain else str(value)


def _rows(session: Session, who: Subject, model: type[Base]) -> list[dict[str, Any]]:
    columns = inspect(model).columns
    query = select(model).where(_where(who, model)).order_by(*inspect(model).primary_key)
    return [{c.key: _readable(getattr(row, c.key)) for c in columns}
            for row in session.scalars(query)]  # fmt: skip


def copy_of(session: Session, who: Subject, now: datetime) -> dict[str, Any]:
    """Everything held about `who`, section by section (a subject access request)."""
    return {
        "about": who.label,
        "made_at": now.isoformat(),
        "held_by": "Huduma Kenya USSD and SMS gateway",
        "sections": {name: _rows(session, who, model) for name, model in SECTIONS},
    }


def copy_text(copy: dict[str, Any]) -> str:
    """The copy as an indented JSON document a person can read."""
    return json.dumps(copy, indent=2, ensure_ascii=False, default=str) + "\n"


def _ids(
    session: Session, who: Subject, model: type[Base], *also: ColumnElement[bool]
) -> list[int]:
    key = inspect(model).primary_key[0]
    return list(session.scalars(select(key).where(_where(who, model), *also).order_by(key)))


def _close_tickets(session: Session, ids: Sequence[int], now: datetime) -> None:
    query = select(Ticket).where(Ticket.id.in_(ids), Ticket.status == "open")
    for ticket in session.scalars(query):
        ticket.status, ticket.closed_at = "closed", now


def _erasable(session: Session, who: Subject, now: datetime) -> dict[str, list[int]]:
    """The rows an erasure changes, found before any changes (they hide the ID number)."""
    past = Booking.status != BookingStatus.ACTIVE
    past |= Booking.slot_id.in_(select(Slot.id).where(Slot.starts_at <= now))
    sendable = Message.status != MessageStatus.SENDING  # one being handed to AT finishes first
    return {
        "applications": _ids(session, who, Document, Document.status.in_(FINISHED)),
        "appointments": _ids(session, who, Booking, past),
        "sms_sent": _ids(session, who, Message, sendable),
        "sms_received": _ids(session, who, InboundMessage),
        "contact_centre_tickets": _ids(session, who, Ticket),
        "feedback": _ids(session, who, Feedback),
        "ussd_sessions": _ids(session, who, UssdSessionEvent),
        "language_choice": _ids(session, who, LanguagePreference),
        "pending_work": _ids(session, who, Promise, Promise.status != PromiseStatus.PENDING),
    }


ERASERS: dict[str, Callable[[Session, Sequence[int]], int]] = {
    "applications": anonymise.documents, "appointments": anonymise.bookings,
    "sms_sent": anonymise.messages, "sms_received": anonymise.inbound,
    "contact_centre_tickets": anonymise.tickets, "feedback": anonymise.feedback,
    "ussd_sessions": partial(anonymise.remove, UssdSessionEvent),
    "language_choice": partial(anonymise.remove, LanguagePreference),
    "pending_work": partial(anonymise.remove, Promise),
}  # fmt: skip


def erase(session: Session, who: Subject, now: datetime) -> dict[str, int]:
    """Anonymise or delete what is held about `who`, but what `KEPT` lists; rows per section."""
    found = _erasable(session, who, now)
    _close_tickets(session, found["contact_centre_tickets"], now)
    return {name: ERASERS[name](session, ids) for name, ids in found.items()}
