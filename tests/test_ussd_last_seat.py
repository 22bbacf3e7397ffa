"""Under many simultaneous confirmations a slot's last seat goes to exactly one caller."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import select, update

from config import Settings
from models import Booking, Slot
from tests.ussd_dial import Dial

CALLERS = 50
BOOK = ("2", "1", "1", "1", "1", "1", "12345678")


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    """The race is under test, not the hop's deadline: 50 confirmations in one process on two
    busy cores can outlast 1.5 s, and a hop cut at its deadline ends "busy", not "just taken"."""
    return settings.with_overrides(ussd_hop_deadline=10.0)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.committed  # callers race on connections of their own
def test_last_seat_has_exactly_one_winner(seeded, db_session):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every writer")
    dials = [Dial(seeded.test_client(), f"seat-{n}", f"+25471100{n:04d}") for n in range(CALLERS)]
    for dial in dials:
        dial.start()
        dial.send(*BOOK)
    db_session.execute(update(Slot).values(booked=Slot.capacity - 1))  # one seat left everywhere
    db_session.commit()
    barrier = Barrier(CALLERS)

    def confirm(dial: Dial) -> str:
        barrier.wait(timeout=30)
        return dial.send("1")

    with ThreadPoolExecutor(CALLERS) as pool:
        screens = list(pool.map(confirm, dials))
    assert sum("Booked" in s for s in screens) == 1
    assert sum("just taken" in s for s in screens) == CALLERS - 1
    db_session.rollback()
    winner = db_session.scalars(select(Booking)).one()
    slot = db_session.get(Slot, winner.slot_id)
    assert slot.booked == slot.capacity
