"""Keep appointment slots open for the coming working days, in line with the centres' data."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jobs.context import worker_services
from models import utcnow
from services.administration import apply_to_slots


def open_slots() -> int:
    """Reconcile future slots with hours, holidays and offers, then open the missing ones.

    Reconciling hourly also re-closes a seat freed by a cancellation in a slot staff had closed.
    """
    found = worker_services()
    tz = ZoneInfo(found.settings.timezone)
    with found.session_factory.begin() as session:
        report = apply_to_slots(
            session,
            now=utcnow(),
            today=datetime.now(tz).date(),
            horizon=found.settings.slot_horizon_days,
            tz=tz,
        )
    return report.added
