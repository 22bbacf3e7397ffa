"""Centres, their hours and holidays, agencies, services and appointment slots."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.geo import Constituency, County


class Centre(Base):
    """A Huduma service centre."""

    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    constituency_id: Mapped[int | None] = mapped_column(ForeignKey("constituencies.id"))
    town: Mapped[str] = mapped_column(String(80))
    smart_dl_desk: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    county: Mapped[County] = relationship()
    constituency: Mapped[Constituency | None] = relationship()
    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="centre", cascade="all, delete-orphan", order_by="OpeningHours.weekday"
    )
    services: Mapped[list[CentreService]] = relationship(back_populates="centre")


class OpeningHours(Base):
    """When a centre is open on one weekday (0 = Monday); no row means closed."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        UniqueConstraint("centre_id", "weekday"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    opens: Mapped[time]
    closes: Mapped[time]
    centre: Mapped[Centre] = relationship(back_populates="hours")


class Holiday(Base):
    """A day a centre (or, with no centre, every centre) is closed."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("day", "centre_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(80))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"))


class Agency(Base):
    """A government agency whose services centres offer (NRB, DCI, NTSA...)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Service(Base):
    """A service a citizen can book, named in English and Kiswahili."""

    __tablename__ = "services"
    __table_args__ = (CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name_en: Mapped[str] = mapped_column(String(60))
    name_sw: Mapped[str] = mapped_column(String(60))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    slot_minutes: Mapped[int] = mapped_column(default=30)
    demand_rank: Mapped[int] = mapped_column(default=100)
    needs_smart_dl_desk: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    agency: Mapped[Agency] = relationship()


class CentreService(Base):
    """A service offered at a centre, with its seats per slot."""

    __tablename__ = "centre_services"
    __table_args__ = (
        UniqueConstraint("centre_id", "service_id"),
        CheckConstraint("capacity_per_slot >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    capacity_per_slot: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    centre: Mapped[Centre] = relationship(back_populates="services")
    service: Mapped[Service] = relationship()


class Slot(Base):
    """An appointment slot; the CHECK keeps `booked` within capacity whatever the code does."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("centre_id", "service_id", "starts_at"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)
    centre: Mapped[Centre] = relationship()
    service: Mapped[Service] = relationship()
