"""Workers per queue and the scheduler as units of their own, each with health and metrics."""

from __future__ import annotations

import signal
import sys
import time
from datetime import timedelta
from subprocess import Popen

import psutil
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue, Retry

from tests.faults.processes import HOST, free_port, kill, wait_until
from tests.faults.service import START_SECONDS, Service

pytestmark = pytest.mark.slow
ALL_LOCKS = "bulk,default,transactional"
TAKEOVER_SECONDS = 15.0  # a dead scheduler is silent 10 s, then the standby's next round


class Units(Service):
    """The service's workers and scheduler units, each exporting on a port of its own."""

    def start_unit(self, *argv: str) -> tuple[Popen[bytes], int]:
        """Start `python -m <argv>` with a METRICS_PORT; wait until it answers /healthz."""
        port = free_port()
        process = self._spawn([sys.executable, "-m", *argv], f"{argv[0]}-{port}",
                              METRICS_PORT=str(port), METRICS_HOST=HOST)  # fmt: skip
        wait_until(lambda: self._healthy(port), START_SECONDS, f"{argv[0]} on {port}", every=0.2)
        return process, port


@pytest.fixture()
def units(database_url, redis_server, tmp_path):
    found = Units(database_url, redis_server.url, tmp_path)
    yield found
    found.stop_all()


def _get(port: int, path: str) -> requests.Response:
    return requests.get(f"http://{HOST}:{port}{path}", timeout=5)


def _metric(port: int, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(_get(port, "/metrics").text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    return 0.0


def _locks(port: int) -> str:
    try:
        return str(_get(port, "/healthz").json()["locks"])
    except requests.RequestException:
        return ""


def test_a_worker_serves_only_its_queues_and_reports_its_jobs(units, redis_server):
    worker, port = units.start_unit("jobs.worker", "--queues", "bulk", "--no-scheduler")
    client = redis_server.client(timeout=2, decode_responses=False)
    bulk, transactional = (
        Queue("bulk", connection=client),
        Queue("transactional", connection=client),
    )
    served, left = bulk.enqueue("os.getpid"), transactional.enqueue("os.getpid")
    failing = bulk.enqueue("json.loads", "{", retry=Retry(max=1))
    wait_until(lambda: failing.get_status(refresh=True) == "failed", 30, "the failing job")
    assert served.return_value() == worker.pid and left.get_status(refresh=True) == "queued"
    assert _get(port, "/healthz").json()["queues"] == "bulk"
    assert _get(port, "/readyz").status_code == 200
    counts = {outcome: _metric(port, "huduma_jobs_total", queue="bulk", outcome=outcome)
              for outcome in ("succeeded", "retried", "failed")}  # fmt: skip
    assert counts == {"succeeded": 1, "retried": 1, "failed": 1}
    assert _metric(port, "huduma_job_seconds_count", queue="bulk", job="os.getpid") == 1


def test_the_forked_scheduler_does_not_hold_its_workers_metrics_port(units, redis_server):
    worker, port = units.start_unit("jobs.worker", "--queues", "default")
    wait_until(lambda: len(psutil.Process(worker.pid).children()) > 0, 30, "the scheduler")
    scheduler = psutil.Process(worker.pid).children()[0]
    listening = [c for c in scheduler.net_connections("tcp") if c.status == psutil.CONN_LISTEN]
    assert listening == []
    assert _metric(port, "huduma_queue_depth", queue="default") == 0


def test_a_standby_scheduler_takes_over_from_a_killed_one(units, redis_server):
    first, first_port = units.start_unit("jobs.scheduler")
    wait_until(lambda: _locks(first_port) == ALL_LOCKS, 30, "the first scheduler's locks")
    second, second_port = units.start_unit("jobs.scheduler")
    time.sleep(2)
    assert _locks(second_port) == "" and _metric(first_port, "huduma_scheduler_locks") == 3
    kill(first)
    began = time.monotonic()
    wait_until(lambda: _locks(second_port) == ALL_LOCKS, TAKEOVER_SECONDS, "the takeover")
    client = redis_server.client(timeout=2, decode_responses=False)
    later = Queue("default", connection=client).enqueue_in(timedelta(seconds=1), "os.getpid")
    wait_until(lambda: later.get_status(refresh=True) == "queued", 10, "a scheduled job moved")
    print(f"takeover after {time.monotonic() - began:.1f} s")
    assert time.monotonic() - began < TAKEOVER_SECONDS


def test_a_scheduler_that_stops_hands_its_locks_over_at_once(units, redis_server):
    first, first_port = units.start_unit("jobs.scheduler")
    wait_until(lambda: _locks(first_port) == ALL_LOCKS, 30, "the first scheduler's locks")
    second, second_port = units.start_unit("jobs.scheduler")
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=10) == 0
    began = time.monotonic()
    wait_until(lambda: _locks(second_port) == ALL_LOCKS, 5, "the handover")
    assert time.monotonic() - began < 5


def test_an_unknown_queue_is_refused_with_the_known_ones(units):
    process = units._spawn([sys.executable, "-m", "jobs.worker", "--queues", "urgent"], "bad")
    assert process.wait(timeout=30) == 2
    assert "known: transactional, default, bulk" in units.log("bad")
