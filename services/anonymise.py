"""Strip the personal data out of rows that are kept for their figures (retention, erasure)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, inspect, select, update
from sqlalchemy.orm import QueryableAttribute, Session

from identifiers.numbers import mask_phone
from models import (
    Base,
    Booking,
    Document,
    Feedback,
    InboundMessage,
    Message,
    MessageStatus,
    Ticket,
)

MASK = "*"  # a masked number holds one; a whole number never does
WAITING = (MessageStatus.PENDING, MessageStatus.QUEUED)


def unmasked(column: QueryableAttribute[str]) -> ColumnElement[bool]:
    """Rows whose phone `column` still holds a whole number."""
    return ~column.contains(MASK)


def _bulk(session: Session, model: type[Base], rows: list[dict[str, object]]) -> int:
    if rows:
        session.execute(update(model), rows)  # one executemany by primary key
    return len(rows)


def messages(session: Session, ids: Sequence[int]) -> int:
    """Mask the number of outbox messages, drop their text, codes and errors; stop waiting ones."""
    found = session.execute(
        select(Message.id, Message.recipient, Message.idempotency_key, Message.status)
        .where(Message.id.in_(ids), unmasked(Message.recipient))
    ).all()  # fmt: skip
    rows: list[dict[str, object]] = [
        {"id": id_, "recipient": mask_phone(phone), "body": "", "verification_code": None,
         "last_error": None, "idempotency_key": key.replace(phone, f"#{id_}"),
         "status": MessageStatus.CANCELLED if status in WAITING else status}
        for id_, phone, key, status in found
    ]  # fmt: skip
    return _bulk(session, Message, rows)


def inbound(session: Session, ids: Sequence[int]) -> int:
    """Mask the sender of inbound SMS and drop what they wrote (the keyword stays)."""
    found = session.execute(
        select(InboundMessage.id, InboundMessage.phone)
        .where(InboundMessage.id.in_(ids), unmasked(InboundMessage.phone))
    ).all()  # fmt: skip
    rows: list[dict[str, object]] = [
        {"id": id_, "phone": mask_phone(phone), "text": "", "link_id": None} for id_, phone in found
    ]
    return _bulk(session, InboundMessage, rows)


def bookings(session: Session, ids: Sequence[int]) -> int:
    """Mask the number of bookings and drop the ID number behind them."""
    found = session.execute(
        select(Booking.id, Booking.phone).where(Booking.id.in_(ids), unmasked(Booking.phone))
    ).all()
    rows: list[dict[str, object]] = [
        {"id": id_, "phone": mask_phone(phone), "id_number_hash": None, "id_number_masked": None}
        for id_, phone in found
    ]
    return _bulk(session, Booking, rows)


def documents(session: Session, ids: Sequence[int]) -> int:
    """Mask the owner's number of documents and drop the ID number behind them."""
    found = session.execute(
        select(Document.id, Document.owner_phone)
        .where(Document.id.in_(ids), unmasked(Document.owner_phone))
    ).all()  # fmt: skip
    rows: list[dict[str, object]] = [
        {"id": id_, "owner_phone": mask_phone(phone), "id_number_hash": None,
         "id_number_masked": None}
        for id_, phone in found
    ]  # fmt: skip
    return _bulk(session, Document, rows)


def tickets(session: Session, ids: Sequence[int]) -> int:
    """Mask the number of tickets and drop staff's notes of the call."""
    found = session.execute(
        select(Ticket.id, Ticket.phone).where(Ticket.id.in_(ids), unmasked(Ticket.phone))
    ).all()
    rows: list[dict[str, object]] = [
        {"id": id_, "phone": mask_phone(phone), "note": None} for id_, phone in found
    ]
    return _bulk(session, Ticket, rows)


def feedback(session: Session, ids: Sequence[int]) -> int:
    """Drop the comment and the phone's hash of ratings (the rating itself stays)."""
    query = (
        update(Feedback)
        .where(Feedback.id.in_(ids), Feedback.phone_hash != "")
        .values(comment=None, phone_hash="")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(session.execute(query), "rowcount", 0) or 0)


def remove(model: type[Base], session: Session, ids: Sequence[int]) -> int:
    """Delete rows of `model` by id."""
    key = inspect(model).primary_key[0]
    query = delete(model).where(key.in_(ids)).execution_options(synchronize_session=False)
    return int(getattr(session.execute(query), "rowcount", 0) or 0)
