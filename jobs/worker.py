"""Start an RQ worker with the scheduler, serving transactional work before bulk."""

from __future__ import annotations

import logging

from rq import SimpleWorker

from jobs.context import worker_services
from jobs.periodic import ensure_scheduled
from jobs.queues import ALL
from ops.logs import configure_logging


def main() -> None:
    """Serve every queue until stopped."""
    found = worker_services()
    configure_logging(found.settings)
    queues = [found.queues[name] for name in ALL]
    logging.getLogger(__name__).info("worker serving %s", ", ".join(ALL))
    ensure_scheduled(found.queues, found.settings)
    # Jobs are batches of ids: running them in this process beats forking one horse per job.
    SimpleWorker(queues, connection=found.redis_raw).work(with_scheduler=True)


if __name__ == "__main__":
    main()
