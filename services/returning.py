"""What a phone booked before, so a returning caller can go the same way in fewer inputs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Booking, Centre, CentreService, Service, Slot

RECENT = 5  # earlier bookings looked at


@dataclass(frozen=True, slots=True)
class Place:
    """A centre the caller used before, as the county screen offers it."""

    centre_id: int
    county_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Shown:
    """An ID (or birth certificate) number a caller gave before: masked, hashed, for what."""

    masked: str
    digest: str
    service_code: str


def last_place(session: Session, phone: str, service_id: int) -> Place | None:
    """The centre of the phone's latest booking, if it is open and offers the service."""
    offered = select(CentreService.centre_id).where(
        CentreService.service_id == service_id, CentreService.active
    )
    query = (
        select(Centre.id, Centre.county_id, Centre.name, Centre.active)
        .join(Slot, Slot.centre_id == Centre.id)
        .join(Booking, Booking.slot_id == Slot.id)
        .where(Booking.phone == phone)
        .order_by(Booking.created_at.desc(), Booking.id.desc())
        .limit(1)
    )
    row = session.execute(query).first()
    if row is None or not row.active:
        return None
    open_here = session.scalar(offered.where(CentreService.centre_id == row.id))
    return None if open_here is None else Place(row.id, row.county_id, row.name)


def shown_before(session: Session, phone: str) -> list[Shown]:
    """The numbers the phone's latest bookings were made with, newest first."""
    query = (
        select(Booking.id_number_masked, Booking.id_number_hash, Service.code)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Service, Service.id == Slot.service_id)
        .where(Booking.phone == phone, Booking.id_number_hash.is_not(None))
        .order_by(Booking.created_at.desc(), Booking.id.desc())
        .limit(RECENT)
    )
    rows = session.execute(query)
    return [Shown(masked or "", digest or "", code) for masked, digest, code in rows]
