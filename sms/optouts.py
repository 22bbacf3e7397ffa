"""The suppression list: STOP and AT opt-outs block awareness; a blacklist blocks everything."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import MessageClass, OptOut

BLACKLIST = "blacklist"
STOP = "stop"
AT_OPTOUT = "at_optout"


def reasons(session: Session, phones: Iterable[str]) -> dict[str, str]:
    """Map each listed phone to its opt-out reason."""
    wanted = list(set(phones))
    if not wanted:
        return {}
    rows = session.execute(select(OptOut.phone, OptOut.reason).where(OptOut.phone.in_(wanted)))
    return {phone: reason for phone, reason in rows}


def blocks(reason: str | None, message_class: str) -> bool:
    """True when an opt-out `reason` forbids a message of `message_class`."""
    if reason is None:
        return False
    return reason == BLACKLIST or message_class == MessageClass.AWARENESS


def add(session: Session, phone: str, reason: str, source: str) -> None:
    """Record an opt-out; a blacklist entry is never softened to a STOP."""
    row = session.scalars(select(OptOut).where(OptOut.phone == phone)).first()
    if row is None:
        session.add(OptOut(phone=phone, reason=reason, source=source))
    elif reason == BLACKLIST:
        row.reason, row.source = reason, source
    session.flush()


def remove(session: Session, phone: str) -> bool:
    """Opt back in after STOP; a blacklist stays (only the person's operator can lift it)."""
    result = session.execute(
        delete(OptOut).where(OptOut.phone == phone, OptOut.reason.in_([STOP, AT_OPTOUT]))
    )
    return bool(getattr(result, "rowcount", 0))
