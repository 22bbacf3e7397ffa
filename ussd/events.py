"""End-of-session events from AT, stored for a drop-off funnel per screen, language and network.

Every field is checked before anything is stored: a bad value is AT's (or a forger's) mistake,
answered 400 with the reason, never a 503 that AT would retry for ever and on-call would chase.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import UssdSessionEvent, utcnow
from ops.runtime import Runtime
from ussd.engine import State
from ussd.store import store_for

STATUSES = ("Incomplete", "Success", "Failed")
MAX_INT = 2_147_483_647  # the columns are 32-bit integers
MAX_COST = Decimal("999999.9999")  # Numeric(10, 4)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
TEXTS = {"sessionId": 100, "serviceCode": 30, "networkCode": 8, "phoneNumber": 20,
         "status": 12, "lastAppResponse": 500, "errorMessage": 200, "input": 500}  # fmt: skip


class BadEvent(ValueError):
    """A field of the event cannot be stored; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Event:
    """A checked end-of-session event."""

    session_id: str
    service_code: str
    network_code: str | None
    status: str
    cost: Decimal | None
    duration_ms: int | None
    hops_count: int | None
    last_app_response: str | None
    error_message: str | None
    ended_at: datetime


def _text(form: Mapping[str, str], name: str, required: bool = False) -> str:
    value = (form.get(name) or "").strip()
    if "\x00" in value:
        raise BadEvent(f"{name} holds a NUL character")
    if len(value) > TEXTS[name]:
        raise BadEvent(f"{name} is longer than {TEXTS[name]} characters")
    if required and not value:
        raise BadEvent(f"{name} is required")
    return value


def _count(form: Mapping[str, str], name: str) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_INT:
        raise BadEvent(f"{name} is not a count from 0 to {MAX_INT}")
    return int(raw)


def _cost(raw: str) -> Decimal | None:
    """AT's 'KES 1.2500' (or a bare amount)."""
    amount = raw.strip().split()[-1] if raw.strip() else ""
    if not amount:
        return None
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise BadEvent("cost is not an amount like 'KES 1.2500'") from None
    if not value.is_finite() or not 0 <= value <= MAX_COST:
        raise BadEvent(f"cost is not an amount from 0 to {MAX_COST}")
    return value.quantize(Decimal("0.0001"))


def _when(raw: str, now: datetime) -> datetime:
    if not raw:
        return now
    try:
        found = datetime.fromisoformat(raw)
    except ValueError:
        raise BadEvent("date is not a date and time like 2026-12-02 10:15:00") from None
    found = found if found.tzinfo else found.replace(tzinfo=UTC)
    if not EARLIEST <= found <= now.replace(year=now.year + 1):
        raise BadEvent("date is not a plausible time for a session that just ended")
    return found


def parse_event(form: Mapping[str, str], now: datetime | None = None) -> Event:
    """Check every field of AT's event; raise BadEvent naming the first bad one."""
    status = _text(form, "status") or "Unknown"
    if status not in (*STATUSES, "Unknown"):
        raise BadEvent(f"status is one of {', '.join(STATUSES)}")
    _text(form, "phoneNumber", required=True)
    _text(form, "input")
    return Event(
        session_id=_text(form, "sessionId", required=True),
        service_code=_text(form, "serviceCode"),
        network_code=_text(form, "networkCode") or None,
        status=status,
        cost=_cost(_text_any(form, "cost")),
        duration_ms=_count(form, "durationInMillis"),
        hops_count=_count(form, "hopsCount"),
        last_app_response=_text(form, "lastAppResponse") or None,
        error_message=_text(form, "errorMessage") or None,
        ended_at=_when(_text_any(form, "date"), now or utcnow()),
    )


def _text_any(form: Mapping[str, str], name: str) -> str:
    value = (form.get(name) or "").strip()
    if "\x00" in value or len(value) > 40:
        raise BadEvent(f"{name} is not a short plain value")
    return value


def _last_state(found: Runtime, session_id: str) -> State | None:
    try:
        return store_for(found.settings, found.redis).last_state(session_id)
    except RedisError:
        return None  # the funnel loses the screen, not the event


def record_event(session: Session, found: Runtime, event: Event, phone_hash: str) -> None:
    """Add the event unless this session's was stored already."""
    exists = session.scalar(
        select(UssdSessionEvent.id).where(UssdSessionEvent.session_id == event.session_id)
    )
    if exists is not None:
        return
    state = _last_state(found, event.session_id)
    session.add(
        UssdSessionEvent(
            session_id=event.session_id, service_code=event.service_code,
            network_code=event.network_code, phone_hash=phone_hash, status=event.status,
            cost=event.cost, duration_ms=event.duration_ms, hops_count=event.hops_count,
            last_screen=state.screen if state else None, language=state.lang if state else None,
            last_app_response=event.last_app_response, error_message=event.error_message,
            ended_at=event.ended_at,
        )
    )  # fmt: skip
    session.flush()
