"""Administration of the network: centres, hours, services offered, seats, holidays, agency keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Agency,
    AgencyKey,
    Booking,
    Centre,
    CentreService,
    Constituency,
    County,
    Holiday,
    OpeningHours,
    Service,
    Slot,
    Ticket,
)
from services.slots import extend_slots, reconcile_slots
from sms import segments

PLAIN = segments.GSM7_BASIC - set("\n\r\x1b")  # one GSM-7 unit each, on one line

CALL_REASON = "booking_closed"
CENTRE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
SERVICE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,29}$")
SLOT_MINUTES = (10, 15, 20, 30, 45, 60, 90, 120)
# Names are shown on USSD screens of at most 160 characters and in one-part SMS: every screen
# is checked to fit with names of exactly these lengths (tests/test_ussd_walk.py).
CENTRE_NAME_MAX = 30
NAME_MAX = 30  # a service's name, in each language
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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
    # Upper case, as the status feed and the CSV import look centres up by their code.
    code, name = code.strip().upper(), citizen_name(name, CENTRE_NAME_MAX, "a centre name")
    if not code or not name or not town.strip():
        raise AdminError("a centre needs a code, a name and a town")
    if not CENTRE_CODE.match(code):
        raise AdminError("a centre code is 2-40 letters, digits, - or _")
    taken = session.scalar(select(Centre.id).where(Centre.code == code))
    if taken is not None and (centre is None or taken != centre.id):
        raise AdminError(f"the code {code} is taken")
    if session.get(County, county_id) is None:
        raise AdminError("choose a county")
    if constituency_id is not None and session.get(Constituency, constituency_id) is None:
        raise AdminError("choose a constituency from the list")
    centre = centre or Centre()
    centre.code, centre.name, centre.town = code, name, town.strip()
    centre.county_id, centre.constituency_id, centre.active = county_id, constituency_id, active
    session.add(centre)
    session.flush()
    return centre


def citizen_name(raw: str, limit: int, what: str) -> str:
    """A name citizens will read: typographic quotes made plain, then refused unless it fits.

    It must be plain GSM-7 (one character each: an accent or a brace would turn every SMS
    naming it into a costlier encoding or a longer one) and at most `limit` characters.
    """
    name = " ".join(segments.normalise(raw).split())
    odd = sorted({ch for ch in name if ch not in PLAIN})
    if odd:
        raise AdminError(f"{what} may hold only plain letters, digits and punctuation (GSM-7, "
                         f"one SMS part): remove {' '.join(odd)}")  # fmt: skip
    if len(name) > limit:
        raise AdminError(f"{what} is at most {limit} characters, so every USSD screen and SMS "
                         f"that shows it fits; this one has {len(name)}")  # fmt: skip
    return name


def set_hours(session: Session, centre: Centre, hours: dict[int, tuple[time, time] | None]) -> None:
    """Replace a centre's opening hours; None closes it on that weekday."""
    for span in hours.values():
        if span is not None and span[0] >= span[1]:
            raise AdminError("a centre must open before it closes")
    # Change rows in place: replacing them would insert before deleting, against the unique key.
    current = {h.weekday: h for h in centre.hours}
    for weekday, span in sorted(hours.items()):
        row = current.get(weekday)
        if span is None:
            if row is not None:
                centre.hours.remove(row)
        elif row is None:
            centre.hours.append(OpeningHours(weekday=weekday, opens=span[0], closes=span[1]))
        else:
            row.opens, row.closes = span
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
    if centre_id is not None and session.get(Centre, centre_id) is None:
        raise AdminError("choose a centre from the list")
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


def add_service(
    session: Session,
    *,
    code: str,
    name_en: str,
    name_sw: str,
    demand_rank: int,
    agency_id: int,
    slot_minutes: int,
) -> Service:
    """Add a type of service centres can offer; its names must fit a USSD screen."""
    code = code.strip().upper()
    name_en = citizen_name(name_en, NAME_MAX, "the English name")
    name_sw = citizen_name(name_sw, NAME_MAX, "the Kiswahili name")
    if not SERVICE_CODE.match(code):
        raise AdminError("a service code is 2-30 capital letters, digits or _, e.g. NHIF_CARD")
    if session.scalar(select(Service.id).where(Service.code == code)) is not None:
        raise AdminError(f"the service code {code} is taken")
    if not (2 <= len(name_en) <= NAME_MAX and 2 <= len(name_sw) <= NAME_MAX):
        raise AdminError(f"give the English and Kiswahili names, each 2-{NAME_MAX} characters")
    if not 1 <= demand_rank <= 999:
        raise AdminError("the demand rank is between 1 (most asked for) and 999")
    if slot_minutes not in SLOT_MINUTES:
        raise AdminError("a slot lasts " + ", ".join(map(str, SLOT_MINUTES)) + " minutes")
    if session.get(Agency, agency_id) is None:
        raise AdminError("choose the agency that issues it")
    service = Service(
        code=code,
        name_en=name_en,
        name_sw=name_sw,
        demand_rank=demand_rank,
        agency_id=agency_id,
        slot_minutes=slot_minutes,
    )
    session.add(service)
    session.flush()
    return service


def set_service_active(service: Service, active: bool) -> None:
    """Make a type of service bookable everywhere it is offered, or nowhere."""
    service.active = active


@dataclass(frozen=True, slots=True)
class SlotReport:
    """What an administrative change did to the slots that already existed."""

    resized: int
    removed: int
    closed: int
    added: int
    tickets: int

    def as_detail(self) -> dict[str, int]:
        """Return the counts for the audit log."""
        return {
            "slots_resized": self.resized,
            "slots_removed": self.removed,
            "slots_closed": self.closed,
            "slots_added": self.added,
            "call_tickets": self.tickets,
        }

    def summary(self) -> str:
        """Say what happened, for the page."""
        text = (
            f"Future slots: {self.added} added, {self.resized} resized, "
            f"{self.removed} removed, {self.closed} closed."
        )
        if self.tickets:
            text += f" {self.tickets} booked appointments need a call: see Tickets."
        return text


def apply_to_slots(
    session: Session,
    *,
    now: datetime,
    today: date,
    horizon: int,
    tz: ZoneInfo,
    centre_id: int | None = None,
    day: date | None = None,
    service_id: int | None = None,
) -> SlotReport:
    """Bring existing slots in line with a change, open new ones, and ticket stranded bookings."""
    session.flush()
    changes = reconcile_slots(
        session, now=now, tz=tz, centre_id=centre_id, day=day, service_id=service_id
    )
    added = extend_slots(
        session, start=today, count=horizon, tz=tz, centre_id=centre_id, day=day,
        service_id=service_id,
    )  # fmt: skip
    tickets = open_call_tickets(session, changes.stranded, tz)
    return SlotReport(changes.resized, changes.removed, changes.closed, added, tickets)


def open_call_tickets(session: Session, stranded: list[tuple[Booking, str]], tz: ZoneInfo) -> int:
    """Open one call ticket per booking whose slot closed; return how many are new."""
    made = 0
    for booking, why in stranded:
        listed = select(Ticket.id).where(
            Ticket.reason == CALL_REASON,
            Ticket.status == "open",
            Ticket.summary.startswith(f"{booking.reference}:"),
        )
        if session.scalar(listed) is not None:
            continue
        slot = session.get(Slot, booking.slot_id)
        if slot is None:
            continue
        when = slot.starts_at.astimezone(tz)
        summary = (
            f"{booking.reference}: {slot.centre.name}, {when:%a %d/%m/%Y %H:%M}, "
            f"{slot.service.name_en}. Closed ({why}): call to rebook."
        )
        session.add(Ticket(reason=CALL_REASON, phone=booking.phone, summary=summary[:200]))
        made += 1
    session.flush()
    return made


Snapshot = dict[str, dict[str, object]]
MISSING: dict[str, object] = {"fields": None, "hours": "closed", "seats": "not offered"}


def describe_centre(centre: Centre | None) -> Snapshot:
    """Return a centre's details, hours and seats as plain values, to compare before and after."""
    if centre is None:
        return {"fields": {}, "hours": {}, "seats": {}}
    fields = ("code", "name", "town", "county_id", "constituency_id", "active")
    return {
        "fields": {name: getattr(centre, name) for name in fields},
        "hours": {
            WEEKDAY_NAMES[h.weekday]: f"{h.opens:%H:%M}-{h.closes:%H:%M}" for h in centre.hours
        },
        "seats": {o.service.code: o.capacity_per_slot for o in centre.services if o.active},
    }


def centre_changes(before: Snapshot, after: Snapshot) -> dict[str, object]:
    """Return what changed in each group (fields, hours, seats) as {name: [before, after]}."""
    changed: dict[str, object] = {}
    for group, missing in MISSING.items():
        old, new = before[group], after[group]
        diff = {
            key: [old.get(key, missing), new.get(key, missing)]
            for key in sorted(set(old) | set(new))
            if old.get(key, missing) != new.get(key, missing)
        }
        if diff:
            changed[group] = diff
    return changed
