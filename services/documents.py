"""Agency status updates: validate, upsert documents, record transitions, queue notices."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Centre, Document, DocumentEvent, DocumentKind, DocumentStatus, utcnow
from services.identity import (
    InvalidIdNumber,
    InvalidPhone,
    keyed_hash,
    mask_id_number,
    normalise_phone,
    validate_id_number,
)
from sms.notices import NOTIFYING, Transition, queue_notices
from sms.outbox import allocate_ids, insert_rows

MAX_BATCH = 1000
KINDS = {k.value for k in DocumentKind}
STATUSES = {s.value for s in DocumentStatus}


class BadUpdate(ValueError):
    """One status update cannot be applied; the message says why."""


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
        self.rejected += 1
        self.errors.append({"index": index, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        errors = sorted(self.errors, key=lambda e: int(e["index"]))
        return {"accepted": self.accepted, "unchanged": self.unchanged,
                "rejected": self.rejected, "errors": errors}  # fmt: skip


def _text(item: dict[str, Any], name: str, limit: int) -> str:
    value = str(item.get(name) or "").strip()
    if not value or len(value) > limit:
        raise BadUpdate(f"{name} is required (at most {limit} characters)")
    return value


def parse_time(raw: object, now: datetime) -> datetime:
    """Read an ISO 8601 time (UTC when naive); absent means now; never in the future."""
    if raw in (None, ""):
        return now
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise BadUpdate("changed_at is not an ISO 8601 time") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return min(moment.astimezone(UTC), now)


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
        phone = normalise_phone(_text(item, "phone", 20))
        id_number = validate_id_number(str(item["id_number"])) if item.get("id_number") else None
    except (InvalidPhone, InvalidIdNumber) as exc:
        raise BadUpdate(str(exc)) from None
    centre = str(item.get("centre") or "").strip().upper() or None
    if status == DocumentStatus.READY_FOR_COLLECTION and centre is None:
        raise BadUpdate("centre is required for READY_FOR_COLLECTION")
    reference = _text(item, "reference", 40).upper()
    return StatusUpdate(reference, kind, status, phone, centre, id_number,
                        parse_time(item.get("changed_at"), now))  # fmt: skip


@dataclass(slots=True)
class Batch:
    """What applying one batch needs to know and collects."""

    session: Session
    agency_id: int | None
    source: str
    hash_key: str
    now: datetime
    centres: dict[str, int]
    documents: dict[str, Document]
    new_ids: list[int] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[Document] = field(default_factory=list)


def apply_updates(
    session: Session,
    items: list[Any],
    *,
    agency_id: int | None,
    source: str,
    hash_key: str,
    default_language: str = "en",
    now: datetime | None = None,
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
    batch = _load(session, parsed, agency_id, source, hash_key, now)
    for index, update in parsed:
        _apply_one(batch, result, index, update)
    _record(batch, default_language)
    return result


def _load(
    session: Session,
    parsed: list[tuple[int, StatusUpdate]],
    agency_id: int | None,
    source: str,
    hash_key: str,
    now: datetime,
) -> Batch:
    codes = {u.centre_code for _, u in parsed if u.centre_code}
    centres = dict(
        session.execute(select(Centre.code, Centre.id).where(Centre.code.in_(codes))).all()
    )
    refs = {u.reference for _, u in parsed}
    # Row locks make two concurrent batches for one document queue one notice, not two.
    query = select(Document).where(Document.reference.in_(refs)).with_for_update()
    documents = {d.reference: d for d in session.scalars(query)}
    new_ids = allocate_ids(session, "documents", len(refs - documents.keys()))
    return Batch(session, agency_id, source, hash_key, now, centres, documents, new_ids)


def _apply_one(batch: Batch, result: FeedResult, index: int, update: StatusUpdate) -> None:
    if update.centre_code and update.centre_code not in batch.centres:
        result.reject(index, f"unknown centre {update.centre_code}")
        return
    document = batch.documents.get(update.reference)
    if (
        document is not None
        and batch.agency_id
        and document.agency_id not in (None, batch.agency_id)
    ):
        result.reject(index, "reference belongs to another agency")
        return
    if document is not None and not _changes(document, update):
        result.unchanged += 1
        return
    if document is None:
        document = _new_document(batch, update)
    _transition(batch, document, update)
    result.accepted += 1


def _changes(document: Document, update: StatusUpdate) -> bool:
    # Repeats and stale (older) updates change nothing, so they notify nobody.
    return document.status != update.status and update.changed_at >= document.status_changed_at


def _new_document(batch: Batch, update: StatusUpdate) -> Document:
    document = Document(
        reference=update.reference,
        kind=update.kind,
        owner_phone=update.phone,
        status="",
        agency_id=batch.agency_id,
        status_changed_at=update.changed_at,
    )
    if update.id_number:
        document.id_number_masked = mask_id_number(update.id_number)
        document.id_number_hash = keyed_hash(update.id_number, batch.hash_key)
    if batch.new_ids:
        document.id = batch.new_ids.pop()
    batch.session.add(document)
    batch.documents[update.reference] = document
    return document


def _transition(batch: Batch, document: Document, update: StatusUpdate) -> None:
    batch.events.append({"document": document, "from_status": document.status or None,
                         "to_status": update.status, "changed_at": update.changed_at})  # fmt: skip
    document.status, document.status_changed_at = update.status, update.changed_at
    document.owner_phone, document.kind = update.phone, update.kind
    if update.centre_code:
        document.centre_id = batch.centres[update.centre_code]
    if update.status in NOTIFYING:
        document.reminders_sent, document.needs_call = 0, False


def _record(batch: Batch, default_language: str) -> None:
    """Write the transitions' events, then one notice per notifying transition."""
    if not batch.events:
        return
    batch.session.flush()
    rows = [{"document_id": e["document"].id, "from_status": e["from_status"],
             "to_status": e["to_status"], "changed_at": e["changed_at"],
             "received_at": batch.now, "source": batch.source} for e in batch.events]  # fmt: skip
    event_ids = insert_rows(batch.session, DocumentEvent, rows)
    transitions = [
        Transition(e["document"], event_id)
        for e, event_id in zip(batch.events, event_ids, strict=True)
        if e["to_status"] in NOTIFYING
    ]
    queue_notices(batch.session, transitions, default_language)
