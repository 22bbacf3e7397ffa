"""USSD work that could not finish within a hop: finish it and tell the caller by SMS."""

from __future__ import annotations

from typing import Any

from rq import Retry

from jobs.context import worker_services
from jobs.queues import TRANSACTIONAL
from ops.wiring import Services
from ussd.engine import N_

FAILED = N_(
    "HUDUMA: We could not book your appointment: that time is full or you have 2 bookings. "
    "Please dial again. Help: 1919"
)


def enqueue_finish_booking(found: Services, payload: dict[str, Any]) -> None:
    """Queue the booking job once per hop (the hop's idempotency key is the job id)."""
    key = payload["request"]["idempotency_key"].replace(":", "-")
    found.queues[TRANSACTIONAL].enqueue(
        "jobs.ussd.finish_booking", payload, job_id=f"ussd-book-{key}", job_timeout=60,
        retry=Retry(max=3, interval=[5, 30, 120]),
    )  # fmt: skip


def finish_booking(payload: dict[str, Any]) -> None:
    """Book what a caller confirmed when the hop ran out of time; safe to run twice."""
    complete_booking(worker_services(), payload)


def complete_booking(found: Services, payload: dict[str, Any]) -> None:
    """Book and queue the receipt, or queue an apology, in one transaction."""
    from menus.booking import queue_receipt
    from menus.common import HopContext
    from menus.registry import build
    from models import utcnow
    from services import bookings
    from sms.outbox import queue_message
    from ussd.engine import State

    request = bookings.Request(**payload["request"])
    with found.session_factory.begin() as session:
        ctx = HopContext(session, found.redis, found.settings, request.phone, "", "", utcnow())
        turn = build(ctx).turn(State(lang=payload["lang"]))
        try:
            limit = found.settings.ussd_max_active_bookings
            booking = bookings.book(session, request, now=ctx.now, limit=limit, tz=ctx.tz)
        except bookings.Refused:
            queue_message(session, recipient=request.phone, body=turn.t(FAILED),
                          kind="booking_failed", language=request.language,
                          idempotency_key=f"{request.idempotency_key}:failed")  # fmt: skip
            return
        queue_receipt(turn, booking, "booking_receipt", "confirmed")
