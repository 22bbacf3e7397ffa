"""What every journey shares: the hop context, screen builders and date formats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy.orm import Session

from config import Settings
from ussd.engine import N_, Go, Invalid, Node, Outcome, Turn, View, choose

T = TypeVar("T")
WEEKDAYS = (
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"),
    N_("Friday"), N_("Saturday"), N_("Sunday"),
)  # fmt: skip


@dataclass(slots=True)
class HopContext:
    """What actions may use during one hop; the view owns the transaction."""

    db: Session
    redis: Redis
    settings: Settings
    phone: str
    phone_key: str
    session_id: str
    now: datetime
    started: float = 0.0
    deferred: list[Callable[[Any], None]] = field(default_factory=list)
    reader: Session | None = None
    loaded: dict[str, Any] = field(default_factory=dict)

    def read(self, lookup: Callable[[Session], T]) -> T:
        """Run a lookup that writes nothing outside any transaction, then free its connection.

        An autocommit read saves the BEGIN and COMMIT round trips; once this hop has opened a
        transaction, lookups join it so a hop never holds two connections.
        """
        if self.reader is None or self.db.in_transaction():
            return lookup(self.db)
        try:
            return lookup(self.reader)
        finally:
            self.reader.commit()  # no round trip in autocommit: it only returns the connection

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)


def ctx(turn: Turn) -> HopContext:
    """Return the hop context of a turn, typed."""
    found: HopContext = turn.ctx
    return found


def hop_key(turn: Turn) -> str:
    """Return the idempotency key of this hop's side effect."""
    return f"ussd:{ctx(turn).session_id}:{turn.state.hop}"


def day_text(turn: Turn, day: date) -> str:
    """Format a date the way callers read it: Tuesday 14/01/2026."""
    return f"{turn.t(WEEKDAYS[day.weekday()])} {day:%d/%m/%Y}"


def when_text(turn: Turn, moment: datetime) -> str:
    """Format a moment in local time: Tuesday 14/01/2026 09:00."""
    local = moment.astimezone(ctx(turn).tz)
    return f"{day_text(turn, local.date())} {local:%H:%M}"


def menu(node_id: str, title: str, options: Sequence[tuple[str, str]], data_key: str = "") -> Node:
    """A screen of fixed options, each leading to a screen (and recording its target)."""

    def view(turn: Turn) -> View:
        return View(turn.t(title), [turn.t(label) for label, _ in options])

    def handle(turn: Turn, text: str) -> Outcome:
        index = choose(text, len(options))
        if index is None:
            return Invalid()
        target = options[index][1]
        return Go(target, {data_key: str(index)} if data_key else {})

    return Node(node_id, view, handle)


def notice(node_id: str, render: Callable[[Turn], str]) -> Node:
    """A closing screen."""
    return Node(node_id, lambda turn: View(render(turn), end=True))


def listing(
    node_id: str,
    title: str,
    items: Callable[[Turn], list[tuple[str, str]]],
    key: str,
    target: str,
    empty: str = N_("Nothing to choose from. Dial again later."),
) -> Node:
    """A screen listing (value, label) pairs from the database; a choice stores the value."""

    def view(turn: Turn) -> View:
        found = items(turn)
        if not found:
            return View(turn.t(empty), end=True)
        return View(turn.t(title), [label for _, label in found])

    def handle(turn: Turn, text: str) -> Outcome:
        found = items(turn)
        index = choose(text, len(found))
        if index is None:
            return Invalid()
        return Go(target, {key: found[index][0]})

    return Node(node_id, view, handle)
