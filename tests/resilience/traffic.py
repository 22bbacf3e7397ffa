"""USSD callers dialling status lookups, each hop to the next web node, as AT's traffic would."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import requests

from tests.faults.service import Service

LOOKUP = ("1", "1", "123456")  # a status lookup: Redis and the database on every session
PAUSE = 0.05  # between one caller's sessions


@dataclass(frozen=True, slots=True)
class Hop:
    """One hop's answer: when it was asked and answered, by which node, what it said."""

    session: int
    began: float
    ended: float
    port: int
    status: int
    body: str

    @property
    def polite(self) -> bool:
        """HTTP 200 with a USSD reply, as AT needs."""
        return self.status == 200 and self.body[:4] in ("CON ", "END ")

    @property
    def busy(self) -> bool:
        return self.body.startswith("END ") and "busy" in self.body


class Traffic:
    """Callers on threads of their own, until stopped; a node that is gone is skipped."""

    def __init__(self, service: Service, ports: Sequence[int]) -> None:
        self.service = service
        self.ports = list(ports)
        self.hops: list[Hop] = []
        self._numbers = itertools.count(1)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, callers: int = 2) -> Traffic:
        for _ in range(callers):
            self._threads.append(threading.Thread(target=self._call, daemon=True))
            self._threads[-1].start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def sessions(self) -> dict[int, list[Hop]]:
        """Hops by session, in order."""
        found: dict[int, list[Hop]] = {}
        for hop in sorted(self.hops, key=lambda h: h.began):
            found.setdefault(hop.session, []).append(hop)
        return found

    def _call(self) -> None:
        while not self._stop.is_set():
            self._session(next(self._numbers))
            time.sleep(PAUSE)

    def _session(self, number: int) -> None:
        texts = ["", *("*".join(LOOKUP[:n]) for n in range(1, len(LOOKUP) + 1))]
        for step, text in enumerate(texts):
            hop = self._hop(number, text, step)
            if not hop.polite or hop.body.startswith("END "):
                return

    def _hop(self, number: int, text: str, step: int) -> Hop:
        """Ask the next node in turn; the one after it if that node is gone (a load balancer)."""
        for turn in range(len(self.ports)):
            port = self.ports[(number + step + turn) % len(self.ports)]
            began = time.monotonic()
            try:
                reply = self.service.hop(f"ha-{number}", text, f"+2547118{number:05d}", port=port)
            except requests.ConnectionError:
                continue
            hop = Hop(number, began, time.monotonic(), port, reply.status, reply.body)
            self.hops.append(hop)
            return hop
        hop = Hop(number, time.monotonic(), time.monotonic(), 0, 0, "no node answered")
        self.hops.append(hop)
        return hop


def completed(hops: list[Hop]) -> bool:
    """The session reached the lookup's answer."""
    return len(hops) == len(LOOKUP) + 1 and "Not found" in hops[-1].body


def outage(hops: Sequence[Hop], since: float) -> float:
    """Seconds from `since` to the end of the last hop after it that was not served."""
    failed = [hop.ended for hop in hops if hop.ended >= since and (hop.busy or not hop.polite)]
    return max(failed, default=since) - since
