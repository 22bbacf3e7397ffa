"""Steady USSD load for the fault benchmark: callers walking status lookups, one booking caller.

It runs as a process of its own (`python -m bench.callers`), so that its threads never wait for
the interpreter lock of the process that runs the fault proxy. Every dial is one JSON line in
--out, written when the dial ends; SIGTERM ends the run after each caller's current hop.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TextIO

import requests

HOP_SECONDS = 15.0  # AT waits this long for an answer, then ends the session
SERVICE_CODE = "*384*1919#"
OPTION = re.compile(r"^(\d+)\. ", re.MULTILINE)
BUSY = "Service busy"
ANSWERS = ("Application ", " is ready")  # the end of a status lookup that reached the database
PICKS = 5  # service, county, centre, date, time (fewer when a county has one centre)
JOIN_SECONDS = HOP_SECONDS + 5


@dataclass(frozen=True, slots=True)
class Hop:
    """One hop: when it was posted (monotonic), how long its answer took, what came back."""

    started: float
    seconds: float
    answered: bool  # HTTP 200 with a CON or END screen
    busy: bool  # the polite "Service busy" END


@dataclass(slots=True)
class Dial:
    """One caller's session, hop by hop, and the last screen it got."""

    kind: str
    phone: str
    session_id: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex[:16]}")
    hops: list[Hop] = field(default_factory=list)
    last: str = ""

    def served(self, hops: int) -> bool:
        """Tell whether `hops` hops were all answered and the last reached the database."""
        answered = len(self.hops) == hops and all(hop.answered for hop in self.hops)
        return answered and any(word in self.last for word in ANSWERS)

    def line(self, served: bool) -> str:
        """The dial as one JSON line."""
        hops = [[h.started, round(h.seconds, 4), h.answered, h.busy] for h in self.hops]
        return json.dumps({"kind": self.kind, "phone": self.phone, "served": served,
                           "last": self.last, "hops": hops})  # fmt: skip


@dataclass
class Line:
    """One caller's keep-alive connection to AT's callback URL."""

    url: str
    think: float
    stop: threading.Event
    http: requests.Session = field(default_factory=requests.Session)

    def hop(self, dial: Dial, text: str) -> str | None:
        """Post one hop of `dial` and record it; return a CON screen, else None (dial over)."""
        if self.stop.is_set():
            return None
        form = {"sessionId": dial.session_id, "serviceCode": SERVICE_CODE,
                "phoneNumber": dial.phone, "networkCode": "63902", "text": text}  # fmt: skip
        began = time.monotonic()
        try:
            response = self.http.post(self.url, data=form, timeout=HOP_SECONDS)
            status, body = response.status_code, response.text
        except requests.RequestException:
            status, body = 0, ""
        answered = status == 200 and body[:4] in ("CON ", "END ")
        dial.hops.append(Hop(began, time.monotonic() - began, answered, BUSY in body))
        dial.last = body[:200]
        self.stop.wait(self.think)
        return body if answered and body.startswith("CON ") else None


def status_dial(line: Line, phone: str, reference: str) -> str:
    """Look a document up: English (a new number is asked), status, its reference."""
    dial = Dial("status", phone)
    texts = ["", "1", "1*1", f"1*1*{reference}"]
    for text in texts:
        if line.hop(dial, text) is None:
            break
    return dial.line(dial.served(len(texts)))


def pick(screen: str, rng: random.Random) -> str | None:
    """Choose one of the numbered options a screen lists, if it lists any."""
    options = OPTION.findall(screen)
    return rng.choice(options) if options else None


def booking_dial(line: Line, phone: str, rng: random.Random) -> str:
    """Book a seat: English, any service, place and time offered, an ID number, confirm."""
    dial = Dial("booking", phone)
    id_number = str(rng.randint(10_000_000, 39_999_999))
    steps = iter(["1", "2"])  # a new number is asked its language; then Book appointment
    inputs: list[str] = []
    screen = line.hop(dial, "")
    for _ in range(2 + PICKS + 2):
        choice = (next(steps, None) or answer(screen, id_number, rng)) if screen else None
        if choice is None:
            break
        inputs.append(choice)
        screen = line.hop(dial, "*".join(inputs))
    return dial.line(served=False)


def answer(screen: str, id_number: str, rng: random.Random) -> str | None:
    """Confirm, type the number a screen without options asks for, or pick an option."""
    if "1. Confirm" in screen:
        return "1"
    return pick(screen, rng) if OPTION.search(screen) else id_number


@dataclass
class Journal:
    """Where dials are written, one JSON line each, from any thread."""

    sink: TextIO
    lock: threading.Lock = field(default_factory=threading.Lock)

    def write(self, line: str) -> None:
        with self.lock:
            self.sink.write(line + "\n")
            self.sink.flush()


def phones(first: int) -> Callable[[], str]:
    """Hand out fresh synthetic numbers from `first` on, one per dial, from any thread."""
    numbers, lock = itertools.count(first), threading.Lock()

    def fresh() -> str:
        with lock:
            return f"+{next(numbers)}"

    return fresh


def status_caller(line: Line, journal: Journal, fresh: Callable[[], str],
                  documents: list[str], seed: int) -> None:  # fmt: skip
    """Look up documents on fresh numbers until stopped (lookups per number are limited)."""
    rng = random.Random(seed)
    while not line.stop.is_set():
        journal.write(status_dial(line, fresh(), rng.choice(documents)))


def booking_caller(line: Line, journal: Journal, fresh: Callable[[], str], seed: int) -> None:
    """Book on fresh numbers until stopped."""
    rng = random.Random(seed)
    while not line.stop.is_set():
        journal.write(booking_dial(line, fresh(), rng))


def threads(
    args: argparse.Namespace, journal: Journal, stop: threading.Event
) -> Iterator[threading.Thread]:
    """The callers: --status of them looking documents up, --booking of them booking."""
    documents = [str(ref) for ref in json.loads(args.documents.read_text())]
    status_phones, booking_phones = phones(args.status_phones), phones(args.booking_phones)
    for n in range(args.status):
        line = Line(args.url, args.think, stop)
        yield threading.Thread(target=status_caller,
                               args=(line, journal, status_phones, documents, n))  # fmt: skip
    for n in range(args.booking):
        line = Line(args.url, args.think, stop)
        yield threading.Thread(target=booking_caller, args=(line, journal, booking_phones, n))


def main() -> None:
    """Call until SIGTERM or --seconds, then let each caller finish its hop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="AT's USSD callback URL, with its token")
    parser.add_argument("--documents", type=Path, required=True, help="JSON [ref, ...]")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--status", type=int, default=12)
    parser.add_argument("--booking", type=int, default=1)
    parser.add_argument("--think", type=float, default=0.05, help="seconds between hops")
    parser.add_argument("--seconds", type=float, default=3600.0, help="the longest run")
    parser.add_argument("--status-phones", type=int, default=254700100000)
    parser.add_argument("--booking-phones", type=int, default=254700200000)
    args = parser.parse_args()
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    with args.out.open("a", encoding="utf-8") as sink:
        callers = list(threads(args, Journal(sink), stop))
        for caller in callers:
            caller.start()
        stop.wait(args.seconds)
        stop.set()
        for caller in callers:
            caller.join(JOIN_SECONDS)


if __name__ == "__main__":
    main()
