"""The language each phone number chose, kept in table language_preferences."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models import LanguagePreference
from models.fixed import FixedQuery

_PREFERRED = FixedQuery(
    select(LanguagePreference.language).where(LanguagePreference.phone == bindparam("phone"))
)


def preferred(session: Session, phone: str) -> str | None:
    """Return the language a phone chose, or None (a fixed lookup: every first hop asks)."""
    row = _PREFERRED.first(session, phone=phone)
    return None if row is None else str(row[0])


def remember(session: Session, phone: str, language: str) -> None:
    """Record a phone's language choice."""
    found = session.scalars(
        select(LanguagePreference).where(LanguagePreference.phone == phone)
    ).first()
    if found is None:
        session.add(LanguagePreference(phone=phone, language=language))
    else:
        found.language = language
    session.flush()
