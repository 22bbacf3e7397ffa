"""Agency API keys: shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Agency, AgencyKey, utcnow

PREFIX = "hk_"


class UnknownAgency(LookupError):
    """No agency has that code."""


def hash_key(raw: str) -> str:
    """Hash a key for storage and lookup."""
    return hashlib.sha256(raw.encode()).hexdigest()


def create_key(session: Session, agency_code: str, label: str = "") -> str:
    """Store a new key for the agency and return it (the only time it is visible)."""
    agency = session.scalars(select(Agency).where(Agency.code == agency_code.upper())).first()
    if agency is None:
        raise UnknownAgency(agency_code)
    raw = PREFIX + secrets.token_urlsafe(32)
    session.add(
        AgencyKey(agency_id=agency.id, prefix=raw[:10], key_hash=hash_key(raw), label=label)
    )
    session.flush()
    return raw


def authenticate(session: Session, raw: str) -> AgencyKey | None:
    """Return the live key matching `raw`, stamping its last use."""
    if not raw.startswith(PREFIX):
        return None
    key = session.scalars(
        select(AgencyKey).where(AgencyKey.key_hash == hash_key(raw), AgencyKey.revoked_at.is_(None))
    ).first()
    if key is not None:
        key.last_used_at = utcnow()
    return key
