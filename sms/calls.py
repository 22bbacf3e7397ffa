"""What a send batch passes around: its dependencies, its calls and what it counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from redis import Redis
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from sms.sender import Outcome, Sender

Clock = Callable[[], datetime]


class Verdict(StrEnum):
    """What a batch does with a due message before any call."""

    SEND = "send"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    SUPPRESSED = "suppressed"
    DEFERRED = "deferred"


class Tally(StrEnum):
    """What a batch counts besides verdicts and the statuses it wrote."""

    PUT_BACK = "put_back"
    UNRECORDED = "unrecorded"
    LOST_CLAIM = "lost_claim"


@dataclass(frozen=True, slots=True)
class Delivery:
    """What sending needs: settings, the database, Redis for the rate limit, a sender."""

    settings: Settings
    session_factory: sessionmaker[Session]
    redis: Redis
    sender: Sender

    @property
    def engine(self) -> Engine:
        """The engine the session factory is bound to."""
        bound: Engine = self.session_factory.kw["bind"]
        return bound


@dataclass(frozen=True, slots=True)
class Db:
    """A batch's pinned connection, and an ORM session on it for the rare ORM work."""

    conn: Connection
    session: Session


@dataclass(frozen=True, slots=True)
class Batch:
    """One job's batch on its pinned connection: what it needs, its clock, what it counted.

    No call starts after `deadline` (a monotonic time), so a job stops before its RQ timeout.
    """

    ctx: Delivery
    db: Db
    clock: Clock
    deadline: float | None = None
    tally: Counter[str] = field(default_factory=Counter)

    @property
    def settings(self) -> Settings:
        """The settings of the delivery."""
        return self.ctx.settings


@dataclass(frozen=True, slots=True)
class Item:
    """One message as a call sends it."""

    id: int
    recipient: str
    created_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class Call:
    """One API call: a text, its recipients and, once claimed, the claim's lease end."""

    text: str
    items: tuple[Item, ...]
    lease_end: datetime | None = None

    @property
    def recipients(self) -> list[str]:
        """The numbers the call names, in order."""
        return [item.recipient for item in self.items]


@dataclass(frozen=True, slots=True)
class Finished:
    """A call and what AT answered for each of its numbers."""

    call: Call
    outcomes: dict[str, Outcome]
