"""Start an RQ worker (`python -m jobs.worker`), serving transactional work before bulk.

`--queues` picks the queues one worker serves and `--no-scheduler` leaves scheduling to the
scheduler unit (`python -m jobs.scheduler`); by default it serves every queue with the scheduler.
With METRICS_PORT set it answers /healthz, /readyz and /metrics of its own.

The worker never exits because Redis went away: RQ's own loop retries while idle; anything that
ends a run early (a job whose outcome could not be recorded, a timeout) is followed by a fresh
worker once Redis answers again. After a Redis restart the worker registers itself again, revives
its scheduler and restores the periodic tasks.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from rq import Queue, SimpleWorker, worker_registration
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.exceptions import StopRequested
from rq.job import Job
from rq.scheduler import RQScheduler

from config import Settings
from jobs.periodic import ensure_scheduled, keep_scheduled
from jobs.policy import PERIODIC
from jobs.runtime import runtime as worker_services
from jobs.scheduler import (
    CAP_SECONDS,
    REDIS_DOWN,
    Scheduler,
    held_locks,
    reclaim_dead_scheduler_locks,
)
from ops.backoff import Backoff, nap
from ops.exporter import Exporter
from ops.logs import bound, configure_logging
from ops.metrics import DEPENDENCY_ERRORS, JOB_SECONDS, JOBS, SCHEDULER_LOCKS, JobOutcome
from ops.queues import ALL, Queues, make_queues
from ops.runtime import Runtime

log = logging.getLogger(__name__)
DESCRIPTION = "Serve RQ queues: transactional work before bulk."
CHECK_SECONDS = 5.0  # how often a worker checks its scheduler, registration and schedule


# Jobs are batches of ids: running them in this process beats forking one horse per job.
class Worker(SimpleWorker):
    """A SimpleWorker that keeps the periodic tasks scheduled and survives Redis restarts.

    If Redis loses its data the schedule is gone with it; the worker notices at its next check
    (every SMS_SWEEP_SECONDS, idle or busy) and schedules the tasks again.
    """

    max_connection_wait_time = CAP_SECONDS  # RQ's own retry loop while idle

    def __init__(
        self,
        *args: Any,
        settings: Settings,
        stop_pending: Callable[[], bool] = lambda: False,
        **kwargs: Any,
    ) -> None:
        self.settings = settings
        self.checked_at = 0.0
        self.stopping = False
        self.stop_pending = stop_pending
        super().__init__(*args, **kwargs)
        # The periodic schedule lives on its own queue, whichever queues this worker serves.
        self.every_queue: Queues = make_queues(self.connection)

    @property
    def dequeue_timeout(self) -> int:
        """Wake from an idle wait at least once per check interval."""
        return max(1, int(min(CHECK_SECONDS, self.settings.sms_sweep_seconds)))

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """Note that a stop was asked for, then stop as RQ does."""
        self.stopping = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def _install_signal_handlers(self) -> None:
        """Take over SIGTERM and SIGINT, honouring one that came while this worker started."""
        super()._install_signal_handlers()  # type: ignore[no-untyped-call]
        if self.stop_pending():
            self.stopping = self._stop_requested = True  # RQ's loop stops before dequeuing

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        """Start RQ's scheduler process as a Scheduler that outlives Redis outages."""
        level = logging_level if logging_level is not None else self.log.level
        self.scheduler = Scheduler(self.queues, connection=self.connection, logging_level=level,
                                   date_format=date_format, log_format=log_format,
                                   serializer=self.serializer)  # fmt: skip
        self.scheduler.acquire_locks(auto_start=True)  # type: ignore[no-untyped-call]

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run a job; if Redis goes away meanwhile, end this run quietly (a new one follows)."""
        try:
            super().execute_job(job, queue)
        except REDIS_DOWN as exc:
            # Jobs are safe to run twice and the sweeper finds what was left: nothing is lost.
            DEPENDENCY_ERRORS.labels("redis", type(exc).__name__).inc()
            log.warning("Redis went away during job %s (%s); ending this run", job.id, exc)
            raise StopRequested from exc

    def perform_job(self, job: Job, queue: Queue) -> bool:
        """Run a job with its id on every log line it writes; time it and count its outcome."""
        could_retry = job.should_retry
        began = time.perf_counter()
        with bound(job_id=job.id):
            done: bool = super().perform_job(job, queue)
        name = job_name(job)
        JOB_SECONDS.labels(queue.name, name).observe(time.perf_counter() - began)
        failed = JobOutcome.RETRIED if could_retry else JobOutcome.FAILED
        JOBS.labels(queue.name, name, JobOutcome.SUCCEEDED if done else failed).inc()
        return done

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """Send RQ's heartbeat; every check interval, restore what a Redis restart lost."""
        super().heartbeat(timeout, pipeline)
        if pipeline is None and time.monotonic() - self.checked_at >= self.dequeue_timeout:
            self.checked_at = time.monotonic()
            self.check_in()

    def check_in(self) -> None:
        """Register again, revive the scheduler and restore missing periodic tasks."""
        try:
            self.register_again()
            if self.scheduler is not None and not self.stopping:  # starts it again if it died
                self.take_over_dead_schedulers(self.scheduler)
            restored = keep_scheduled(self.every_queue, self.settings)
        except StopRequested:  # a signal's stop request raised here must reach RQ's loop
            raise
        except REDIS_DOWN as exc:  # the next check retries
            log.warning("could not check the periodic schedule: %s", exc)
            return
        except Exception:  # nothing else here may stop the worker
            log.exception("could not check the periodic schedule")
            return
        if restored:
            log.warning("periodic tasks were missing from Redis; scheduled %s", restored)

    def take_over_dead_schedulers(self, scheduler: RQScheduler) -> None:
        """Run a scheduler here if the one holding the locks stopped beating (or this one died)."""
        names = [queue.name for queue in self.queues]
        freed = reclaim_dead_scheduler_locks(self.connection, names, scheduler.name)
        if freed:
            log.warning("the scheduler of %s stopped; taking over", ", ".join(freed))
            # A scheduler already running here only knows the locks it started with: start it
            # again, so it schedules the queues just taken over too.
            if scheduler._process is not None and scheduler._process.is_alive():
                self.stop_scheduler()
        scheduler.acquire_locks(auto_start=True)  # type: ignore[no-untyped-call]
        SCHEDULER_LOCKS.set(held_locks(self.connection, names, scheduler.name))

    def register_again(self) -> None:
        """Put this worker back on the list of workers if Redis lost it (RQ skips a re-birth)."""
        if self.connection.sismember(worker_registration.REDIS_WORKER_KEYS, self.key):
            return
        log.warning("Redis lost this worker's record; registering it again")
        with self.connection.pipeline() as pipe:
            pipe.hset(self.key, mapping={**self.serialize(), "state": self.get_state()})
            worker_registration.register(self, pipe)
            pipe.expire(self.key, self.worker_ttl + 60)
            pipe.execute()

    def set_shutdown_requested_date(self) -> None:
        """Note the stop request in Redis, when Redis answers."""
        try:
            super().set_shutdown_requested_date()  # type: ignore[no-untyped-call]
        except REDIS_DOWN:
            pass

    def register_death(self) -> None:
        """Record this worker's end; with Redis down its record lapses by itself."""
        try:
            super().register_death()  # type: ignore[no-untyped-call]
        except REDIS_DOWN as exc:
            log.warning("could not record this worker's end: %s", exc)

    def unsubscribe(self) -> None:
        """Leave the command channel; with Redis down, just stop listening to it."""
        try:
            super().unsubscribe()  # type: ignore[no-untyped-call]
        except REDIS_DOWN:
            if self.pubsub_thread:
                self.pubsub_thread.stop()


def job_name(job: Job) -> str:
    """The job's function (with the task, for periodic runs): the `job` label of its metrics."""
    try:
        name = job.func_name or "unknown"
        return f"{name}:{job.args[0]}" if name == PERIODIC.function and job.args else name
    except Exception:  # a job RQ could not even read has already failed; still count it
        return "unknown"


class Runner:
    """Run one worker after another until a signal asks to stop."""

    def __init__(
        self, found: Runtime, names: Sequence[str] = ALL, with_scheduler: bool = True
    ) -> None:
        self.found, self.names, self.with_scheduler = found, tuple(names), with_scheduler
        self.pause = Backoff(cap=CAP_SECONDS)
        self.stop_requested = False
        self.worker: Worker | None = None

    def request_stop(self, _signum: int, _frame: FrameType | None) -> None:
        """Stop between runs: RQ's own handlers take over while a worker runs."""
        self.stop_requested = True

    def listen(self) -> None:
        """Take SIGTERM and SIGINT back from the last worker."""
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    def wait_for_redis(self) -> bool:
        """Ping Redis until it answers, backing off; False if asked to stop first."""
        while not self.stop_requested:
            try:
                self.found.redis_raw.ping()
                return True
            except REDIS_DOWN as exc:
                delay = self.pause.next_delay()
                log.warning("Redis does not answer (%s); trying again in %.0f s", exc, delay)
                nap(delay, lambda: self.stop_requested)
        return False

    def run_worker(self) -> bool:
        """Serve the queues with a new worker until it stops; True if it was asked to."""
        settings = self.found.settings
        worker = self.worker = Worker([self.found.queues[name] for name in self.names],
                                      connection=self.found.redis_raw, settings=settings,
                                      stop_pending=lambda: self.stop_requested)  # fmt: skip
        started = time.monotonic()
        try:
            ensure_scheduled(self.found.queues, settings)
            worker.work(with_scheduler=self.with_scheduler, logging_level=settings.log_level)
        except REDIS_DOWN as exc:
            log.warning("worker lost Redis: %s", exc)
        self.listen()
        if worker.stopping:
            return True
        delay = self.pause.next_delay(time.monotonic() - started)
        log.warning("worker run ended without a stop request; a new one starts in %.0f s", delay)
        nap(delay, lambda: self.stop_requested)
        return False

    def serve(self) -> None:
        """Serve the queues until stopped."""
        scheduling = "with" if self.with_scheduler else "without"
        log.info("worker serving %s, %s the scheduler", ", ".join(self.names), scheduling)
        self.listen()
        while self.wait_for_redis():
            if self.run_worker():
                return

    def status(self) -> dict[str, str]:
        """What /healthz says: the queues served and what the worker is doing."""
        state = self.worker.get_state() if self.worker is not None else "starting"
        return {"queues": ",".join(self.names), "state": str(state)}


def arguments(argv: Sequence[str] | None, settings: Settings) -> argparse.Namespace:
    """Read the command line; WORKER_QUEUES and WORKER_SCHEDULER give the defaults."""
    parser = argparse.ArgumentParser(prog="python -m jobs.worker", description=DESCRIPTION)
    parser.add_argument(
        "--queues",
        default=",".join(settings.worker_queues or ALL),
        help=f"comma-separated, served in this order (of {', '.join(ALL)})",
    )
    parser.add_argument(
        "--scheduler",
        action=argparse.BooleanOptionalAction,
        default=settings.worker_scheduler,
        help="run RQ's scheduler in this worker (off: a scheduler unit runs)",
    )
    found = parser.parse_args(argv)
    found.queues = tuple(name.strip() for name in found.queues.split(",") if name.strip())
    unknown = sorted(set(found.queues) - set(ALL))
    if unknown or not found.queues:
        parser.error(f"unknown queue {', '.join(unknown)!r}; known: {', '.join(ALL)}")
    return found


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the chosen queues until stopped."""
    found = worker_services()
    configure_logging(found.settings)
    chosen = arguments(argv, found.settings)
    runner = Runner(found, chosen.queues, chosen.scheduler)
    Exporter(found, runner.status).start()
    runner.serve()


if __name__ == "__main__":
    main()
