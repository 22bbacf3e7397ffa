"""The language each phone number chose, kept in table language_preferences."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LanguagePreference


def preferred(session: Session, phone: str) -> str | None:
    """Return the language a phone chose, or None."""
    query = select(LanguagePreference.language).where(LanguagePreference.phone == phone)
    return session.scalar(query)


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
