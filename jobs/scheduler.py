"""RQ's scheduler: inside a worker, or as a unit of its own (`python -m jobs.scheduler`).

One scheduler holds each queue's lock and moves due scheduled jobs (retries, periodic tasks,
deferred sends) onto the queue. Run the unit on two hosts: the second waits, and takes the locks
over within seconds of the first one's last heartbeat.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import cast

import redis
from rq.scheduler import RQScheduler
from rq.utils import utcparse

from jobs.periodic import keep_scheduled
from jobs.runtime import runtime as worker_services
from ops.backoff import Backoff, nap
from ops.exporter import Exporter
from ops.logs import configure_logging
from ops.metrics import DEPENDENCY_ERRORS, SCHEDULER_LOCKS
from ops.queues import ALL
from ops.runtime import Runtime

log = logging.getLogger(__name__)
DESCRIPTION = "Move due scheduled jobs onto their queues; stand by while another scheduler does."
REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
CAP_SECONDS = 10.0  # the longest wait between two tries to reach Redis
CHECK_SECONDS = 5.0  # how often the periodic schedule is checked
# A scheduler beats every second; one silent this long is dead, and its locks go to another.
SCHEDULER_SILENT_SECONDS = 10.0
# Delete a lock only while it still names the dead scheduler: never one just taken over.
RELEASE_IF_OWNER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def reclaim_dead_scheduler_locks(connection: redis.Redis, queues: list[str], own: str) -> list[str]:
    """Free the scheduler locks of queues whose scheduler stopped beating; name the queues.

    RQ keeps a dead scheduler's lock for a minute and tries again only every ten: meanwhile no
    periodic task, retry or scheduled send would run.
    """
    freed = []
    release = connection.register_script(RELEASE_IF_OWNER)
    for name in queues:
        key = RQScheduler.get_locking_key(name)
        owner = _text(connection.get(key))
        if not owner or owner == own:
            continue
        beat = _text(connection.hget(f"rq:scheduler:{owner}", "last_heartbeat"))
        if beat and _seconds_since(beat) < SCHEDULER_SILENT_SECONDS:
            continue
        if release(keys=[key], args=[owner]):
            freed.append(name)
    return freed


def held_locks(connection: redis.Redis, queues: list[str], name: str) -> int:
    """How many of `queues` have their scheduler lock held by scheduler `name`."""
    owners = cast(list[object], connection.mget([RQScheduler.get_locking_key(q) for q in queues]))
    return sum(_text(owner) == name for owner in owners)


def _text(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw or "")


def _seconds_since(stamp: str) -> float:
    """Seconds since an RQ timestamp (UTC)."""
    return (datetime.now(UTC) - utcparse(stamp).replace(tzinfo=UTC)).total_seconds()


class Scheduler(RQScheduler):
    """RQ's scheduler, waiting out a Redis outage instead of dying of it."""

    def work(self) -> None:
        """Run the scheduling loop until asked to stop, whatever Redis does meanwhile."""
        pause = Backoff(cap=CAP_SECONDS)
        while not self._stop_requested:
            started = time.monotonic()
            try:
                super().work()  # type: ignore[no-untyped-call]
            except REDIS_DOWN as exc:
                if self._stop_requested:
                    return
                delay = pause.next_delay(time.monotonic() - started)
                log.warning("scheduler lost Redis (%s); retrying in %.0f s", exc, delay)
                nap(delay, lambda: bool(self._stop_requested))


class Standalone:
    """The scheduler as a unit of its own: hold every queue's lock, or stand by to take it."""

    def __init__(self, found: Runtime) -> None:
        self.found = found
        self.scheduler = Scheduler(list(ALL), connection=found.redis_raw)
        self.stop_requested = False
        self.born = False
        self.checked_at = 0.0

    def request_stop(self, _signum: int, _frame: FrameType | None) -> None:
        """Stop after the current round."""
        self.stop_requested = True

    def status(self) -> dict[str, str]:
        """What /healthz says: the queues whose lock this scheduler holds."""
        return {"scheduler": self.scheduler.name, "locks": ",".join(sorted(self.held))}

    @property
    def held(self) -> set[str]:
        """The queues whose lock this scheduler holds."""
        return set(self.scheduler.acquired_locks)

    def serve(self) -> None:
        """Schedule until SIGTERM or SIGINT, riding out Redis outages; then give the locks up."""
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        pause = Backoff(cap=CAP_SECONDS)
        log.info("scheduler %s standing by for %s", self.scheduler.name, ", ".join(ALL))
        while not self.stop_requested:
            started = time.monotonic()
            try:
                self.round()
            except REDIS_DOWN as exc:
                DEPENDENCY_ERRORS.labels("redis", type(exc).__name__).inc()
                delay = pause.next_delay(time.monotonic() - started)
                log.warning("scheduler lost Redis (%s); retrying in %.0f s", exc, delay)
                nap(delay, lambda: self.stop_requested)
                continue
            nap(self.scheduler.interval, lambda: self.stop_requested)
        self.leave()

    def round(self) -> None:
        """Take the locks a dead scheduler left, beat, and move due jobs onto their queues."""
        scheduler = self.scheduler
        if not self.born:
            scheduler.register_birth()
            self.born = True
        if self.held != set(ALL):
            freed = reclaim_dead_scheduler_locks(self.found.redis_raw, list(ALL), scheduler.name)
            if freed:
                log.warning("the scheduler of %s stopped; taking over", ", ".join(freed))
            scheduler.acquire_locks()  # type: ignore[no-untyped-call]
        scheduler.heartbeat()  # type: ignore[no-untyped-call]
        SCHEDULER_LOCKS.set(len(self.held))
        scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
        if time.monotonic() - self.checked_at >= CHECK_SECONDS:
            self.checked_at = time.monotonic()
            restored = keep_scheduled(self.found.queues, self.found.settings)
            if restored:
                log.warning("periodic tasks were missing from Redis; scheduled %s", restored)

    def leave(self) -> None:
        """Give the locks up at once, so the standby need not wait for them to lapse."""
        SCHEDULER_LOCKS.set(0)
        try:
            self.scheduler.stop()  # type: ignore[no-untyped-call]
        except REDIS_DOWN as exc:  # they lapse by themselves
            log.warning("could not give the scheduler locks up: %s", exc)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the scheduler unit until stopped."""
    parser = argparse.ArgumentParser(prog="python -m jobs.scheduler", description=DESCRIPTION)
    parser.parse_args(argv)
    found = worker_services()
    configure_logging(found.settings)
    unit = Standalone(found)
    Exporter(found, unit.status).start()
    unit.serve()


if __name__ == "__main__":
    main()
