"""The audit trail: who did what, when, from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models import AuditEvent


def record(
    session: Session,
    *,
    actor_id: int | None,
    actor: str,
    action: str,
    target: str = "",
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add one audit event to the session (the caller commits it with the change it records)."""
    event = AuditEvent(
        actor_id=actor_id, actor=actor, action=action, target=target[:120], ip=ip, detail=detail
    )
    session.add(event)
    return event


def search(
    session: Session,
    *,
    action: str = "",
    actor: str = "",
    since: datetime | None = None,
    limit: int = 200,
) -> list[AuditEvent]:
    """Return the newest audit events matching the filters."""
    query: Select[tuple[AuditEvent]] = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if since:
        query = query.where(AuditEvent.at >= since)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
