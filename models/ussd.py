"""End-of-session events from Africa's Talking: the USSD drop-off funnel."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class UssdSessionEvent(Base):
    """How one USSD session ended, and on which screen."""

    __tablename__ = "ussd_session_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(String(100), unique=True)
    service_code: Mapped[str] = mapped_column(String(30))
    network_code: Mapped[str | None] = mapped_column(String(8))
    phone_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), index=True)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    duration_ms: Mapped[int | None]
    hops_count: Mapped[int | None]
    last_screen: Mapped[str | None] = mapped_column(String(60), index=True)
    language: Mapped[str | None] = mapped_column(String(2))
    last_app_response: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(String(200))
    ended_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
