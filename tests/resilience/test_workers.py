"""Workers: a scheduler runs again within seconds of its worker's death; lost fan-outs resume."""

from __future__ import annotations

import os
import time

import pytest
import redis

from tests.faults.processes import kill, wait_until

pytestmark = pytest.mark.committed  # the service's own processes

SCHEDULER_BACK = 30.0


def _scheduler(client: redis.Redis) -> tuple[str, int] | None:
    """The scheduler holding the default queue's lock, and its process id."""
    name = client.get("rq:scheduler-lock:default")
    if name is None:
        return None
    pid = client.hget(f"rq:scheduler:{name}", "pid")
    return (str(name), int(str(pid))) if pid else None


def test_a_scheduler_runs_again_within_30_s_of_its_workers_sigkill(service, redis_server):
    service.redis_url = redis_server.url
    service.env["SMS_SWEEP_SECONDS"] = "30"
    workers = {p.pid: p for p in (service.start_worker(), service.start_worker())}
    client = redis_server.client(timeout=2)
    wait_until(lambda: _scheduler(client) is not None, 60, "a scheduler")
    name, pid = _scheduler(client)
    holder = workers[os.getpgid(pid)]  # the scheduler runs in its worker's process group
    kill(holder)
    began = time.monotonic()
    wait_until(
        lambda: (_scheduler(client) or (name,))[0] != name, SCHEDULER_BACK, "a new scheduler"
    )
    assert time.monotonic() - began < SCHEDULER_BACK
    survivor = next(p for p in workers.values() if p is not holder)
    assert os.getpgid(_scheduler(client)[1]) == survivor.pid
