"""Document status for citizens: look a reference up, with per-phone limits against guessing."""

from __future__ import annotations

from enum import StrEnum

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from config import Settings
from models import Document, DocumentKind

PREFIX = {
    DocumentKind.ID_CARD: "HK-ID-",
    DocumentKind.BIRTH_CERTIFICATE: "HK-BC-",
    DocumentKind.DEATH_CERTIFICATE: "HK-DC-",
    DocumentKind.GOOD_CONDUCT: "HK-PCC-",
    DocumentKind.DRIVING_LICENCE: "HK-DL-",
    DocumentKind.PASSPORT: "HK-PP-",
}
COUNT_KEY = "ussd:status:count:{}"
MISS_KEY = "ussd:status:miss:{}"
LOCK_KEY = "ussd:status:lock:{}"


class Gate(StrEnum):
    OPEN = "open"
    LIMITED = "limited"
    LOCKED = "locked"


def normalise_reference(kind: str, raw: str) -> str:
    """Uppercase a typed reference; bare digits get the kind's usual prefix."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum() or ch == "-")
    if cleaned.isdigit() and kind in PREFIX:
        return PREFIX[DocumentKind(kind)] + cleaned
    return cleaned


def find(session: Session, kind: str, raw: str) -> Document | None:
    """Return the document of this kind and reference, or None."""
    reference = normalise_reference(kind, raw)
    query = select(Document).where(Document.reference == reference, Document.kind == kind)
    query = query.options(joinedload(Document.centre))
    return session.scalars(query).first()


def mask_reference(reference: str) -> str:
    """Hide all but the last three characters of a reference's number: HK-ID-***913."""
    head, _, tail = reference.rpartition("-")
    hidden = "*" * max(len(tail) - 3, 1) + tail[-3:]
    return f"{head}-{hidden}" if head else hidden


def gate(redis: Redis, phone_key: str, settings: Settings) -> Gate:
    """Count a lookup and say whether this phone may make it (one round trip)."""
    pipe = redis.pipeline(transaction=False)
    pipe.exists(LOCK_KEY.format(phone_key))
    pipe.set(COUNT_KEY.format(phone_key), 0, ex=3600, nx=True)
    pipe.incr(COUNT_KEY.format(phone_key))
    locked, _, count = pipe.execute()
    if locked:
        return Gate.LOCKED
    return Gate.LIMITED if count > settings.ussd_status_lookups_per_hour else Gate.OPEN


def record_miss(redis: Redis, phone_key: str, settings: Settings) -> bool:
    """Count a lookup that found nothing; lock the phone out after too many. True if locked."""
    window = settings.ussd_status_lockout_seconds
    pipe = redis.pipeline(transaction=False)
    pipe.set(MISS_KEY.format(phone_key), 0, ex=window, nx=True)
    pipe.incr(MISS_KEY.format(phone_key))
    _, misses = pipe.execute()
    if misses < settings.ussd_status_miss_limit:
        return False
    redis.set(LOCK_KEY.format(phone_key), 1, ex=window)
    return True
