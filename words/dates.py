"""Dates and times as citizens read them, in both languages: Jumanne 14/01/2026 09:00."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from words.i18n import N_, gettext_for

WEEKDAYS = (
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"),
    N_("Friday"), N_("Saturday"), N_("Sunday"),
)  # fmt: skip


def day_text(day: date, lang: str) -> str:
    """A date the way callers read it: Tuesday 14/01/2026 (24-hour digits in both languages)."""
    return f"{gettext_for(lang)(WEEKDAYS[day.weekday()])} {day:%d/%m/%Y}"


def when_text(moment: datetime, lang: str, tz: ZoneInfo) -> str:
    """A moment in local time: Tuesday 14/01/2026 09:00."""
    local = moment.astimezone(tz)
    return f"{day_text(local.date(), lang)} {local:%H:%M}"


def clock_text(moment: datetime, tz: ZoneInfo) -> str:
    """A local time of day: 09:00."""
    return f"{moment.astimezone(tz):%H:%M}"
