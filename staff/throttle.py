"""Failed staff logins counted in Redis per client address, and per account from each address.

Neither count can shut anyone out from elsewhere: an address that sprays passwords is refused
itself, and failures on one account lock that account only for the address they came from.
The account-wide lock (many addresses) lives in the database, in `services.staff_accounts`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import cast

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
ADDRESS_KEY = "staff:login:failures:{}"
ACCOUNT_KEY = "staff:login:account:{}:{}"


@dataclass(frozen=True, slots=True)
class Attempt:
    """Who tried to log in, from where."""

    username: str
    address: str

    def keys(self) -> tuple[str, str]:
        """The Redis keys of this address's failures and of this account's from here."""
        address = self.address[:45] or "unknown"
        account = self.username.strip().lower()[:60]
        return ADDRESS_KEY.format(address), ACCOUNT_KEY.format(account, address)


@dataclass(frozen=True, slots=True)
class Limits:
    """How many failures an address, and an account from one address, may have, in what time."""

    per_address: int
    address_seconds: int
    per_account: int
    account_seconds: int


def refusal(redis: Redis, attempt: Attempt, limits: Limits) -> str | None:
    """Say whether the address ("address") or the account from it ("account") is refused."""
    try:
        counts = cast(list[str | None], redis.mget(attempt.keys()))
    except RedisError as exc:
        # The account-wide lockout in the database still holds while Redis is away.
        log.warning("login throttle unavailable: %s", type(exc).__name__)
        return None
    address, account = (int(count or 0) for count in counts)
    if address >= limits.per_address:
        return "address"
    return "account" if account >= limits.per_account else None


def count_failure(redis: Redis, attempt: Attempt, limits: Limits) -> None:
    """Count one failed login from this address on this account; each restarts its window."""
    try:
        address, account = attempt.keys()
        with redis.pipeline() as pipe:
            for key, seconds in ((address, limits.address_seconds),
                                 (account, limits.account_seconds)):  # fmt: skip
                pipe.incr(key)
                pipe.expire(key, seconds)
            pipe.execute()
    except RedisError as exc:
        log.warning("login throttle unavailable: %s", type(exc).__name__)


def forget_account(redis: Redis, username: str) -> int:
    """Clear an account's failures from every address (an admin unlocked it); return how many."""
    account = re.sub(r"([*?\[\]\\])", r"\\\1", username.strip().lower()[:60])
    pattern = ACCOUNT_KEY.format(account, "*")
    try:
        keys = list(redis.scan_iter(match=pattern, count=500))
        return int(cast(int, redis.delete(*keys))) if keys else 0
    except RedisError as exc:
        log.warning("login throttle unavailable: %s", type(exc).__name__)
        return 0
