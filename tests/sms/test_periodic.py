"""The sweeper and reminders are scheduled once per slot, however many workers start."""

from __future__ import annotations

from jobs.periodic import ensure_scheduled, keep_scheduled
from ops.queues import DEFAULT


def test_starting_two_workers_schedules_each_task_once(app):
    found = app.extensions["huduma"]
    registry = found.queues[DEFAULT].scheduled_job_registry
    ensure_scheduled(found.queues, found.settings)
    first = set(registry.get_job_ids())
    ensure_scheduled(found.queues, found.settings)
    assert {j.rsplit("-", 1)[0] for j in first} >= {"periodic-sweep", "periodic-reminders"}
    assert len(registry.get_job_ids()) <= len(first) + 1  # +1 only if a 30 s slot just turned


def test_a_schedule_lost_with_redis_data_is_restored_once(app):
    found = app.extensions["huduma"]
    ensure_scheduled(found.queues, found.settings)
    assert keep_scheduled(found.queues, found.settings) == []
    found.redis_raw.flushdb()
    everything = ["bulk", "fan-outs", "no-shows", "promises", "reminders", "retention", "slots",
                  "sweep"]  # fmt: skip
    assert sorted(keep_scheduled(found.queues, found.settings)) == everything
    assert keep_scheduled(found.queues, found.settings) == []
    registry = found.queues[DEFAULT].scheduled_job_registry
    assert {j.rsplit("-", 1)[0] for j in registry.get_job_ids()} == {
        f"periodic-{name}" for name in everything
    }
