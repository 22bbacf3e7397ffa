"""Free the seats of bookings nobody checked in for within the grace period."""

from __future__ import annotations

from datetime import timedelta

from config import Settings
from jobs import runtime as worker
from models import utcnow
from ops.runtime import Runtime
from services.visits import mark_no_shows


def sweep_no_shows(found: Runtime | None = None, settings: Settings | None = None) -> int:
    """Mark overdue bookings no-shows (their seats go back to walk-ins); return how many."""
    found = found or worker.runtime()
    settings = settings or found.settings
    grace = timedelta(minutes=settings.visit_grace_minutes)
    with found.session_factory.begin() as session:
        sweep = mark_no_shows(session, now=utcnow(), grace=grace, tz=settings.tz)
    return sweep.bookings
