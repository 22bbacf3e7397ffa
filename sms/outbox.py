"""The outbox: every SMS is first a committed row, then a job that takes its id."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from models import Message, MessageClass

PENDING_KEY = "outbox_pending"
Dispatch = Callable[[list[int]], None]


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
    session.info.setdefault(PENDING_KEY, []).append(message.id)
    return message


def install_dispatch(factory: sessionmaker[Session], dispatch: Dispatch) -> None:
    """Call `dispatch` with the ids a session queued, once its transaction has committed."""

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        ids = session.info.pop(PENDING_KEY, [])
        if ids:
            dispatch(ids)

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(PENDING_KEY, None)
