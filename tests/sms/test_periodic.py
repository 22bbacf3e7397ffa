"""The sweeper and reminders are scheduled once per slot, however many workers start."""

from __future__ import annotations

from jobs.periodic import ensure_scheduled
from jobs.queues import DEFAULT


def test_starting_two_workers_schedules_each_task_once(app):
    found = app.extensions["huduma"]
    registry = found.queues[DEFAULT].scheduled_job_registry
    ensure_scheduled(found.queues, found.settings)
    first = set(registry.get_job_ids())
    ensure_scheduled(found.queues, found.settings)
    assert {j.rsplit("-", 1)[0] for j in first} >= {"periodic-sweep", "periodic-reminders"}
    assert len(registry.get_job_ids()) <= len(first) + 1  # +1 only if a 30 s slot just turned
