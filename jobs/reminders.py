"""The reminder job the scheduler runs every few minutes."""

from __future__ import annotations

from jobs.context import worker_services
from models import utcnow
from sms.reminders import remind_bookings, remind_uncollected


def send_reminders() -> dict[str, int]:
    """Queue due booking and uncollected-document reminders (idempotent keys)."""
    found = worker_services()
    now = utcnow()
    with found.session_factory.begin() as session:
        bookings = remind_bookings(session, found.settings, now)
    with found.session_factory.begin() as session:
        documents = remind_uncollected(session, found.settings, now)
    return {"bookings": bookings, "documents": documents}
