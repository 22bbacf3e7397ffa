"""The nightly retention job: anonymise or delete what each data class has kept too long."""

from __future__ import annotations

import logging

from jobs import runtime as worker
from models import utcnow
from ops.runtime import Runtime
from services.retention import apply_all

log = logging.getLogger(__name__)


def apply_retention(found: Runtime | None = None, budget: float | None = None) -> dict[str, int]:
    """Run every data class's retention once (a periodic task); return rows treated per class."""
    found = found or worker.runtime()
    treated = apply_all(found.session_factory, found.settings, utcnow(), budget)
    log.info("retention: %s", ", ".join(f"{name} {rows}" for name, rows in treated.items()))
    return treated
