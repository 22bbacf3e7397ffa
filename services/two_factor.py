"""Two-factor sign-in: TOTP codes from an authenticator app, and one-time recovery codes."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime
from enum import StrEnum

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from identifiers.numbers import keyed_hash
from models import RecoveryCode, Role, StaffUser

ISSUER = "Huduma 1919 console"
STEP_SECONDS = 30
RECOVERY_CODES = 10
# Readable in print: no 0/o, 1/l/i.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
REQUIRED = frozenset({Role.SUPERVISOR, Role.ADMIN})  # they approve mass SMS and create API keys


class Factor(StrEnum):
    TOTP = "totp"
    RECOVERY = "recovery_code"


def required_for(role: str) -> bool:
    """True when staff of `role` must sign in with a second factor."""
    return role in REQUIRED


def enabled(user: StaffUser) -> bool:
    """True when the account has a confirmed authenticator."""
    return user.totp_enabled_at is not None and user.totp_secret is not None


def pending_secret(user: StaffUser) -> str:
    """Return the secret of an enrolment not yet confirmed, making one if there is none."""
    if user.totp_secret is None or enabled(user):
        user.totp_secret, user.totp_enabled_at = pyotp.random_base32(), None
    return user.totp_secret


def provisioning_uri(user: StaffUser, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """Draw `uri` as an inline SVG QR code (no script, no inline style: the CSP holds)."""
    return str(segno.make(uri, error="m").svg_inline(omitsize=True, title="QR code to scan"))


def _digits(code: str) -> str:
    return re.sub(r"\s", "", code)[:10]


def _totp_step(user: StaffUser, code: str, now: datetime) -> int | None:
    """Return the time step a TOTP code belongs to, one step either side; a used step never."""
    if user.totp_secret is None or not _digits(code).isdigit():
        return None
    totp, current = pyotp.TOTP(user.totp_secret), int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        expected = totp.at(step * STEP_SECONDS)
        if step > user.totp_last_step and hmac.compare_digest(expected, _digits(code)):
            return step
    return None


def confirm(session: Session, user: StaffUser, code: str, now: datetime, key: str) -> list[str]:
    """Switch two-factor on with a first good code; return new recovery codes ([] if wrong)."""
    step = _totp_step(user, code, now)
    if step is None:
        return []
    user.totp_last_step = step
    if not enabled(user):
        user.totp_enabled_at = now
    return new_recovery_codes(session, user, key)


def _normalised(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()[:20]


def new_recovery_codes(session: Session, user: StaffUser, key: str) -> list[str]:
    """Replace the account's recovery codes with fresh ones; return them (shown once)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
             for _ in range(RECOVERY_CODES)]  # fmt: skip
    session.add_all(RecoveryCode(user_id=user.id, code_hash=keyed_hash(c, key)) for c in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _use_recovery_code(
    session: Session, user: StaffUser, code: str, now: datetime, key: str
) -> bool:
    found = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == keyed_hash(_normalised(code), key),
            RecoveryCode.used_at.is_(None),
        )
    )
    if found is None:
        return False
    found.used_at = now
    return True


def verify(session: Session, user: StaffUser, code: str, now: datetime, key: str) -> Factor | None:
    """Check a sign-in code: a TOTP code (never twice) or an unused recovery code."""
    if not enabled(user):
        return None
    step = _totp_step(user, code, now)
    if step is not None:
        user.totp_last_step = step
        return Factor.TOTP
    return Factor.RECOVERY if _use_recovery_code(session, user, code, now, key) else None


def recovery_codes_left(session: Session, user: StaffUser) -> int:
    """How many of the account's recovery codes are still unused."""
    query = select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
    )
    return len(session.scalars(query).all())


def reset(session: Session, user: StaffUser) -> None:
    """Switch two-factor off for an account (an admin's reset); it enrols again at next login."""
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = None, None, 0
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
