"""Quiet hours: awareness messages go out only inside the daytime window."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def _clock(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))


def next_window_start(now: datetime, window: tuple[str, str], timezone: str) -> datetime | None:
    """Return None inside the window, else when it next opens (aware, in `timezone`)."""
    local = now.astimezone(ZoneInfo(timezone))
    opens, closes = _clock(window[0]), _clock(window[1])
    if opens <= local.time() < closes:
        return None
    day = local.date() if local.time() < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=ZoneInfo(timezone))
