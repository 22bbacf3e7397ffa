"""'Ready' notices: one SMS per notifying transition, in the owner's language."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from identifiers.codes import ALPHABET
from models import Centre, DocumentKind, DocumentStatus, MessageClass
from models.work import Work
from sms.languages import languages
from sms.outbox import queue_messages
from sms.segments import count
from sms.templates import kind_values, render


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


def notice_text(transition: Transition, language: str, centre: str, code: str) -> str:
    """Render the notice for a transition in `language`."""
    name = "ecitizen" if transition.status == DocumentStatus.AVAILABLE_ON_ECITIZEN else "ready"
    values = kind_values(transition.kind, language)
    return render(name, language, ref=transition.reference, centre=centre, code=code, **values)


def new_codes(count: int, length: int = 6) -> list[str]:
    """`count` random codes like identifiers.codes.new_code, from one read of the OS's randomness.

    A feed batch needs a thousand at once; one system call per character was a tenth of it.
    """
    codes: list[str] = []
    size = len(ALPHABET)
    usable = 256 - 256 % size  # bytes past this would favour the first letters
    while len(codes) < count:
        pool = [b for b in secrets.token_bytes(2 * length * (count - len(codes))) if b < usable]
        for start in range(0, len(pool) - length + 1, length):
            codes.append("".join(ALPHABET[b % size] for b in pool[start : start + length]))
            if len(codes) == count:
                break
    return codes


def notice_row(transition: Transition, language: str, centre: str, code: str) -> dict[str, Any]:
    """The outbox row of one notice, keyed by (document, transition)."""
    body = notice_text(transition, language, centre, code)
    segments = count(body)
    return {"recipient": transition.owner_phone, "body": body, "kind": "notice",
            "idempotency_key": f"notice:{transition.document_id}:{transition.event_id}",
            "language": language, "message_class": MessageClass.TRANSACTIONAL,
            "document_id": transition.document_id, "verification_code": code,
            "encoding": segments.encoding, "parts": segments.parts}  # fmt: skip


def queue_notices(work: Work, transitions: list[Transition], default_language: str) -> None:
    """Queue one notice per transition just recorded (keyed by its new event id)."""
    if not transitions:
        return
    session = work.session
    langs = languages(session, (t.owner_phone for t in transitions), default_language)
    centres = centre_names(session, (t.centre_id for t in transitions))
    rows = [
        notice_row(t, langs[t.owner_phone], centres.get(t.centre_id or 0, "eCitizen"), code)
        for t, code in zip(transitions, new_codes(len(transitions)), strict=True)
    ]
    # Each key names an event this transaction has just inserted, so it cannot exist yet.
    queue_messages(work, rows, new_keys=True)
