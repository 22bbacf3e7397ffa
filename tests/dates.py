"""The seed's "today" in tests: a coming Monday, so booked slots are always in the future."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from demo.catalogue import HOLIDAYS

NAIROBI = ZoneInfo("Africa/Nairobi")


def coming_monday(now: datetime) -> date:
    """Return the first Monday after `now` (Nairobi) whose week has no public holiday."""
    day = now.astimezone(NAIROBI).date() + timedelta(days=1)
    day += timedelta(days=-day.weekday() % 7)
    while any(day + timedelta(days=n) in HOLIDAYS for n in range(7)):
        day += timedelta(days=7)
    return day


MONDAY = coming_monday(datetime.now(UTC))  # the seed's "today"; its slots are on the next 2 days
TUESDAY, WEDNESDAY = MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)
SATURDAY, SUNDAY = MONDAY + timedelta(days=5), MONDAY + timedelta(days=6)
NOON = datetime.combine(MONDAY, time(12), UTC)  # a moment of the seed's "today"
