"""The runtime of a worker process: built once from the environment, the first time a job runs."""

from __future__ import annotations

from functools import cache

from config import load_settings
from jobs.sends import dispatcher
from ops.runtime import Role, Runtime, build_runtime
from sms.delivery import Delivery
from sms.sender import ATSender


@cache
def runtime() -> Runtime:
    """This worker's connections; jobs run in the worker process itself (pooled is safe)."""
    return build_runtime(load_settings(), Role.WORKER, dispatch=dispatcher)


@cache
def delivery() -> Delivery:
    """The sender and its dependencies, built once per worker."""
    found = runtime()
    return Delivery(
        found.settings, found.session_factory, found.redis_raw, ATSender(found.settings)
    )
