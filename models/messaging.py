"""The SMS outbox, broadcasts, inbound messages, opt-outs and language choices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class MessageClass(StrEnum):
    TRANSACTIONAL = "transactional"
    AWARENESS = "awareness"


class MessageStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"


class Message(Base):
    """One SMS to one recipient; the database, not Redis, is its source of truth."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_status_next", "status", "next_attempt_at"),
        Index("ix_messages_broadcast_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(16), index=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    message_class: Mapped[str] = mapped_column(String(14), default=MessageClass.TRANSACTIONAL)
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.PENDING)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    verification_code: Mapped[str | None] = mapped_column(String(12), index=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    at_message_id: Mapped[str | None] = mapped_column(String(80), index=True)
    encoding: Mapped[str] = mapped_column(String(5), default="GSM-7")
    parts: Mapped[int] = mapped_column(default=1)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    failure_reason: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class Broadcast(Base):
    """A bulk send composed by staff, approved by a second supervisor when large."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body_en: Mapped[str] = mapped_column(Text)
    body_sw: Mapped[str] = mapped_column(Text)
    message_class: Mapped[str] = mapped_column(String(14))
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=BroadcastStatus.DRAFT)
    recipient_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    scheduled_for: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class OptOut(Base):
    """A number that receives no awareness messages (STOP, AT opt-out) or none (blacklist)."""

    __tablename__ = "opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMessage(Base):
    """An SMS a citizen sent us, deduplicated on AT's id."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    at_id: Mapped[str] = mapped_column(String(80), unique=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    to: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    link_id: Mapped[str | None] = mapped_column(String(80))
    network_code: Mapped[str | None] = mapped_column(String(8))
    keyword: Mapped[str | None] = mapped_column(String(12))
    matched: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LanguagePreference(Base):
    """The language a citizen chose, remembered per phone number."""

    __tablename__ = "language_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    language: Mapped[str] = mapped_column(String(2))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
