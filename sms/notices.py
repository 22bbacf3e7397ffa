"""'Ready' notices: one SMS per notifying transition, in the owner's language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Centre, Document, DocumentStatus, LanguagePreference, MessageClass
from services.codes import new_code
from sms.outbox import queue_messages
from sms.segments import count
from sms.templates import kind_values, language_of, render

NOTIFYING = {DocumentStatus.READY_FOR_COLLECTION, DocumentStatus.AVAILABLE_ON_ECITIZEN}


@dataclass(frozen=True, slots=True)
class Transition:
    """A document that just changed status, and the event that recorded it."""

    document: Document
    event_id: int


def languages(session: Session, phones: Iterable[str], default: str) -> dict[str, str]:
    """The language each phone chose, or `default`."""
    wanted = list(set(phones))
    rows = session.execute(
        select(LanguagePreference.phone, LanguagePreference.language).where(
            LanguagePreference.phone.in_(wanted)
        )
    ).all()
    chosen = dict(rows)
    return {phone: language_of(chosen.get(phone, default)) for phone in wanted}


def centre_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the centres `ids`."""
    wanted = [i for i in set(ids) if i is not None]
    return dict(session.execute(select(Centre.id, Centre.name).where(Centre.id.in_(wanted))).all())


def notice_text(document: Document, language: str, centre: str, code: str) -> str:
    """Render the notice for `document` in `language`."""
    name = "ecitizen" if document.status == DocumentStatus.AVAILABLE_ON_ECITIZEN else "ready"
    values = kind_values(document.kind, language)
    return render(name, language, ref=document.reference, centre=centre, code=code, **values)


def notice_row(transition: Transition, language: str, centre: str) -> dict[str, Any]:
    """The outbox row of one notice, keyed by (document, transition)."""
    document, code = transition.document, new_code()
    body = notice_text(document, language, centre, code)
    segments = count(body)
    return {"recipient": document.owner_phone, "body": body, "kind": "notice",
            "idempotency_key": f"notice:{document.id}:{transition.event_id}",
            "language": language, "message_class": MessageClass.TRANSACTIONAL,
            "document_id": document.id, "verification_code": code,
            "encoding": segments.encoding, "parts": segments.parts}  # fmt: skip


def queue_notices(session: Session, transitions: list[Transition], default_language: str) -> None:
    """Queue one notice per transition (the outbox skips keys it has seen)."""
    if not transitions:
        return
    langs = languages(session, (t.document.owner_phone for t in transitions), default_language)
    centres = centre_names(session, (t.document.centre_id for t in transitions))
    rows = [
        notice_row(
            t, langs[t.document.owner_phone], centres.get(t.document.centre_id or 0, "eCitizen")
        )
        for t in transitions
    ]
    queue_messages(session, rows)
