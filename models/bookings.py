"""Appointments booked by citizens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.centres import Slot


class BookingStatus(StrEnum):
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"
    ATTENDED = "ATTENDED"
    NO_SHOW = "NO_SHOW"


class Booking(Base):
    """A seat in a slot, held by a phone number under a short reference."""

    __tablename__ = "bookings"
    __table_args__ = (Index("ix_bookings_phone_status", "phone", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    phone: Mapped[str] = mapped_column(String(16))
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=BookingStatus.ACTIVE)
    language: Mapped[str] = mapped_column(String(2), default="en")
    id_number_masked: Mapped[str | None] = mapped_column(String(20))
    id_number_hash: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10), default="ussd")  # ussd, or desk by an agent
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    slot: Mapped[Slot] = relationship()
