"""Visits at a centre: the queue ticket a citizen gets at check-in, until served or gone."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.centres import Centre, Service


class VisitStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    NO_SHOW = "no_show"


class Outcome(StrEnum):
    """What came of serving a visit."""

    DONE = "done"
    INCOMPLETE = "incomplete"  # papers missing: the citizen comes back
    REFERRED = "referred"  # sent to another office or agency


class Visit(Base):
    """A citizen at a centre for one service: booked (with its booking) or walked in.

    `priority_at` orders the queue: a booked citizen on time keeps the slot's start, a late one
    and a walk-in queue from arrival (a walk-in no earlier than the slot whose seat it took).
    """

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("centre_id", "day", "number"),
        Index("ix_visits_queue", "centre_id", "status", "priority_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id", ondelete="SET NULL"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16), index=True)
    language: Mapped[str] = mapped_column(String(2), default="en")
    day: Mapped[date]
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=VisitStatus.WAITING)
    priority_at: Mapped[datetime]
    arrived_at: Mapped[datetime] = mapped_column(default=utcnow)
    called_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    counter: Mapped[int | None]
    outcome: Mapped[str | None] = mapped_column(String(12))
    told_near: Mapped[bool] = mapped_column(default=False)  # at check-in: three or fewer ahead
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    centre: Mapped[Centre] = relationship()
    service: Mapped[Service] = relationship()

    @property
    def ticket(self) -> str:
        """The number printed and called: 007."""
        return f"{self.number:03d}"
