"""The worker rides out a Redis restart: it stays up and serves jobs enqueued afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
import redis
from rq import Queue
from rq import Worker as RQWorker
from rq.exceptions import StopRequested
from rq.job import Job, JobStatus

from config import PROJECT_ROOT, Settings
from jobs.worker import Worker
from ops.redis import embedded_server_command

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(check: Callable[[], object], seconds: float) -> object:
    """Return check()'s first truthy answer within `seconds`, else None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            answer = check()
        except redis.exceptions.RedisError:
            answer = None
        if answer:
            return answer
        time.sleep(0.2)
    return None


class ThrowawayRedis:
    """A Redis on a port of its own that a test stops and starts again, empty each time."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.client = redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def start(self) -> None:
        binary = embedded_server_command(self.folder / "unused.sock")[0]
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        assert _until(self.client.ping, 10), "the throwaway Redis did not start"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture()
def throwaway(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def worker(throwaway: ThrowawayRedis, database_url: str, tmp_path: Path) -> Iterator[psutil.Popen]:
    """`python -m jobs.worker` on the throwaway Redis, checking its schedule every second."""
    env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{throwaway.port}/0",
           "DATABASE_URL": database_url, "VAR_DIR": str(tmp_path),
           "SMS_SWEEP_SECONDS": "1"}  # fmt: skip
    log = (tmp_path / "worker.log").open("wb")
    process = psutil.Popen(
        [sys.executable, "-m", "jobs.worker"], cwd=PROJECT_ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        yield process
    finally:
        _stop_group(process)
        log.close()


def _stop_group(process: psutil.Popen) -> None:
    """SIGTERM the worker's group; SIGKILL it if it does not stop within 30 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired, psutil.TimeoutExpired):
        pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def _registered(client: redis.Redis, pid: int) -> bool:
    return any(found.pid == pid for found in RQWorker.all(connection=client))


def _finished(job: Job) -> object:
    return job.get_status(refresh=True) == JobStatus.FINISHED and job.return_value()


def test_the_worker_survives_a_redis_restart_and_serves_new_jobs(throwaway, worker, tmp_path):
    log = tmp_path / "worker.log"
    assert _until(lambda: _registered(throwaway.client, worker.pid), 30), log.read_text()
    busy = Queue("transactional", connection=throwaway.client).enqueue("time.sleep", 2)
    assert _until(lambda: busy.get_status(refresh=True) == JobStatus.STARTED, 10)
    throwaway.stop()  # while the job runs: its outcome cannot be recorded
    time.sleep(6)
    assert worker.poll() is None, log.read_text()[-3000:]
    throwaway.start()
    now = Queue("transactional", connection=throwaway.client).enqueue("os.getpid")
    later = Queue("default", connection=throwaway.client).enqueue_in(timedelta(seconds=1),
                                                                    "os.getpid")  # fmt: skip
    assert _until(lambda: _finished(now), 30) == worker.pid, log.read_text()[-3000:]
    assert _until(lambda: _finished(later), 30) == worker.pid  # the scheduler is back too
    assert _until(lambda: _registered(throwaway.client, worker.pid), 10)


def test_a_stop_requested_during_the_schedule_check_reaches_rq(settings: Settings, redis_url):
    class StoppedMidCheck(Worker):
        def register_again(self) -> None:
            raise StopRequested  # as RQ's signal handler raises it, wherever the worker is

    connection = redis.Redis.from_url(redis_url)
    worker = StoppedMidCheck([Queue("default", connection=connection)], connection=connection,
                             settings=settings)  # fmt: skip
    with pytest.raises(StopRequested):
        worker.check_in()


def test_a_stop_that_came_while_the_worker_started_is_honoured(settings: Settings, redis_url):
    connection = redis.Redis.from_url(redis_url)
    queue = Queue("freshrun-stop", connection=connection)
    queue.enqueue("os.getpid")  # a worker that missed the stop would run it
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    worker = Worker([queue], connection=connection, settings=settings, stop_pending=lambda: True)
    try:
        worker.work(max_idle_time=5)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert worker.stopping and queue.count == 1
    queue.empty()
