"""Who a bulk message goes to: an uploaded list or a segment, minus those who must not get it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from identifiers.numbers import InvalidPhone, normalise_phone
from models import (
    Booking,
    BookingStatus,
    Centre,
    Document,
    DocumentStatus,
    Slot,
)
from sms import optouts
from sms.languages import CHUNK

MAX_LISTED = 500  # rows of bad input or exclusions kept for the preview


@dataclass(slots=True)
class Audience:
    """The recipients of a broadcast and everything left out, with reasons."""

    kind: str
    label: str
    phones: list[str] = field(default_factory=list)
    invalid: list[dict[str, str]] = field(default_factory=list)
    duplicates: int = 0
    excluded: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """Return the audience as the broadcast's JSON column holds it."""
        return {
            "kind": self.kind,
            "label": self.label,
            "phones": self.phones,
            "invalid": self.invalid[:MAX_LISTED],
            "invalid_count": len(self.invalid),
            "duplicates": self.duplicates,
            "excluded": self.excluded[:MAX_LISTED],
            "excluded_count": len(self.excluded),
            "fanned_out": False,
        }


def _unique(audience: Audience, phones: Iterable[str]) -> Audience:
    seen: dict[str, None] = {}
    for phone in phones:
        if phone in seen:
            audience.duplicates += 1
        seen[phone] = None
    audience.phones = list(seen)
    return audience


def from_csv(text: str, label: str = "uploaded list") -> Audience:
    """Read phone numbers from the first column (a header row is allowed); list the bad rows."""
    audience, good = Audience("csv", label), []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        value = row[0].strip() if row else ""
        if not value or (number == 1 and not any(ch.isdigit() for ch in value)):
            continue
        try:
            good.append(normalise_phone(value))
        except InvalidPhone as exc:
            audience.invalid.append({"row": str(number), "value": value[:20], "reason": str(exc)})
    return _unique(audience, good)


def uncollected(session: Session, *, centre_id: int, days: int, now: datetime) -> Audience:
    """Owners of documents ready at a centre and not collected for more than `days` days."""
    query = select(Document.owner_phone).where(
        Document.status == DocumentStatus.READY_FOR_COLLECTION,
        Document.centre_id == centre_id,
        Document.status_changed_at < now - timedelta(days=days),
    )
    label = f"documents uncollected > {days} days at centre {_centre_name(session, centre_id)}"
    return _unique(Audience("uncollected", label), session.scalars(query.order_by(Document.id)))


def booked(session: Session, *, centre_id: int, day: date, tz: ZoneInfo) -> Audience:
    """Citizens holding an active booking at a centre on a (local) day."""
    start = datetime.combine(day, time.min, tz)
    query = (
        select(Booking.phone)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Slot.centre_id == centre_id, Booking.status == BookingStatus.ACTIVE)
        .where(Slot.starts_at >= start, Slot.starts_at < start + timedelta(days=1))
    )
    label = f"booked at {_centre_name(session, centre_id)} on {day:%d/%m/%Y}"
    return _unique(Audience("booked", label), session.scalars(query.order_by(Booking.id)))


def constituency(session: Session, *, constituency_id: int, name: str) -> Audience:
    """Citizens with documents at the centres of a constituency."""
    query = (
        select(Document.owner_phone)
        .join(Centre, Document.centre_id == Centre.id)
        .where(Centre.constituency_id == constituency_id)
    )
    label = f"citizens of {name} constituency"
    return _unique(Audience("constituency", label), session.scalars(query.order_by(Document.id)))


def _centre_name(session: Session, centre_id: int) -> str:
    centre = session.get(Centre, centre_id)
    return centre.name if centre else "?"


def blocked(session: Session, phones: list[str], message_class: str) -> dict[str, str]:
    """Map each phone that must not get this class of message to the reason."""
    found: dict[str, str] = {}
    for start in range(0, len(phones), CHUNK):
        found.update(optouts.reasons(session, phones[start : start + CHUNK]))
    return {
        phone: "blacklisted" if reason == optouts.BLACKLIST else "opted out"
        for phone, reason in found.items()
        if optouts.blocks(reason, message_class)
    }


def exclude(session: Session, audience: Audience, message_class: str) -> Audience:
    """Remove opted-out (awareness only) and blacklisted numbers, listing each with its reason."""
    reasons = blocked(session, audience.phones, message_class)
    audience.excluded = [{"phone": p, "reason": r} for p, r in reasons.items()]
    audience.phones = [p for p in audience.phones if p not in reasons]
    return audience
