"""What citizens say about a visit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.centres import Centre, Service


class Feedback(Base):
    """A rating of 1-5 with an optional comment; the phone is kept only as a hash."""

    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), unique=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), unique=True)
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(String(160))
    channel: Mapped[str] = mapped_column(String(10), default="ussd")
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    centre: Mapped[Centre] = relationship()
    service: Mapped[Service | None] = relationship()
