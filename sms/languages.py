"""The language to speak to each citizen in: the one their phone chose, else the default."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Executable, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import LanguagePreference, utcnow
from models.bulk import among
from models.fixed import FixedQuery
from sms.templates import language_of

CHUNK = 5000  # numbers per query: SQLite caps the parameters of one statement
_PREFERRED = FixedQuery(
    select(LanguagePreference.language).where(LanguagePreference.phone == bindparam("phone"))
)


def preferred(session: Session, phone: str) -> str | None:
    """Return the language a phone chose, or None (a fixed lookup: every first hop asks)."""
    row = _PREFERRED.first(session, phone=phone)
    return None if row is None else str(row[0])


def _upsert(insert: Any) -> Executable:
    """The language upsert in one dialect's INSERT; its values are bind parameters."""
    columns: dict[str, Any] = {n: bindparam(n) for n in ("phone", "language", "updated_at")}
    statement = insert(LanguagePreference).values(**columns)
    later = statement.excluded
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["phone"], set_={"language": later.language, "updated_at": later.updated_at}
    )


_UPSERTS = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


def remember(session: Session, phone: str, language: str) -> None:
    """Record a phone's language choice (one statement: an insert that updates on conflict)."""
    connection = session.connection()  # Core on the session's connection: no ORM bookkeeping
    values = {"phone": phone, "language": language, "updated_at": utcnow()}
    connection.execute(_UPSERTS[connection.dialect.name], values)


def languages(session: Session | Connection, phones: Iterable[str], default: str) -> dict[str, str]:
    """Map each phone to the language it chose, or `default` (one query for them all)."""
    wanted = list(set(phones))
    if not wanted:
        return {}
    query = select(LanguagePreference.phone, LanguagePreference.language)
    chosen = dict(
        session.execute(query.where(among(session, LanguagePreference.phone, wanted))).all()
    )
    return {phone: language_of(chosen.get(phone, default)) for phone in wanted}
