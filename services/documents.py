"""Agency status updates: validate, upsert documents, record transitions, queue notices."""

from __future__ import annotations

import logging
import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import phonenumbers
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from identifiers.numbers import (
    InvalidIdNumber,
    InvalidPhone,
    keyed_hash,
    mask_id_number,
    normalise_phone,
    validate_id_number,
)
from models import Centre, Document, DocumentEvent, DocumentKind, DocumentStatus, utcnow
from models.bulk import among, insert_rows
from models.work import Work
from sms.notices import Transition, Voice, notifies, queue_notices

log = logging.getLogger(__name__)
MAX_BATCH = 1000
KINDS = {k.value for k in DocumentKind}
STATUSES = {s.value for s in DocumentStatus}
REFERENCE = re.compile(r"[A-Z0-9][A-Z0-9\-/._]{0,39}")
CENTRE = re.compile(r"[A-Z0-9_\-]{1,20}")
E164_KENYA = re.compile(r"\+254([17]\d{8})")
ATTEMPTS = 4
# Deadlock, serialization failure, unique violation (two batches created one document).
RETRYABLE_STATES = {"40P01", "40001", "23505"}


class BadUpdate(ValueError):
    """One status update cannot be applied; the message says why."""


class FeedBusy(RuntimeError):
    """The batch kept colliding with concurrent batches; the agency should send it again."""


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A validated status update for one document."""

    reference: str
    kind: str
    status: str
    phone: str
    centre_code: str | None
    id_number: str | None
    changed_at: datetime


@dataclass(slots=True)
class FeedResult:
    """Counts and per-index errors of one batch."""

    accepted: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, index: int, reason: str) -> None:
        """Count item `index` as rejected for `reason`."""
        self.rejected += 1
        self.errors.append({"index": index, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        """The answer the API returns."""
        errors = sorted(self.errors, key=lambda e: int(e["index"]))
        return {"accepted": self.accepted, "unchanged": self.unchanged,
                "rejected": self.rejected, "errors": errors}  # fmt: skip


def _text(item: dict[str, Any], name: str, limit: int, *, required: bool = True) -> str:
    raw = item.get(name)
    if raw is None or raw == "":
        if required:
            raise BadUpdate(f"{name} is required")
        return ""
    if not isinstance(raw, str):
        raise BadUpdate(f"{name} must be a string")
    value = raw.strip()
    if len(value) > limit or (required and not value):
        raise BadUpdate(f"{name} is required (at most {limit} characters)")
    if "\x00" in value:
        raise BadUpdate(f"{name} contains a NUL character")
    return value


def parse_time(raw: object, now: datetime) -> datetime:
    """Read an ISO 8601 time (UTC when naive); absent means now; never in the future."""
    if raw in (None, ""):
        return now
    if not isinstance(raw, str) or len(raw) > 40:
        raise BadUpdate("changed_at is not an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return min(moment.astimezone(UTC), now)
    except (ValueError, OverflowError):
        raise BadUpdate("changed_at is not an ISO 8601 time in years 1-9999") from None


def _phone(raw: str) -> str:
    """normalise_phone, with a shortcut for the E.164 numbers most agencies send."""
    match = E164_KENYA.fullmatch(raw)
    if match:
        number = phonenumbers.PhoneNumber(country_code=254, national_number=int(match[1]))
        if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
            return raw
    return normalise_phone(raw)


def _id_number(raw: object) -> str | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise BadUpdate("id_number must be a string of digits")
    return validate_id_number(str(raw))


def parse_update(item: object, now: datetime) -> StatusUpdate:
    """Validate one raw update or raise BadUpdate with the reason."""
    if not isinstance(item, dict):
        raise BadUpdate("each update is a JSON object")
    kind, status = _text(item, "kind", 24).upper(), _text(item, "status", 24).upper()
    if kind not in KINDS:
        raise BadUpdate(f"unknown kind {kind[:24]}")
    if status not in STATUSES:
        raise BadUpdate(f"unknown status {status[:24]}")
    try:
        phone = _phone(_text(item, "phone", 20))
        id_number = _id_number(item.get("id_number"))
    except (InvalidPhone, InvalidIdNumber) as exc:
        raise BadUpdate(str(exc)) from None
    centre = _text(item, "centre", 20, required=False).upper() or None
    if centre is not None and not CENTRE.fullmatch(centre):
        raise BadUpdate("centre is a centre code (letters, digits, - and _)")
    if status == DocumentStatus.READY_FOR_COLLECTION and centre is None:
        raise BadUpdate("centre is required for READY_FOR_COLLECTION")
    reference = _text(item, "reference", 40).upper()
    if not REFERENCE.fullmatch(reference):
        raise BadUpdate("reference holds letters, digits and - / . _ only")
    return StatusUpdate(reference, kind, status, phone, centre, id_number,
                        parse_time(item.get("changed_at"), now))  # fmt: skip


@dataclass(slots=True)
class DocState:
    """A document as this batch sees and changes it."""

    id: int | None
    reference: str
    kind: str
    status: str
    owner_phone: str
    agency_id: int | None
    centre_id: int | None
    status_changed_at: datetime
    reminders_sent: int = 0
    needs_call: bool = False
    id_number_masked: str | None = None
    id_number_hash: str | None = None
    dirty: bool = False


@dataclass(slots=True)
class Batch:
    """What applying one batch needs to know and collects."""

    agency_id: int | None
    hash_key: str
    centres: dict[str, int]
    documents: dict[str, DocState]
    events: list[tuple[DocState, str | None, str, datetime]] = field(default_factory=list)


def apply_updates(
    work: Work,
    items: list[Any],
    *,
    agency_id: int | None,
    source: str,
    hash_key: str,
    default_language: str = "en",
    now: datetime | None = None,
    dial: str = "",
) -> FeedResult:
    """Upsert each valid update; report bad ones by index. The caller commits."""
    now = now or utcnow()
    result = FeedResult()
    parsed: list[tuple[int, StatusUpdate]] = []
    for index, item in enumerate(items):
        try:
            parsed.append((index, parse_update(item, now)))
        except BadUpdate as exc:
            result.reject(index, str(exc))
    if not parsed:
        return result
    batch = _load(work.session, parsed, agency_id, hash_key)
    for index, one in parsed:
        _apply_one(batch, result, index, one)
    _write(work, batch, source, now, Voice(default_language, dial))
    return result


def apply_and_commit(work: Work, items: list[Any], **options: Any) -> FeedResult:
    """Apply a batch in its own transaction, retrying when it collides with another batch."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = apply_updates(work, items, **options)
            work.commit()
            return result
        except DBAPIError as exc:
            work.rollback()
            if not retryable(exc):
                raise
            log.info("feed batch collided (%s), attempt %d", _state(exc), attempt)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise FeedBusy("the batch collided with concurrent batches; send it again")


def _state(exc: DBAPIError) -> str:
    return str(getattr(exc.orig, "sqlstate", "") or type(exc.orig).__name__)


def retryable(exc: DBAPIError) -> bool:
    """True for errors another attempt can cure: deadlocks, serialization, a racing insert."""
    if _state(exc) in RETRYABLE_STATES:
        return True
    # SQLite reports a busy database and a unique clash without SQL states.
    return (
        isinstance(exc, IntegrityError | OperationalError)
        and "sqlite" in type(exc.orig).__module__.lower()
    )


def _load(
    session: Session,
    parsed: list[tuple[int, StatusUpdate]],
    agency_id: int | None,
    hash_key: str,
) -> Batch:
    codes = sorted({u.centre_code for _, u in parsed if u.centre_code})
    centres = dict(
        session.execute(select(Centre.code, Centre.id).where(Centre.code.in_(codes))).all()
    )
    refs = sorted({u.reference for _, u in parsed})
    # Row locks in one order: two overlapping batches queue one notice and never deadlock.
    query = (
        select(Document.id, Document.reference, Document.kind, Document.status,
               Document.owner_phone, Document.agency_id, Document.centre_id,
               Document.status_changed_at, Document.reminders_sent, Document.needs_call)
        .where(among(session, Document.reference, refs))
        .order_by(Document.reference)
        .with_for_update()
    )  # fmt: skip
    documents = {row.reference: DocState(*row) for row in session.execute(query)}
    return Batch(agency_id, hash_key, centres, documents)


def _apply_one(batch: Batch, result: FeedResult, index: int, one: StatusUpdate) -> None:
    if one.centre_code and one.centre_code not in batch.centres:
        result.reject(index, f"unknown centre {one.centre_code}")
        return
    document = batch.documents.get(one.reference)
    if (
        document is not None
        and batch.agency_id
        and document.agency_id
        not in (
            None,
            batch.agency_id,
        )
    ):
        result.reject(index, "reference belongs to another agency")
        return
    if document is None:
        document = _new_document(batch, one)
    elif one.changed_at < document.status_changed_at:
        result.unchanged += 1  # a stale update changes nothing
        return
    elif document.status == one.status:
        _same_status(document, one, result)
        return
    _transition(batch, document, one)
    result.accepted += 1


def _same_status(document: DocState, one: StatusUpdate, result: FeedResult) -> None:
    # A repeat notifies nobody, but a new phone number must reach the next reminder.
    if one.phone == document.owner_phone:
        result.unchanged += 1
        return
    document.owner_phone, document.dirty = one.phone, True
    result.accepted += 1


def _new_document(batch: Batch, one: StatusUpdate) -> DocState:
    document = DocState(None, one.reference, one.kind, "", one.phone, batch.agency_id, None,
                        one.changed_at)  # fmt: skip
    if one.id_number:
        document.id_number_masked = mask_id_number(one.id_number)
        document.id_number_hash = keyed_hash(one.id_number, batch.hash_key)
    batch.documents[one.reference] = document
    return document


def _transition(batch: Batch, document: DocState, one: StatusUpdate) -> None:
    batch.events.append((document, document.status or None, one.status, one.changed_at))
    document.status, document.status_changed_at = one.status, one.changed_at
    document.owner_phone, document.kind, document.dirty = one.phone, one.kind, True
    if one.centre_code:
        document.centre_id = batch.centres[one.centre_code]
    if notifies(one.kind, one.status):
        document.reminders_sent, document.needs_call = 0, False


def _write(work: Work, batch: Batch, source: str, now: datetime, voice: Voice) -> None:
    """Insert new documents, update changed ones, record events, then queue the notices."""
    session = work.session
    fresh = sorted((d for d in batch.documents.values() if d.id is None), key=_by_reference)
    if fresh:
        ids = insert_rows(session, Document, [_document_row(d, now) for d in fresh])
        for document, new_id in zip(fresh, ids, strict=True):
            document.id, document.dirty = new_id, False
    changed = sorted((d for d in batch.documents.values() if d.dirty), key=_by_reference)
    if changed:
        session.execute(_document_update(), [_update_row(d, now) for d in changed])
    if not batch.events:
        return
    rows = [{"document_id": d.id, "from_status": old, "to_status": new, "changed_at": at,
             "received_at": now, "source": source} for d, old, new, at in batch.events]  # fmt: skip
    event_ids = insert_rows(session, DocumentEvent, rows)
    transitions = [
        Transition(cast(int, d.id), d.reference, d.kind, new, d.owner_phone, d.centre_id, eid)
        for (d, _old, new, _at), eid in zip(batch.events, event_ids, strict=True)
        if notifies(d.kind, new)
    ]
    queue_notices(work, transitions, voice)


def _by_reference(document: DocState) -> str:
    return document.reference


def _document_row(d: DocState, now: datetime) -> dict[str, Any]:
    return {"reference": d.reference, "kind": d.kind, "owner_phone": d.owner_phone,
            "status": d.status, "agency_id": d.agency_id, "centre_id": d.centre_id,
            "status_changed_at": d.status_changed_at, "reminders_sent": d.reminders_sent,
            "needs_call": d.needs_call, "id_number_masked": d.id_number_masked,
            "id_number_hash": d.id_number_hash, "created_at": now, "updated_at": now}  # fmt: skip


def _document_update() -> Any:
    table = cast(Table, Document.__table__)
    names = ("kind", "owner_phone", "status", "centre_id", "status_changed_at", "reminders_sent",
             "needs_call", "updated_at")  # fmt: skip
    return (
        update(table)
        .where(table.c.id == bindparam("d_id"))
        .values({name: bindparam(name + "_v") for name in names})
    )


def _update_row(d: DocState, now: datetime) -> dict[str, Any]:
    return {"d_id": d.id, "kind_v": d.kind, "owner_phone_v": d.owner_phone, "status_v": d.status,
            "centre_id_v": d.centre_id, "status_changed_at_v": d.status_changed_at,
            "reminders_sent_v": d.reminders_sent, "needs_call_v": d.needs_call,
            "updated_at_v": now}  # fmt: skip
