"""Is an SMS really from Huduma? Look up the code printed on it, within an hourly limit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from identifiers.codes import normalise_code
from models import Message
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
    """True when `raw` could be a printed code (4 to 12 ASCII letters and digits)."""
    code = normalise_code(raw)
    return code.isascii() and 4 <= len(code) <= 12


def find(session: Session, raw: str) -> Genuine | None:
    """The genuine message carrying the code `raw`, or None."""
    query = select(Message.id, Message.created_at, Message.body).where(
        Message.verification_code == normalise_code(raw)
    )
    row = session.execute(query.limit(1)).first()
    return None if row is None else Genuine(row[0], row[1], masked_summary(row[2]))


def by_id(session: Session, message_id: int) -> Genuine | None:
    """The genuine message `message_id`, or None."""
    query = select(Message.id, Message.created_at, Message.body).where(Message.id == message_id)
    row = session.execute(query).first()
    return None if row is None else Genuine(row[0], row[1], masked_summary(row[2]))
