"""The fault benchmark's figures: hops per phase, recovery, and promises that were not kept."""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Executable, create_engine, select
from sqlalchemy.orm import Session

from models import Booking, Message, Promise, PromiseStatus
from sms.receipts import FAILED
from words.i18n import say

BUDGET = 2.0  # seconds a hop may take
RECOVERY = 10.0  # seconds after a fault clears until a whole dial is served again
BOOKED = re.compile(r"Booked\. Your reference is ([A-Z0-9-]+)")
LATER = "We will SMS you when your appointment is booked"


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of the run: a fault from `started`, cleared at `healed`, quiet until `ended`."""

    name: str
    started: float
    healed: float | None
    ended: float

    def holds(self, moment: float) -> bool:
        return self.started <= moment < self.ended


@dataclass(frozen=True, slots=True)
class Dial:
    """One dial as the callers wrote it: hops are (started, seconds, answered, busy)."""

    kind: str
    phone: str
    served: bool
    last: str
    hops: tuple[tuple[float, float, bool, bool], ...]

    @classmethod
    def parse(cls, line: str) -> Dial:
        data: dict[str, Any] = json.loads(line)
        hops = tuple((float(s), float(d), bool(a), bool(b)) for s, d, a, b in data["hops"])
        return cls(str(data["kind"]), str(data["phone"]), bool(data["served"]),
                   str(data["last"]), hops)  # fmt: skip

    @property
    def ended(self) -> float:
        started, seconds, _, _ = self.hops[-1]
        return started + seconds


@dataclass(frozen=True, slots=True)
class Promised:
    """A booking reply: a reference given at once, or "we will SMS you" (reference None)."""

    phone: str
    at: float
    reference: str | None


@dataclass(frozen=True, slots=True)
class Row:
    """One phase's figures."""

    name: str
    hops: int
    answered: int
    within: int
    busy: int
    p99: float
    longest: float
    recovery: float | None  # None: nothing to recover from; inf: never served again
    promises: int
    lost: int

    @property
    def share(self) -> float:
        return self.within / self.hops if self.hops else 0.0

    def missed(self) -> list[str]:
        """The targets this phase missed, in words."""
        found = []
        if self.share < 1.0:
            found.append(f"{self.share:.2%} of hops answered within {BUDGET:g} s")
        if self.recovery is not None and math.isinf(self.recovery):
            found.append("no whole lookup served after it cleared")
        elif self.recovery is not None and self.recovery >= RECOVERY:
            found.append(f"served again only after {_seconds(self.recovery)}")
        if self.lost:
            found.append(f"{self.lost} of {self.promises} promises lost")
        return found


def read_dials(path: Path) -> list[Dial]:
    """Every dial with at least one hop."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [dial for dial in map(Dial.parse, filter(None, lines)) if dial.hops]


def promised(dials: Iterable[Dial]) -> list[Promised]:
    """The booking replies that promised something."""
    found = []
    for dial in dials:
        booked = BOOKED.search(dial.last)
        if dial.kind == "booking" and (booked or LATER in dial.last):
            reference = booked.group(1) if booked else None
            found.append(Promised(dial.phone, dial.hops[-1][0], reference))
    return found


def unkept(promises: Sequence[Promised], url: str, inbox: dict[str, list[str]]) -> list[Promised]:
    """Promises without their booking and receipt, or their kept/broken promise and its SMS."""
    phones = [p.phone for p in promises]
    booked, owed = _fetch(
        url, select(Booking.phone, Booking.reference).where(Booking.phone.in_(phones)),
        select(Promise.phone, Promise.status).where(Promise.phone.in_(phones)),
    )  # fmt: skip
    references = {str(phone): str(ref) for phone, ref in booked}
    outcomes = {str(phone): str(status) for phone, status in owed}
    return [p for p in promises if not _kept(p, references, outcomes, inbox.get(p.phone, []))]


def _fetch(url: str, *queries: Executable) -> list[Sequence[Any]]:
    """Run each query on a short-lived engine of the bench's own (never through the proxy)."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return [session.execute(query).all() for query in queries]
    finally:
        engine.dispose()


def _kept(
    promise: Promised, references: dict[str, str], outcomes: dict[str, str], texts: list[str]
) -> bool:
    reference = references.get(promise.phone)
    receipt = reference is not None and any(reference in text for text in texts)
    if promise.reference is not None:
        return reference == promise.reference and receipt
    outcome = outcomes.get(promise.phone)
    if outcome == PromiseStatus.KEPT:
        return receipt
    return outcome == PromiseStatus.BROKEN and say("en", FAILED) in texts


def explain(lost: Sequence[Promised], url: str, inbox: dict[str, list[str]]) -> list[str]:
    """Say, per lost promise, what the database and the fake AT hold for its number."""
    phones = [p.phone for p in lost]
    facts, owed = _fetch(
        url, select(Message.recipient, Message.kind, Message.status, Message.attempts)
        .where(Message.recipient.in_(phones)).order_by(Message.id),
        select(Promise.phone, Promise.status).where(Promise.phone.in_(phones)),
    )  # fmt: skip
    outcomes = {str(phone): str(status) for phone, status in owed}
    return [_story(p, facts, outcomes.get(p.phone), len(inbox.get(p.phone, []))) for p in lost]


def _story(promise: Promised, facts: Sequence[Any], owed: str | None, texts: int) -> str:
    said = f"reference {promise.reference}" if promise.reference else "we will SMS you"
    sms = [f"{kind} {status} after {tries} attempts" for phone, kind, status, tries in facts
           if phone == promise.phone]  # fmt: skip
    return (f"...{promise.phone[-4:]} was told \"{said}\": promise {owed or 'none'}, "
            f"SMS rows: {', '.join(sms) or 'none'}; {texts} texts at the fake AT")  # fmt: skip


def rows(
    phases: Sequence[Phase], dials: Sequence[Dial], promises: Sequence[Promised],
    lost: Sequence[Promised],
) -> list[Row]:  # fmt: skip
    """A row per phase; a promise made before the first phase or after the last counts there."""
    made, missing = _owners(phases, promises), _owners(phases, lost)
    return [row(phase, dials, made.count(n), missing.count(n)) for n, phase in enumerate(phases)]


def _owners(phases: Sequence[Phase], promises: Iterable[Promised]) -> list[int]:
    starts = [phase.started for phase in phases]
    return [max(0, bisect_right(starts, promise.at) - 1) for promise in promises]


def row(phase: Phase, dials: Sequence[Dial], promises: int, lost: int) -> Row:
    """Figures of the hops posted during `phase`."""
    hops = [hop for dial in dials for hop in dial.hops if phase.holds(hop[0])]
    times = sorted(seconds for _, seconds, _, _ in hops)
    answered = [h for h in hops if h[2]]
    return Row(
        phase.name, len(hops), len(answered), sum(1 for h in answered if h[1] < BUDGET),
        sum(1 for h in answered if h[3]), _percentile(times, 0.99), times[-1] if times else 0.0,
        recovery(phase, dials), promises, lost,
    )  # fmt: skip


def recovery(phase: Phase, dials: Iterable[Dial]) -> float | None:
    """Seconds from the fault clearing to the end of the first whole status dial after it."""
    if phase.healed is None:
        return None
    healed = phase.healed
    ends = [d.ended for d in dials if d.served and d.kind == "status" and d.hops[0][0] >= healed]
    return min(ends) - healed if ends else math.inf


def _percentile(ordered: Sequence[float], share: float) -> float:
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return "never" if math.isinf(value) else f"{value:.2f} s"


HEADER = ("fault", "hops", "answered", "<2 s", "busy", "p99", "longest", "recovery", "promised",
          "lost")  # fmt: skip
WIDTHS = (34, 6, 9, 8, 6, 8, 8, 9, 9, 5)


def table(rows: Sequence[Row]) -> str:
    """The rows as a fixed-width table."""
    lines = [_line(HEADER)]
    for r in rows:
        lines.append(_line((
            r.name, str(r.hops), str(r.answered), f"{r.share:.2%}", str(r.busy),
            _seconds(r.p99), _seconds(r.longest), _seconds(r.recovery), str(r.promises),
            str(r.lost),
        )))  # fmt: skip
    return "\n".join(lines)


def _line(cells: Sequence[str]) -> str:
    first = cells[0].ljust(WIDTHS[0])
    return first + "".join(c.rjust(w) for c, w in zip(cells[1:], WIDTHS[1:], strict=True))
