"""Keep appointment slots open for the coming working days."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jobs.context import worker_services
from services.slots import extend_slots


def open_slots() -> int:
    """Open the missing slots of the horizon (centres added by staff get theirs here too)."""
    found = worker_services()
    today = datetime.now(ZoneInfo(found.settings.timezone)).date()
    with found.session_factory.begin() as session:
        return extend_slots(session, start=today, count=found.settings.slot_horizon_days)
