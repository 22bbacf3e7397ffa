"""End-of-session events from AT, stored for a drop-off funnel per screen, language and network."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import UssdSessionEvent, utcnow
from ops.runtime import Runtime
from ussd.engine import State
from ussd.store import store_for


def _when(raw: str) -> datetime:
    try:
        found = datetime.fromisoformat(raw.strip())
    except ValueError:
        return utcnow()
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _number(raw: str | None, kind: type[int] | type[Decimal]) -> object | None:
    if not raw:
        return None
    try:
        return kind("".join(ch for ch in raw if ch in "0123456789."))
    except (ValueError, InvalidOperation):
        return None


def _last_state(found: Runtime, session_id: str) -> State | None:
    try:
        return store_for(found.settings, found.redis).last_state(session_id)
    except RedisError:
        return None  # the funnel loses the screen, not the event


def record_event(
    session: Session, found: Runtime, form: Mapping[str, str], phone_hash: str
) -> None:
    """Add the event unless this session's was stored already."""
    session_id = form["sessionId"][:100]
    exists = session.scalar(
        select(UssdSessionEvent.id).where(UssdSessionEvent.session_id == session_id)
    )
    if exists is not None:
        return
    state = _last_state(found, session_id)
    session.add(
        UssdSessionEvent(
            session_id=session_id,
            service_code=form.get("serviceCode", "")[:30],
            network_code=form.get("networkCode", "")[:8] or None,
            phone_hash=phone_hash,
            status=form.get("status", "")[:12] or "Unknown",
            cost=_number(form.get("cost"), Decimal),
            duration_ms=_number(form.get("durationInMillis"), int),
            hops_count=_number(form.get("hopsCount"), int),
            last_screen=state.screen if state else None,
            language=state.lang if state else None,
            last_app_response=form.get("lastAppResponse", "")[:500] or None,
            error_message=form.get("errorMessage", "")[:200] or None,
            ended_at=_when(form.get("date", "")),
        )
    )
    session.flush()
