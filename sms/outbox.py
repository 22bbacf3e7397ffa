"""The outbox: every SMS is first a committed row, then a job that takes its id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    select,
)

from models import Message, MessageClass
from models.bulk import among, insert_rows
from models.work import Lane, Work


def lane_of(message_class: str, broadcast_id: int | None) -> Lane:
    """Broadcasts and awareness messages wait behind transactional ones."""
    if broadcast_id is not None or message_class == MessageClass.AWARENESS:
        return Lane.BULK
    return Lane.TRANSACTIONAL


def queue_message(
    work: Work,
    *,
    recipient: str,
    body: str,
    kind: str,
    idempotency_key: str,
    language: str = "en",
    message_class: MessageClass = MessageClass.TRANSACTIONAL,
    document_id: int | None = None,
    booking_id: int | None = None,
    broadcast_id: int | None = None,
    verification_code: str | None = None,
) -> Message:
    """Add a message unless its idempotency key exists; it is enqueued after the commit."""
    session = work.session
    existing = session.scalars(
        select(Message).where(Message.idempotency_key == idempotency_key)
    ).first()
    if existing is not None:
        return existing
    message = Message(
        recipient=recipient, body=body, kind=kind, idempotency_key=idempotency_key,
        language=language, message_class=message_class, document_id=document_id,
        booking_id=booking_id, broadcast_id=broadcast_id, verification_code=verification_code,
    )  # fmt: skip
    session.add(message)
    session.flush()
    work.send_after_commit([message.id], lane_of(message_class, broadcast_id))
    return message


def queue_messages(work: Work, rows: list[dict[str, Any]], *, new_keys: bool = False) -> list[int]:
    """Insert many messages (dicts of Message columns) at once, skipping known keys.

    `new_keys` says every key names something created in this transaction (a new event id),
    so none can exist yet and the lookup is skipped.
    """
    session, known = work.session, set[str]()
    if not new_keys:
        keys = [row["idempotency_key"] for row in rows]
        lookup = select(Message.idempotency_key).where(
            among(session, Message.idempotency_key, keys)
        )
        known = set(session.scalars(lookup))
    fresh = [row for row in rows if row["idempotency_key"] not in known]
    if not fresh:
        return []
    ids = insert_rows(session, Message, fresh)
    for lane in Lane:
        chosen = [i for i, row in zip(ids, fresh, strict=True) if _row_lane(row) == lane]
        if chosen:
            work.send_after_commit(chosen, lane)
    return ids


def _row_lane(row: dict[str, Any]) -> Lane:
    return lane_of(row.get("message_class", MessageClass.TRANSACTIONAL), row.get("broadcast_id"))
