"""The services a worker process uses, built once from the environment."""

from __future__ import annotations

from functools import cache

from config import load_settings
from ops.wiring import Services, build_services


@cache
def worker_services() -> Services:
    """Build this worker's connections on first use (after any fork)."""
    return build_services(load_settings(), for_worker=True)
