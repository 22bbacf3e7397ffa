"""The outbox: every SMS is first a committed row, then a job that takes its id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from models import Message, MessageClass
from models.bulk import among, insert_rows

PENDING_KEY = "outbox_pending"
BULK_PENDING_KEY = "outbox_pending_bulk"
Dispatch = Callable[[list[int]], None]


def is_bulk(message_class: str, broadcast_id: int | None) -> bool:
    """Broadcasts and awareness messages wait behind transactional ones."""
    return broadcast_id is not None or message_class == MessageClass.AWARENESS


def _remember(session: Session, ids: Sequence[int], *, bulk: bool) -> None:
    session.info.setdefault(BULK_PENDING_KEY if bulk else PENDING_KEY, []).extend(ids)


def queue_message(
    session: Session,
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
    _remember(session, [message.id], bulk=is_bulk(message_class, broadcast_id))
    return message


def queue_messages(
    session: Session, rows: list[dict[str, Any]], *, new_keys: bool = False
) -> list[int]:
    """Insert many messages (dicts of Message columns) at once, skipping known keys.

    `new_keys` says every key names something created in this transaction (a new event id),
    so none can exist yet and the lookup is skipped.
    """
    known: set[str] = set()
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
    for bulk in (False, True):
        chosen = [i for i, row in zip(ids, fresh, strict=True) if _row_is_bulk(row) == bulk]
        _remember(session, chosen, bulk=bulk)
    return ids


def _row_is_bulk(row: dict[str, Any]) -> bool:
    return is_bulk(row.get("message_class", MessageClass.TRANSACTIONAL), row.get("broadcast_id"))


def install_dispatch(
    factory: sessionmaker[Session], dispatch: Dispatch, *, bulk: Dispatch | None = None
) -> None:
    """Call `dispatch` (and `bulk` for bulk-lane ids) once the queuing transaction commits."""

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        ids = session.info.pop(PENDING_KEY, [])
        bulk_ids = session.info.pop(BULK_PENDING_KEY, [])
        if ids:
            dispatch(ids)
        if bulk_ids:
            (bulk or dispatch)(bulk_ids)

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(PENDING_KEY, None)
        session.info.pop(BULK_PENDING_KEY, None)
