"""The suppression list: STOP and AT opt-outs block awareness; a blacklist blocks everything."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models import MessageClass, OptOut, utcnow
from models.bulk import among, dialect_of

BLACKLIST = "blacklist"
STOP = "stop"
AT_OPTOUT = "at_optout"


def reasons(session: Session | Connection, phones: Iterable[str]) -> dict[str, str]:
    """Map each listed phone to its opt-out reason."""
    wanted = list(set(phones))
    if not wanted:
        return {}
    rows = session.execute(
        select(OptOut.phone, OptOut.reason).where(among(session, OptOut.phone, wanted))
    )
    return {phone: reason for phone, reason in rows}


def blocks(reason: str | None, message_class: str) -> bool:
    """True when an opt-out `reason` forbids a message of `message_class`."""
    if reason is None:
        return False
    return reason == BLACKLIST or message_class == MessageClass.AWARENESS


def add(session: Session | Connection, phone: str, reason: str, source: str) -> None:
    """Record an opt-out (safe when two workers add one number at once); a blacklist is kept."""
    insert = postgresql_insert if dialect_of(session) == "postgresql" else sqlite_insert
    row = {"phone": phone, "reason": reason, "source": source, "created_at": utcnow()}
    statement = insert(OptOut).values(**row)
    if reason == BLACKLIST:
        statement = statement.on_conflict_do_update(
            index_elements=[OptOut.phone], set_={"reason": reason, "source": source}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=[OptOut.phone])
    session.execute(statement)


def remove(session: Session, phone: str) -> bool:
    """Opt back in after STOP; a blacklist stays (only the person's operator can lift it)."""
    result = session.execute(
        delete(OptOut).where(OptOut.phone == phone, OptOut.reason.in_([STOP, AT_OPTOUT]))
    )
    return bool(getattr(result, "rowcount", 0))
