"""How far the nightly retention job has got through each table it walks in id order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class RetentionMark(Base):
    """Every row of data class `name` up to `last_id` is treated; the next run starts after it."""

    __tablename__ = "retention_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
