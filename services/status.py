"""Document status for citizens: look a reference up, with per-phone limits against guessing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis import Redis
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from config import Settings
from models import Centre, Document, DocumentKind
from models.fixed import FixedQuery
from ops.redis import count_in_window

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


@dataclass(frozen=True, slots=True)
class Found:
    """What a citizen may learn of an application (read in one query, no ORM objects)."""

    id: int
    kind: str
    status: str
    reference: str
    centre: str  # the centre's name, or "" when none is known yet


# Columns only, run as fixed lookups: this runs on every status lookup.
_FOUND = select(
    Document.id, Document.kind, Document.status, Document.reference, Centre.name
).outerjoin(Centre, Centre.id == Document.centre_id)
_BY_REFERENCE = FixedQuery(
    _FOUND.where(
        Document.reference == bindparam("reference"), Document.kind == bindparam("kind")
    ).limit(1)
)
_BY_ID = FixedQuery(_FOUND.where(Document.id == bindparam("document_id")))


def _found(row: tuple[Any, ...] | None) -> Found | None:
    return None if row is None else Found(row[0], row[1], row[2], row[3], row[4] or "")


def find(session: Session, kind: str, raw: str) -> Found | None:
    """Return the application of this kind and reference, or None."""
    reference = normalise_reference(kind, raw)
    return _found(_BY_REFERENCE.first(session, reference=reference, kind=kind))


def by_id(session: Session, document_id: int) -> Found | None:
    """Return an application by id, or None."""
    return _found(_BY_ID.first(session, document_id=document_id))


def mask_reference(reference: str) -> str:
    """Hide all but the last three characters of a reference's number: HK-ID-***913."""
    head, _, tail = reference.rpartition("-")
    hidden = "*" * max(len(tail) - 3, 1) + tail[-3:]
    return f"{head}-{hidden}" if head else hidden


def gate(redis: Redis, phone_key: str, settings: Settings) -> Gate:
    """Count a lookup and say whether this phone may make it (one round trip)."""
    pipe = redis.pipeline(transaction=False)
    pipe.exists(LOCK_KEY.format(phone_key))
    count_in_window(pipe, COUNT_KEY.format(phone_key), 3600)
    locked, _, count = pipe.execute()
    if locked:
        return Gate.LOCKED
    return Gate.LIMITED if count > settings.ussd_status_lookups_per_hour else Gate.OPEN


def record_miss(redis: Redis, phone_key: str, settings: Settings) -> bool:
    """Count a lookup that found nothing; lock the phone out after too many. True if locked."""
    window = settings.ussd_status_lockout_seconds
    pipe = redis.pipeline(transaction=False)
    count_in_window(pipe, MISS_KEY.format(phone_key), window)
    _, misses = pipe.execute()
    if misses < settings.ussd_status_miss_limit:
        return False
    redis.set(LOCK_KEY.format(phone_key), 1, ex=window)
    return True
