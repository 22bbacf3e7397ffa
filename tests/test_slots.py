"""Opening slots: inside hours, never on holidays, idempotent."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app import create_app
from jobs.slots import open_slots
from models import Centre, Holiday, OpeningHours, Slot, utcnow
from services.slots import extend_slots, working_days

NAIROBI = ZoneInfo("Africa/Nairobi")


def _days_at(session, centre_id):
    starts = session.scalars(select(Slot.starts_at).where(Slot.centre_id == centre_id))
    return {s.astimezone(NAIROBI).date() for s in starts}


def test_working_days_skip_weekends_and_national_holidays(seeded, db_session):
    days = working_days(db_session, date(2026, 12, 9), 4)
    assert days == [date(2026, 12, 10), date(2026, 12, 11), date(2026, 12, 14), date(2026, 12, 15)]
    assert date(2026, 12, 25) not in working_days(db_session, date(2026, 12, 20), 5)


def test_a_centre_holiday_closes_only_that_centre(seeded, db_session):
    gpo, kibra = (
        db_session.scalars(select(Centre).where(Centre.code == c)).one() for c in ("GPO", "KIBRA")
    )
    db_session.add(Holiday(day=date(2026, 11, 26), name="Staff training", centre_id=gpo.id))
    db_session.flush()
    extend_slots(db_session, start=date(2026, 11, 23), count=3, tz=NAIROBI)
    assert date(2026, 11, 26) not in _days_at(db_session, gpo.id)
    assert date(2026, 11, 26) in _days_at(db_session, kibra.id)


def test_extending_twice_adds_nothing_the_second_time(seeded, db_session):
    first = extend_slots(db_session, start=date(2026, 11, 23), count=3, tz=NAIROBI)
    total = db_session.scalar(select(func.count(Slot.id)))
    assert first > 0
    assert extend_slots(db_session, start=date(2026, 11, 23), count=3, tz=NAIROBI) == 0
    assert db_session.scalar(select(func.count(Slot.id))) == total


def test_cli_extends_slots(runner, seeded):
    result = runner.invoke(args=["slots", "extend", "--days", "1"])
    assert result.exit_code == 0 and "slots added" in result.output


@pytest.fixture()
def job_env(settings, monkeypatch):
    """The worker's services on the test database, rebuilt for this test."""
    from jobs.runtime import runtime as worker_services

    for name, value in {
        "APP_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SLOT_HORIZON_DAYS": "3",
    }.items():
        monkeypatch.setenv(name, value)
    worker_services.cache_clear()
    yield
    worker_services().engine.dispose()
    worker_services.cache_clear()


@pytest.mark.committed  # the job opens connections of its own
def test_the_periodic_job_keeps_the_horizon_open(seeded, job_env):
    from jobs.slots import open_slots

    assert open_slots() > 0
    assert open_slots() == 0


@pytest.mark.committed  # the job opens connections of its own
def test_the_periodic_job_closes_a_seat_freed_in_a_closed_slot(seeded, job_env, db_session):
    from jobs.slots import open_slots

    open_slots()
    slot = db_session.scalars(select(Slot).where(Slot.starts_at > utcnow()).limit(1)).one()
    day = slot.starts_at.astimezone(NAIROBI).date()
    # Staff closed the centre that day; the one booking it kept was then cancelled.
    db_session.add(Holiday(day=day, name="Closed for repairs", centre_id=slot.centre_id))
    slot.capacity, slot.booked = 1, 0
    slot_id = slot.id
    db_session.commit()
    open_slots()
    db_session.expire_all()
    left = db_session.get(Slot, slot_id)
    assert left is None or left.capacity == left.booked


@pytest.mark.committed  # a second app, its own connections
def test_slots_open_at_the_centres_hours_in_the_configured_time_zone(seeded, settings, db_session):
    """TIMEZONE decides what "08:00" means; Nairobi is only its default."""
    lagos = ZoneInfo("Africa/Lagos")  # an hour behind Nairobi all year
    app = create_app(settings.with_overrides(timezone="Africa/Lagos", slot_horizon_days=15))
    assert open_slots(app.extensions["huduma"]) > 0
    gpo = db_session.scalars(select(Centre).where(Centre.code == "GPO")).one()
    latest = db_session.scalar(select(func.max(Slot.starts_at)).where(Slot.centre_id == gpo.id))
    first_of_day = db_session.scalar(
        select(func.min(Slot.starts_at)).where(
            Slot.centre_id == gpo.id, Slot.starts_at >= latest.replace(hour=0, minute=0)
        )
    )
    opens = gpo_opening(db_session, gpo.id, first_of_day.astimezone(lagos).weekday())
    assert first_of_day.astimezone(lagos).time() == opens
    app.extensions["huduma"].dispose()


def gpo_opening(db_session, centre_id: int, weekday: int):
    return db_session.scalar(
        select(OpeningHours.opens).where(
            OpeningHours.centre_id == centre_id, OpeningHours.weekday == weekday
        )
    )
