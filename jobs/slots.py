"""Keep appointment slots open for the coming working days, in line with the centres' data."""

from __future__ import annotations

from datetime import datetime

from config import Settings
from jobs import runtime as worker
from models import utcnow
from ops.runtime import Runtime
from services.administration import apply_to_slots


def open_slots(found: Runtime | None = None, settings: Settings | None = None) -> int:
    """Reconcile future slots with hours, holidays and offers, then open the missing ones.

    Reconciling hourly also re-closes a seat freed by a cancellation in a slot staff had closed.
    """
    found = found or worker.runtime()
    settings = settings or found.settings
    with found.session_factory.begin() as session:
        report = apply_to_slots(
            session,
            now=utcnow(),
            today=datetime.now(settings.tz).date(),
            horizon=settings.slot_horizon_days,
            tz=settings.tz,
        )
    return report.added
