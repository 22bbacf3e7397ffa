"""'Ready' notices: one SMS per notifying transition, in the owner's language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identifiers.codes import verification_codes
from models import Centre, DocumentKind, DocumentStatus, MessageClass
from models.work import Work
from sms.languages import languages
from sms.outbox import queue_messages
from sms.segments import count
from sms.templates import compose
from words.documents import status_text


def notifies(kind: str, status: str) -> bool:
    """True when reaching `status` earns a notice: ready to collect, or good conduct online."""
    if status == DocumentStatus.READY_FOR_COLLECTION:
        return True
    # Only the certificate of good conduct is issued for download on eCitizen.
    return status == DocumentStatus.AVAILABLE_ON_ECITIZEN and kind == DocumentKind.GOOD_CONDUCT


@dataclass(frozen=True, slots=True)
class Transition:
    """A document that just changed status, and the event that recorded it."""

    document_id: int
    reference: str
    kind: str
    status: str
    owner_phone: str
    centre_id: int | None
    event_id: int


def centre_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the centres `ids`."""
    wanted = [i for i in set(ids) if i is not None]
    return dict(session.execute(select(Centre.id, Centre.name).where(Centre.id.in_(wanted))).all())


def notice_text(transition: Transition, language: str, centre: str, code: str, dial: str) -> str:
    """The notice of a transition in `language`: the status told as on USSD, full reference."""
    body = status_text(language, transition.kind, transition.status, transition.reference, centre)
    return compose(language, body, code, dial)


def notice_row(
    transition: Transition, language: str, centre: str, code: str, dial: str
) -> dict[str, Any]:
    """The outbox row of one notice, keyed by (document, transition)."""
    body = notice_text(transition, language, centre, code, dial)
    segments = count(body)
    return {"recipient": transition.owner_phone, "body": body, "kind": "notice",
            "idempotency_key": f"notice:{transition.document_id}:{transition.event_id}",
            "language": language, "message_class": MessageClass.TRANSACTIONAL,
            "document_id": transition.document_id, "verification_code": code,
            "encoding": segments.encoding, "parts": segments.parts}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Voice:
    """How notices speak: the language of owners who chose none, the code to dial to check."""

    default_language: str
    dial: str = ""


def queue_notices(work: Work, transitions: list[Transition], voice: Voice) -> None:
    """Queue one notice per transition just recorded (keyed by its new event id)."""
    if not transitions:
        return
    session = work.session
    langs = languages(session, (t.owner_phone for t in transitions), voice.default_language)
    centres = centre_names(session, (t.centre_id for t in transitions))
    rows = [
        notice_row(t, langs[t.owner_phone], centres.get(t.centre_id or 0, ""), code, voice.dial)
        for t, code in zip(transitions, verification_codes(len(transitions)), strict=True)
    ]
    # Each key names an event this transaction has just inserted, so it cannot exist yet.
    queue_messages(work, rows, new_keys=True)
