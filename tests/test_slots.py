"""Opening slots: inside hours, never on holidays, idempotent."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from models import Centre, Holiday, Slot
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
    extend_slots(db_session, start=date(2026, 11, 23), count=3)
    assert date(2026, 11, 26) not in _days_at(db_session, gpo.id)
    assert date(2026, 11, 26) in _days_at(db_session, kibra.id)


def test_extending_twice_adds_nothing_the_second_time(seeded, db_session):
    first = extend_slots(db_session, start=date(2026, 11, 23), count=3)
    total = db_session.scalar(select(func.count(Slot.id)))
    assert first > 0
    assert extend_slots(db_session, start=date(2026, 11, 23), count=3) == 0
    assert db_session.scalar(select(func.count(Slot.id))) == total


def test_cli_extends_slots(runner, seeded):
    result = runner.invoke(args=["slots", "extend", "--days", "1"])
    assert result.exit_code == 0 and "slots added" in result.output


def test_the_periodic_job_keeps_the_horizon_open(seeded, settings, monkeypatch):
    from jobs.context import worker_services
    from jobs.slots import open_slots

    for name, value in {
        "APP_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SLOT_HORIZON_DAYS": "3",
    }.items():
        monkeypatch.setenv(name, value)
    worker_services.cache_clear()
    try:
        assert open_slots() > 0
        assert open_slots() == 0
    finally:
        worker_services().engine.dispose()
        worker_services.cache_clear()
