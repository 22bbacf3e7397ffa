"""Staff accounts: argon2 password hashes, roles, and login with lockout."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Role, StaffUser

RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}
MIN_PASSWORD = 10
_hasher = PasswordHasher()


class AccountError(ValueError):
    """A staff account cannot be created or changed as asked."""


class LoginResult(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    INACTIVE = "inactive"


def has_role(role: str, needed: Role) -> bool:
    """True when `role` ranks at or above `needed`."""
    rank: int = RANK.get(role, 0)  # type: ignore[call-overload]
    return rank >= RANK[needed]


def hash_password(password: str) -> str:
    """Return the argon2 hash of a password."""
    return _hasher.hash(password)


def create_user(
    session: Session, *, username: str, full_name: str, password: str, role: Role
) -> StaffUser:
    """Add a staff account; refuse a short password or a taken username."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    username = username.strip().lower()
    if not username or session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise AccountError("that username is empty or taken")
    user = StaffUser(
        username=username,
        full_name=full_name.strip() or username,
        password_hash=hash_password(password),
        role=Role(role),
    )
    session.add(user)
    session.flush()
    return user


def _password_matches(user: StaffUser, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    now: datetime,
    max_failures: int,
    lockout: timedelta,
) -> tuple[LoginResult, StaffUser | None]:
    """Check a password; count failures and lock the account after `max_failures` in a row."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()))
    if user is None:
        _hasher.hash(password)  # spend the same time as a real check: no username oracle
        return LoginResult.BAD_CREDENTIALS, None
    if locked(user, now):
        return LoginResult.LOCKED, user
    if not _password_matches(user, password):
        return note_failure(user, now=now, max_failures=max_failures, lockout=lockout), user
    if not user.active:
        return LoginResult.INACTIVE, user
    return LoginResult.OK, user


def signed_in(user: StaffUser, now: datetime) -> None:
    """Note a complete login (every factor passed): the failures in a row start again."""
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now


def note_failure(
    user: StaffUser, *, now: datetime, max_failures: int, lockout: timedelta
) -> LoginResult:
    """Count a wrong password or code; lock the account after `max_failures` in a row."""
    user.failed_logins += 1
    if user.failed_logins >= max_failures:
        user.locked_until, user.failed_logins = now + lockout, 0
        return LoginResult.LOCKED
    return LoginResult.BAD_CREDENTIALS


def locked(user: StaffUser, now: datetime) -> bool:
    """True while the account-wide lock holds."""
    return user.locked_until is not None and user.locked_until > now


def update_user(session: Session, user: StaffUser, *, role: str, active: bool) -> None:
    """Change a staff member's role or switch the account on or off."""
    user.role = Role(role)
    user.active = active
    if active:
        user.locked_until, user.failed_logins = None, 0


def set_password(user: StaffUser, password: str) -> None:
    """Replace a staff member's password."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    user.password_hash = hash_password(password)


def change_password(user: StaffUser, current: str, new: str) -> None:
    """Let staff replace their own password, given the current one."""
    if not _password_matches(user, current):
        raise AccountError("the current password is wrong")
    if hmac.compare_digest(current, new):
        raise AccountError("choose a password different from the current one")
    set_password(user, new)


def reset_password(user: StaffUser, password: str) -> None:
    """Give a staff member a new password chosen by an administrator, and lift any lock."""
    set_password(user, password)
    user.failed_logins, user.locked_until = 0, None


def session_stamp(user: StaffUser, secret: str) -> str:
    """Return a short keyed digest of the password hash: sessions made before a change end."""
    digest = hmac.new(secret.encode(), user.password_hash.encode(), hashlib.sha256)
    return digest.hexdigest()[:16]
