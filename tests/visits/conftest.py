"""Fixtures of the visit tests: two small centres with slots around a moment, staff, bookings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import (
    Agency,
    Booking,
    Centre,
    CentreService,
    County,
    Message,
    Role,
    Service,
    Slot,
    StaffUser,
    Visit,
    utcnow,
)
from models.work import Work
from services import bookings
from services.checkin import Desk
from tests.dates import NAIROBI, NOON
from tests.staff.conftest import as_role, login, make_staff

__all__ = ["as_role", "make_staff"]

GRACE = timedelta(minutes=15)
T = TypeVar("T")
SERVICES = (("ID_REPLACEMENT", "Replacement ID card", "Kitambulisho kilichopotea", 60),
            ("KRA_PIN", "KRA PIN", "PIN ya KRA", 30))  # fmt: skip
CENTRES = (("GPO", "Huduma Centre GPO"), ("NAKURU", "Huduma Centre Nakuru"))


@dataclass
class Floor:
    """The test's centres, services and slots (by local start time), and its clock."""

    app: Flask
    now: datetime
    centres: dict[str, int] = field(default_factory=dict)
    services: dict[str, int] = field(default_factory=dict)
    slots: dict[tuple[str, str, str], int] = field(default_factory=dict)
    staff_id: int = 0
    made: int = 0

    def session(self) -> Session:
        session: Session = self.app.extensions["huduma"].session_factory()
        return session

    def run(self, action: Callable[[Work], T]) -> T:
        """Run `action` in one committed unit of work, as a request would."""
        with self.app.extensions["huduma"].transaction() as work:
            return action(work)

    def slot(self, at: str, service: str = "ID_REPLACEMENT", centre: str = "GPO") -> int:
        return self.slots[(centre, service, at)]

    def desk(self, minutes: float = 0, centre: str = "GPO") -> Desk:
        """A desk at `centre`, `minutes` after the floor's moment."""
        moment = self.now + timedelta(minutes=minutes)
        return Desk(self.centres[centre], self.staff_id, moment, NAIROBI, GRACE)

    def book(
        self,
        phone: str,
        at: str,
        service: str = "ID_REPLACEMENT",
        centre: str = "GPO",
        lang: str = "en",
    ) -> str:
        """Book a seat the way USSD does; return the reference."""
        self.made += 1
        request = bookings.Request(phone, self.slot(at, service, centre), "****5678", "hash",
                                   lang, f"test-book-{self.made}")  # fmt: skip
        with self.app.extensions["huduma"].session_factory.begin() as session:
            before = self.now - timedelta(days=1)
            booking = bookings.book(session, request, now=before, limit=5, tz=NAIROBI)
            return booking.reference

    def add_slot(
        self, starts_at: datetime, service: str = "ID_REPLACEMENT", centre: str = "GPO"
    ) -> int:
        """Open one more slot (say tomorrow's) of a centre and service; return its id."""
        with self.app.extensions["huduma"].session_factory.begin() as session:
            slot = Slot(
                centre_id=self.centres[centre],
                service_id=self.services[service],
                starts_at=starts_at,
                capacity=2,
            )
            session.add(slot)
            session.flush()
            return slot.id

    def seats(self, slot_id: int) -> int:
        with self.session() as session:
            return session.get(Slot, slot_id).booked  # type: ignore[union-attr]

    def visit(self, visit_id: int) -> Visit:
        with self.session() as session:
            found = session.get(Visit, visit_id)
            assert found is not None
            return found

    def booking(self, reference: str) -> Booking:
        with self.session() as session:
            return session.scalars(select(Booking).where(Booking.reference == reference)).one()

    def texts(self, phone: str) -> list[Message]:
        """The SMS queued for a phone, oldest first."""
        with self.session() as session:
            query = select(Message).where(Message.recipient == phone).order_by(Message.id)
            return list(session.scalars(query))


def build(app: Flask, now: datetime, starts: tuple[str, ...], capacity: int = 2) -> Floor:
    """Two centres offering two services, with slots at local times `starts` of `now`'s day."""
    floor = Floor(app, now)
    day = now.astimezone(NAIROBI).date()
    with app.extensions["huduma"].session_factory.begin() as session:
        county = County(code=47, name="Nairobi")
        agency = Agency(code="NRB", name="National Registration Bureau")
        clerk = StaffUser(username="clerk", full_name="Clerk", password_hash="-", role="agent")
        session.add_all([county, agency, clerk])
        session.flush()
        floor.staff_id = clerk.id
        for code, name_en, name_sw, minutes in SERVICES:
            service = Service(code=code, name_en=name_en, name_sw=name_sw, agency_id=agency.id,
                              slot_minutes=minutes)  # fmt: skip
            session.add(service)
            session.flush()
            floor.services[code] = service.id
        for code, name in CENTRES:
            centre = Centre(code=code, name=name, county_id=county.id, town="Nairobi")
            session.add(centre)
            session.flush()
            floor.centres[code] = centre.id
            for service_code, service_id in floor.services.items():
                session.add(CentreService(centre_id=centre.id, service_id=service_id,
                                          capacity_per_slot=capacity))  # fmt: skip
                for at in starts:
                    start = datetime.combine(day, time.fromisoformat(at), NAIROBI)
                    slot = Slot(centre_id=centre.id, service_id=service_id,
                                starts_at=start.astimezone(UTC), capacity=capacity)  # fmt: skip
                    session.add(slot)
                    session.flush()
                    floor.slots[(code, service_code, at)] = slot.id
    return floor


@pytest.fixture()
def floor(app: Flask) -> Floor:
    """Slots at 14:00, 15:00 and 16:00 (local) of a coming Monday; the clock at 15:00 there."""
    return build(app, NOON, ("14:00", "15:00", "16:00"))


def local_now_slot(now: datetime) -> str:
    """A slot time (HH:MM) that started a minute ago today, or at midnight just after it."""
    local = now.astimezone(NAIROBI) - timedelta(minutes=1)
    if local.date() != now.astimezone(NAIROBI).date():
        local = local + timedelta(minutes=1)
    return f"{local:%H:%M}"


@pytest.fixture()
def live_floor(app: Flask) -> Floor:
    """The same centres with slots that started a minute ago (the console uses the real clock)."""
    now = utcnow()
    return build(app, now, (local_now_slot(now),), capacity=3)


@pytest.fixture()
def staff_at(app: Flask, make_staff: Callable[..., str]) -> Callable[..., FlaskClient]:
    """Return a client logged in as a new staff member of a role, working at a centre."""

    def client_for(role: Role, centre_id: int | None, username: str) -> FlaskClient:
        make_staff(username, role)
        with app.extensions["huduma"].session_factory.begin() as session:
            session.execute(update(StaffUser).where(StaffUser.username == username)
                            .values(centre_id=centre_id))  # fmt: skip
        client = app.test_client()
        assert login(client, username) == 302
        return client

    return client_for
