"""Synthetic document applications across every status, with their history."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from identifiers.numbers import keyed_hash, mask_id_number
from models import Centre, Document, DocumentEvent, DocumentKind, DocumentStatus, LanguagePreference
from services.status import PREFIX

S = DocumentStatus
KIND_WEIGHTS = (40, 20, 5, 15, 12, 8)
COLLECTED_PATH = (S.SUBMITTED, S.PROCESSING, S.DISPATCHED, S.READY_FOR_COLLECTION, S.COLLECTED)
DOWNLOAD_PATH = (S.SUBMITTED, S.PROCESSING, S.AVAILABLE_ON_ECITIZEN)
SIDE_STATES = {S.NEEDS_ACTION: 2, S.REJECTED: 2}
DEMO_PHONES = 3000


@dataclass(frozen=True, slots=True)
class SampleDocument:
    reference: str
    status: str
    phone: str


def demo_phone(n: int) -> str:
    """Return the n-th synthetic phone number: +25470000NNNN."""
    return f"+25470000{n % DEMO_PHONES:04d}"


def _path(kind: DocumentKind, rng: random.Random) -> tuple[DocumentStatus, ...]:
    if rng.random() < 0.06:
        side = rng.choice(list(SIDE_STATES))
        return (S.SUBMITTED, S.PROCESSING, side)
    path = DOWNLOAD_PATH if kind is DocumentKind.GOOD_CONDUCT else COLLECTED_PATH
    return path[: rng.randint(1, len(path))]


def _document(
    index: int,
    today: date,
    rng: random.Random,
    centres: list[Centre],
    dl_centres: list[Centre],
    hash_key: str,
) -> tuple[dict[str, object], list[DocumentStatus]]:
    kind = rng.choices(list(PREFIX), weights=KIND_WEIGHTS)[0]
    path = _path(kind, rng)
    centre = rng.choice(dl_centres if kind is DocumentKind.DRIVING_LICENCE else centres)
    days_ago = rng.randint(1, 60)
    changed = datetime.combine(today - timedelta(days=days_ago), time(9), UTC)
    id_number = f"{rng.randint(10_000_000, 39_999_999)}" if kind is DocumentKind.ID_CARD else None
    row: dict[str, object] = {
        "reference": f"{PREFIX[kind]}{100000 + index}",
        "kind": kind.value,
        "owner_phone": demo_phone(index),
        "id_number_masked": mask_id_number(id_number) if id_number else None,
        "id_number_hash": keyed_hash(id_number, hash_key) if id_number else None,
        "status": path[-1].value,
        "centre_id": centre.id,
        "status_changed_at": changed,
        "created_at": changed - timedelta(days=3 * (len(path) - 1)),
        "updated_at": changed,
    }
    return row, list(path)


def _events(
    document_id: int, path: list[DocumentStatus], last: datetime
) -> list[dict[str, object]]:
    previous: DocumentStatus | None = None
    events: list[dict[str, object]] = []
    for step, status in enumerate(path):
        at = last - timedelta(days=3 * (len(path) - 1 - step))
        events.append(
            {
                "document_id": document_id,
                "from_status": previous,
                "to_status": status.value,
                "changed_at": at,
                "received_at": at,
                "source": "seed",
            }
        )
        previous = status
    return events


def _samples(session: Session) -> list[SampleDocument]:
    samples = []
    for status in (
        S.READY_FOR_COLLECTION,
        S.PROCESSING,
        S.AVAILABLE_ON_ECITIZEN,
        S.COLLECTED,
        S.NEEDS_ACTION,
    ):
        doc = session.scalars(
            select(Document).where(Document.status == status).order_by(Document.id).limit(1)
        ).first()
        if doc is not None:
            samples.append(SampleDocument(doc.reference, doc.status, doc.owner_phone))
    return samples


def _seed_languages(session: Session) -> None:
    known = set(session.scalars(select(LanguagePreference.phone)))
    rows = [
        {"phone": demo_phone(n), "language": "sw"}
        for n in range(0, DEMO_PHONES, 3)
        if demo_phone(n) not in known
    ]
    if rows:
        session.execute(insert(LanguagePreference), rows)


def seed_documents(
    session: Session, *, count: int, today: date, hash_key: str
) -> tuple[int, list[SampleDocument]]:
    """Insert the synthetic applications that are missing; the same seed gives the same data."""
    rng = random.Random(2026)
    centres = list(session.scalars(select(Centre).order_by(Centre.id)))
    dl_centres = [c for c in centres if c.smart_dl_desk] or centres
    known = set(session.scalars(select(Document.reference)))
    added = 0
    for index in range(count):
        row, path = _document(index, today, rng, centres, dl_centres, hash_key)
        if row["reference"] in known:
            continue
        doc_id = session.execute(insert(Document).returning(Document.id), row).scalar_one()
        session.execute(insert(DocumentEvent), _events(doc_id, path, row["status_changed_at"]))  # type: ignore[arg-type]
        added += 1
    _seed_languages(session)
    return added, _samples(session)
