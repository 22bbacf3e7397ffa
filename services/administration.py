"""Administration of the network: centres, hours, services offered, seats, holidays, agency keys."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AgencyKey, Centre, CentreService, Holiday, OpeningHours


class AdminError(ValueError):
    """The change is refused; the message says why."""


def save_centre(
    session: Session,
    centre: Centre | None,
    *,
    code: str,
    name: str,
    town: str,
    county_id: int,
    constituency_id: int | None,
    active: bool,
) -> Centre:
    """Create a centre (when `centre` is None) or update one."""
    code, name = code.strip().lower(), name.strip()
    if not code or not name or not town.strip():
        raise AdminError("a centre needs a code, a name and a town")
    taken = session.scalar(select(Centre.id).where(Centre.code == code))
    if taken is not None and (centre is None or taken != centre.id):
        raise AdminError(f"the code {code} is taken")
    centre = centre or Centre()
    centre.code, centre.name, centre.town = code, name, town.strip()
    centre.county_id, centre.constituency_id, centre.active = county_id, constituency_id, active
    session.add(centre)
    session.flush()
    return centre


def set_hours(session: Session, centre: Centre, hours: dict[int, tuple[time, time] | None]) -> None:
    """Replace a centre's opening hours; None closes it on that weekday."""
    for span in hours.values():
        if span is not None and span[0] >= span[1]:
            raise AdminError("a centre must open before it closes")
    centre.hours = [
        OpeningHours(weekday=weekday, opens=span[0], closes=span[1])
        for weekday, span in sorted(hours.items())
        if span is not None
    ]
    session.flush()


def set_offer(
    session: Session, centre: Centre, service_id: int, capacity: int, active: bool
) -> None:
    """Offer (or stop offering) a service at a centre with `capacity` seats per slot."""
    if capacity < 0 or capacity > 500:
        raise AdminError("seats per slot must be between 0 and 500")
    offer = session.scalar(
        select(CentreService).where(
            CentreService.centre_id == centre.id, CentreService.service_id == service_id
        )
    )
    if offer is None:
        offer = CentreService(
            centre_id=centre.id, service_id=service_id, capacity_per_slot=capacity
        )
        session.add(offer)
    offer.capacity_per_slot, offer.active = capacity, active
    session.flush()


def add_holiday(session: Session, *, day: date, name: str, centre_id: int | None) -> Holiday:
    """Close every centre (or one) on a day."""
    where = Holiday.centre_id.is_(None) if centre_id is None else Holiday.centre_id == centre_id
    exists = session.scalar(select(Holiday.id).where(Holiday.day == day, where))
    if exists is not None or not name.strip():
        raise AdminError("that holiday exists already, or has no name")
    holiday = Holiday(day=day, name=name.strip()[:80], centre_id=centre_id)
    session.add(holiday)
    session.flush()
    return holiday


def revoke_key(key: AgencyKey, now: datetime) -> None:
    """Stop a key working from now on."""
    if key.revoked_at is None:
        key.revoked_at = now
