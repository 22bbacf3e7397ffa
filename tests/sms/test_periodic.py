"""The sweeper and reminders are scheduled once per slot, however many workers start."""

from __future__ import annotations

from jobs.periodic import ensure_scheduled
from jobs.queues import DEFAULT


def test_starting_two_workers_schedules_each_task_once(app):
    found = app.extensions["huduma"]
    ensure_scheduled(found.queues, found.settings)
    ensure_scheduled(found.queues, found.settings)
    scheduled = found.queues[DEFAULT].scheduled_job_registry.get_job_ids()
    assert sorted(j.rsplit("-", 1)[0] for j in scheduled) == [
        "periodic-reminders",
        "periodic-slots",
        "periodic-sweep",
    ]
