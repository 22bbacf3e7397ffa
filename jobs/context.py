"""The services a worker process uses, built once from the environment."""

from __future__ import annotations

from functools import cache

from config import load_settings
from models.db import make_engine, make_session_factory
from ops.wiring import Services, build_services
from sms import dispatch
from sms.delivery import Delivery
from sms.sender import ATSender


@cache
def worker_services() -> Services:
    """Build this worker's connections on first use, with the outbox dispatch installed."""
    found = build_services(load_settings(), for_worker=True)
    # Jobs run in the worker process itself (SimpleWorker), so pooled connections are safe.
    found.engine = make_engine(found.settings.database_url, pre_ping=True)
    found.session_factory = make_session_factory(found.engine)
    dispatch.install(found.session_factory, found.queues, found.settings.sms_batch_size)
    return found


@cache
def worker_delivery() -> Delivery:
    """The sender and its dependencies, built once per worker."""
    found = worker_services()
    return Delivery(
        found.settings, found.session_factory, found.redis_raw, ATSender(found.settings)
    )
