"""Document status for citizens: look a reference up, with per-phone limits against guessing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis import Redis
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from config import Settings
from identifiers.references import PREFIXES, document_keys
from models import Centre, Document, DocumentKind
from models.fixed import FixedQuery
from ops.redis import count_in_window

PREFIX = {DocumentKind(kind): prefix for kind, prefix in PREFIXES.items()}
COUNT_KEY = "ussd:status:count:{}"
MISS_KEY = "ussd:status:miss:{}"
LOCK_KEY = "ussd:status:lock:{}"


class Gate(StrEnum):
    OPEN = "open"
    LIMITED = "limited"
    LOCKED = "locked"


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
_BY_KEY = FixedQuery(_FOUND.where(Document.reference_key == bindparam("key")).limit(1))
_BY_ID = FixedQuery(_FOUND.where(Document.id == bindparam("document_id")))


def _found(row: tuple[Any, ...] | None) -> Found | None:
    return None if row is None else Found(row[0], row[1], row[2], row[3], row[4] or "")


def find(session: Session, raw: str) -> list[Found]:
    """The applications a typed reference may name: one, none, or one per kind for bare digits."""
    keys = document_keys(raw)
    if len(keys) == 1:  # the usual case, on every status lookup: a fixed query
        found = _found(_BY_KEY.first(session, key=keys[0]))
        return [found] if found else []
    if not keys:
        return []
    query = _FOUND.where(Document.reference_key.in_(keys)).order_by(Document.id).limit(len(keys))
    return [Found(*row[:4], row[4] or "") for row in session.execute(query)]


def by_id(session: Session, document_id: int) -> Found | None:
    """Return an application by id, or None."""
    return _found(_BY_ID.first(session, document_id=document_id))


def by_ids(session: Session, ids: list[int]) -> list[Found]:
    """The applications `ids`, in id order."""
    query = _FOUND.where(Document.id.in_(ids)).order_by(Document.id)
    return [Found(*row[:4], row[4] or "") for row in session.execute(query)]


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


def lockout(redis: Redis, phone_key: str, settings: Settings) -> int:
    """Seconds until this phone may look a reference up again, 0 if now (counts nothing)."""
    pipe = redis.pipeline(transaction=False)
    pipe.ttl(LOCK_KEY.format(phone_key))
    pipe.get(COUNT_KEY.format(phone_key))
    pipe.ttl(COUNT_KEY.format(phone_key))
    locked, count, window = pipe.execute()
    if locked > 0:
        return int(locked)
    return max(int(window), 1) if int(count or 0) >= settings.ussd_status_lookups_per_hour else 0


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
