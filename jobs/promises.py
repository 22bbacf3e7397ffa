"""Keep what hops promised: one job per promise, and a sweeper for any the jobs did not keep."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from jobs import runtime as worker
from jobs.policy import KEEP_PROMISE
from models import utcnow
from ops.runtime import Runtime
from services import promises

log = logging.getLogger(__name__)


def keep(promise_id: int, found: Runtime | None = None) -> str:
    """Keep promise `promise_id`; if the database fails, postpone it for the sweeper."""
    found = found or worker.runtime()
    try:
        with found.transaction() as work:
            return promises.keep(work, promise_id, found.settings, utcnow())
    except SQLAlchemyError as exc:
        log.warning("promise %s not kept yet (%s); the sweeper retries", promise_id,
                    type(exc).__name__)  # fmt: skip
    try:
        with found.session_factory.begin() as session:
            promises.postpone(session, promise_id, utcnow())
    except SQLAlchemyError:
        pass  # still pending and due: the next sweep picks it up
    return "postponed"


def sweep_promises(found: Runtime | None = None) -> int:
    """Enqueue a job for each pending promise whose time has come; return how many."""
    found = found or worker.runtime()
    with found.session_factory() as session:
        due = promises.due(session, utcnow())
    for promise_id in due:
        KEEP_PROMISE.enqueue(found.queues, promise_id, job_id=f"promise-{promise_id}")
    return len(due)
