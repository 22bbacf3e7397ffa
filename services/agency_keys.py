"""Agency API keys: shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import Agency, AgencyKey, utcnow

PREFIX = "hk_"
# Stamping every request would serialise all of one key's batches on its row lock.
STAMP_EVERY = timedelta(minutes=1)


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
    """Return the live key matching `raw`; stamp its last use at most once a minute.

    The stamp is committed at once in its own short transaction, never inside a batch.
    """
    if not raw.startswith(PREFIX):
        return None
    key = session.scalars(
        select(AgencyKey).where(AgencyKey.key_hash == hash_key(raw), AgencyKey.revoked_at.is_(None))
    ).first()
    if key is None:
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= STAMP_EVERY:
        session.execute(
            update(AgencyKey)
            .where(AgencyKey.id == key.id)
            .where(
                or_(AgencyKey.last_used_at.is_(None), AgencyKey.last_used_at < now - STAMP_EVERY)
            )
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return key
