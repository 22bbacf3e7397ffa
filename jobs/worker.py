"""Start an RQ worker with the scheduler, serving transactional work before bulk."""

from __future__ import annotations

import logging
import time
from typing import Any

from rq import SimpleWorker

from config import Settings
from jobs.periodic import ensure_scheduled, keep_scheduled
from jobs.runtime import runtime as worker_services
from ops.logs import configure_logging
from ops.queues import ALL

log = logging.getLogger(__name__)


class Worker(SimpleWorker):
    """A SimpleWorker that also keeps the periodic tasks scheduled.

    If Redis loses its data the schedule is gone with it; the worker notices at its next check
    (every SMS_SWEEP_SECONDS, idle or busy) and schedules the tasks again.
    """

    def __init__(self, *args: Any, settings: Settings, **kwargs: Any) -> None:
        self.settings = settings
        self.checked_at = 0.0
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        """Wake from an idle wait at least once per check interval."""
        return max(1, int(self.settings.sms_sweep_seconds))

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """Send RQ's heartbeat; every check interval, restore missing periodic tasks."""
        super().heartbeat(timeout, pipeline)
        if pipeline is None and time.monotonic() - self.checked_at >= self.dequeue_timeout:
            self.checked_at = time.monotonic()
            found = worker_services()
            try:
                restored = keep_scheduled(found.queues, self.settings)
            except Exception:  # a Redis hiccup must not stop the worker; the next check retries
                log.exception("could not check the periodic schedule")
                return
            if restored:
                log.warning("periodic tasks were missing from Redis; scheduled %s", restored)


def main() -> None:
    """Serve every queue until stopped."""
    found = worker_services()
    settings = found.settings
    configure_logging(settings)
    queues = [found.queues[name] for name in ALL]
    log.info("worker serving %s", ", ".join(ALL))
    ensure_scheduled(found.queues, settings)
    # Jobs are batches of ids: running them in this process beats forking one horse per job.
    worker = Worker(queues, connection=found.redis_raw, settings=settings)
    worker.work(with_scheduler=True, logging_level=settings.log_level)


if __name__ == "__main__":
    main()
