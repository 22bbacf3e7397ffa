"""What a screen may use during one hop: the caller, one unit of work, lookups and Redis."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy.orm import Session

from config import Settings
from models.work import Work
from ops.runtime import Runtime
from services import catalogue, status
from ussd.engine import Turn
from ussd.hop import Caller, Reader

T = TypeVar("T")


@dataclass(slots=True)
class HopContext:
    """The hop's dependencies; the hop owns the unit of work and commits it after the screen."""

    caller: Caller
    work: Work
    reader: Reader
    redis: Redis
    settings: Settings
    _catalogue: str = ""
    # Applications already read this hop, by id: the screen a lookup leads to shows them as read.
    documents: dict[int, status.Found] = field(default_factory=dict)

    @property
    def db(self) -> Session:
        """The session of the hop's unit of work (writes, and reads inside its transaction)."""
        return self.work.session

    @property
    def phone(self) -> str:
        return self.caller.phone

    @property
    def phone_key(self) -> str:
        return self.caller.phone_key

    @property
    def now(self) -> datetime:
        return self.caller.now

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    def catalogue(self) -> str:
        """The catalogue's version, read from Redis once per hop (cached lists carry it)."""
        if not self._catalogue:
            self._catalogue = catalogue.version(self.redis)
        return self._catalogue

    def read(self, lookup: Callable[[Session], T]) -> T:
        """Run a lookup that writes nothing outside any transaction, then free its connection.

        An autocommit read saves the BEGIN and COMMIT round trips; once this hop has opened a
        transaction, lookups join it so a hop never holds two connections.
        """
        if self.work.opened and self.db.in_transaction():
            return lookup(self.db)
        reader = self.reader()
        try:
            return lookup(reader)
        finally:
            reader.commit()  # no round trip in autocommit: it only returns the connection


def context_for(found: Runtime) -> Callable[[Caller, Work, Reader], HopContext]:
    """Build each hop's context on this runtime's Redis and settings."""

    def build(caller: Caller, work: Work, reader: Reader) -> HopContext:
        return HopContext(caller, work, reader, found.redis, found.settings)

    return build


HopTurn = Turn[HopContext]
