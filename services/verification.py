"""Is an SMS really from Huduma? Look up the code printed on it, within an hourly limit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from identifiers.references import booking_of, compact, document_keys
from models import Booking, Document, Message
from ops.redis import count_in_window

CHECKS_KEY = "ussd:verify:count:{}"
SECRETISH = re.compile(r"\b(?=[A-Z0-9-]*\d)[A-Z0-9-]{5,}\b")


@dataclass(frozen=True, slots=True)
class Genuine:
    """What a caller may learn of a genuine message: when it was sent and its masked gist."""

    message_id: int
    sent_on: datetime
    gist: str


def masked_summary(body: str, limit: int = 80) -> str:
    """Return the gist of a message with references and numbers masked."""
    text = body.removeprefix("HUDUMA: ")
    text = SECRETISH.sub(lambda m: "***" + m.group()[-3:], text)
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def allow_check(redis: Redis, phone_key: str, per_hour: int) -> bool:
    """Count a check by this phone and say whether it is within the hourly limit."""
    pipe = redis.pipeline(transaction=False)
    count_in_window(pipe, CHECKS_KEY.format(phone_key), 3600)
    return int(pipe.execute()[-1]) <= per_hour


def wait(redis: Redis, phone_key: str, per_hour: int) -> int:
    """Seconds until this phone may check again, 0 if now (counts nothing)."""
    pipe = redis.pipeline(transaction=False)
    pipe.get(CHECKS_KEY.format(phone_key))
    pipe.ttl(CHECKS_KEY.format(phone_key))
    count, window = pipe.execute()
    return max(int(window), 1) if int(count or 0) >= per_hour else 0


def looks_like_code(raw: str) -> bool:
    """True when `raw` could be a printed code or reference (4 to 40 letters and digits)."""
    return 4 <= len(compact(raw)) <= 40


def find(session: Session, raw: str, phone: str) -> Genuine | None:
    """The latest message to `phone` whose code, or the booking or application it names, is `raw`.

    Only this number's messages count: a code is short, and a scam SMS could carry one that
    some other number's message happens to have.
    """
    code, booking = compact(raw), booking_of(raw)
    booked = select(Booking.id).where(Booking.reference == booking, Booking.phone == phone)
    named = select(Document.id).where(Document.reference_key.in_(document_keys(raw)))
    query = (
        select(Message.id, Message.created_at, Message.body)
        .where(Message.recipient == phone)
        .where(
            or_(
                Message.verification_code == code,
                Message.booking_id.in_(booked),
                Message.document_id.in_(named),
            )
        )  # fmt: skip
        .order_by(Message.id.desc())
        .limit(1)
    )
    row = session.execute(query).first()
    return None if row is None else Genuine(row[0], row[1], masked_summary(row[2]))


def by_id(session: Session, message_id: int) -> Genuine | None:
    """The genuine message `message_id`, or None."""
    query = select(Message.id, Message.created_at, Message.body).where(Message.id == message_id)
    row = session.execute(query).first()
    return None if row is None else Genuine(row[0], row[1], masked_summary(row[2]))
