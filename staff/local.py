"""Template helpers of the centre pages: local times and masked phone numbers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from identifiers.numbers import mask_phone
from web.requests import runtime
from words.dates import clock_text, day_text, when_text


def helpers() -> dict[str, Any]:
    """Give templates `clock`, `when`, `day_text` (in the local time zone) and `mask`."""
    tz = runtime().settings.tz

    def clock(moment: datetime) -> str:
        return clock_text(moment, tz)

    def when(moment: datetime) -> str:
        return when_text(moment, "en", tz)

    def day(value: date) -> str:
        return day_text(value, "en")

    return {"clock": clock, "when": when, "day_text": day, "mask": mask_phone}
