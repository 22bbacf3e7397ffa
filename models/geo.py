"""Counties and constituencies (IEBC numbering)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base


class County(Base):
    """One of the 47 counties."""

    __tablename__ = "counties"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    constituencies: Mapped[list[Constituency]] = relationship(back_populates="county")


class Constituency(Base):
    """One of the 290 constituencies."""

    __tablename__ = "constituencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(60))
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    county: Mapped[County] = relationship(back_populates="constituencies")
