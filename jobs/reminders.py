"""The reminder job the scheduler runs every few minutes."""

from __future__ import annotations

from jobs import runtime as worker
from models import utcnow
from sms.reminders import remind_bookings, remind_uncollected


def send_reminders() -> dict[str, int]:
    """Queue due booking and uncollected-document reminders (idempotent keys)."""
    found = worker.runtime()
    now = utcnow()
    with found.transaction() as work:
        bookings = remind_bookings(work, found.settings, now)
    with found.transaction() as work:
        documents = remind_uncollected(work, found.settings, now)
    return {"bookings": bookings, "documents": documents}
