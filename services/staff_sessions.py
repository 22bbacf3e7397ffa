"""Console sessions kept on the server: opened at login, checked on each request, ended for good."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import StaffSession

# A session's last use is written at most this often, not on every page.
TOUCH_EVERY = timedelta(seconds=60)


class EndReason(StrEnum):
    LOGOUT = "logout"
    LOGIN = "new_login"
    PASSWORD = "password_changed"
    RESET = "admin_reset"
    SWITCHED_OFF = "switched_off"
    TWO_FACTOR_RESET = "2fa_reset"
    IDLE = "idle"
    EXPIRED = "expired"
    ERASED = "erased"


@dataclass(frozen=True, slots=True)
class Limits:
    """How long a session may sit unused, and how long it may live at all."""

    idle: timedelta
    lifetime: timedelta


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user_id: int, now: datetime, ip: str | None) -> str:
    """Start a session for `user_id` and return its new random token (never stored as is)."""
    token = secrets.token_urlsafe(32)
    row = StaffSession(token_hash=_digest(token), user_id=user_id, ip=ip, created_at=now,
                       last_seen_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return token


def find(session: Session, user_id: int, token: str) -> StaffSession | None:
    """Return the open session of `user_id` the token names, if there is one."""
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(token)))
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return None
    return row


def lapsed(row: StaffSession, now: datetime, limits: Limits) -> EndReason | None:
    """Say why an open session may no longer be used, or None while it may."""
    if now - row.created_at > limits.lifetime:
        return EndReason.EXPIRED
    if now - row.last_seen_at > limits.idle:
        return EndReason.IDLE
    return None


def touch(row: StaffSession, now: datetime) -> bool:
    """Note that the session was used now; True when that changed the row."""
    if now - row.last_seen_at < TOUCH_EVERY:
        return False
    row.last_seen_at = now
    return True


def end(row: StaffSession, reason: EndReason, now: datetime) -> None:
    """End one session for good."""
    row.ended_at, row.end_reason = now, reason


def end_all(
    session: Session, user_id: int, reason: EndReason, now: datetime, *, keep: int | None = None
) -> int:
    """End every open session of `user_id` (but `keep`); return how many ended."""
    query = update(StaffSession).where(
        StaffSession.user_id == user_id, StaffSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    ended = session.execute(
        query.values(ended_at=now, end_reason=reason).execution_options(synchronize_session=False)
    )
    return int(getattr(ended, "rowcount", 0) or 0)
