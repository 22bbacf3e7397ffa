"""The run command's launcher: everything comes up, stays up, and Ctrl-C stops it all quietly."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import redis
import requests
from rq import Queue, Worker
from rq.job import JobStatus

from config import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, seconds: float) -> requests.Response | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return requests.get(url, timeout=1)
        except (requests.ConnectionError, requests.Timeout):
            # A worker still booting under load may accept and not answer within the second.
            time.sleep(0.2)
    return None


def _environment(port: int, database_url: str, folder: Path, workers: int = 1) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(PORT=str(port), VAR_DIR=str(folder), DATABASE_URL=database_url,
               WEB_WORKERS=str(workers), NO_PROXY="127.0.0.1,localhost")  # fmt: skip
    return env


def _of_this_run(folder: Path) -> list[psutil.Process]:
    """Every process whose command line or environment names this run's folder."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and process.environ().get("VAR_DIR") == str(folder):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def test_launcher_serves_and_stops_everything_on_ctrl_c(database_url: str, tmp_path: Path):
    port = _free_port()
    env = _environment(port, database_url, tmp_path)
    launcher = subprocess.Popen(
        [sys.executable, "-m", "ops.launcher"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        response = _wait_ready(f"http://127.0.0.1:{port}/readyz", 30)
        assert response is not None and response.status_code == 200, response and response.text
        requests.get(f"http://127.0.0.1:{port}/healthz?token=query-secret-42", timeout=5)
        children = psutil.Process(launcher.pid).children(recursive=True)
        assert len(children) >= 3  # redis, worker, web server (and its workers)
    finally:
        launcher.send_signal(signal.SIGINT)
        output = launcher.communicate(timeout=30)[0].decode()
    assert "curl -s" in output and f"127.0.0.1:{port}/ussd" in output
    assert "GET /healthz" in output and "query-secret-42" not in output
    _, alive = psutil.wait_procs(children, timeout=15)
    assert alive == []


def test_ctrl_c_while_the_web_server_starts_leaves_no_process(database_url: str, tmp_path: Path):
    env = _environment(_free_port(), database_url, tmp_path, workers=2)
    launcher = subprocess.Popen([sys.executable, "-m", "ops.launcher"], cwd=PROJECT_ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # Ctrl-C as soon as the web server exists
        if any("granian" in " ".join(p.cmdline()) for p in _of_this_run(tmp_path)):
            break
        time.sleep(0.05)
    launcher.send_signal(signal.SIGINT)
    launcher.wait(timeout=60)
    deadline = time.monotonic() + 15
    while _of_this_run(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _of_this_run(tmp_path) == []


# Stands in for `make`: it shares the terminal with the launcher and notes a Ctrl-C reaching it.
PARENT = """
import signal, subprocess, sys
interrupted = []
signal.signal(signal.SIGINT, lambda *_: interrupted.append(1))
status = subprocess.call([sys.executable, "-m", "ops.launcher"])
print(f"launcher exit {status}; parent interrupted: {bool(interrupted)}", flush=True)
"""


def _read_until(
    fd: int, done: Callable[[bytes], bool], seconds: float, sofar: bytes = b""
) -> bytes:
    """Read a terminal until `done(everything read)` or `seconds` pass or it closes."""
    deadline = time.monotonic() + seconds
    while not done(sofar) and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the other side closed
                return sofar
            if not chunk:
                return sofar
            sofar += chunk
    return sofar


def test_ctrl_c_in_a_terminal_stops_everything_quietly(database_url: str, tmp_path: Path):
    port = _free_port()
    env = _environment(port, database_url, tmp_path)
    pid, terminal = pty.fork()
    if pid == 0:  # the child: a terminal session like a shell's, running the parent
        os.chdir(PROJECT_ROOT)
        os.execve(sys.executable, [sys.executable, "-c", PARENT], env)
    try:
        output = _read_until(terminal, lambda out: b"Ctrl-C stops everything" in out, 60)
        assert _wait_ready(f"http://127.0.0.1:{port}/readyz", 30) is not None
        time.sleep(2)  # let the worker and its scheduler settle into their loops
        os.write(terminal, b"\x03")  # what the terminal sends to its foreground on Ctrl-C
        output = _read_until(terminal, lambda out: b"parent interrupted" in out, 90, output)
    finally:
        status = _reap(pid, 90)
        os.close(terminal)
        gone = _gone(tmp_path, 15)
        for leftover in _of_this_run(tmp_path):
            leftover.kill()
    text = output.decode(errors="replace")
    assert "launcher exit 0; parent interrupted: False" in text, text[-4000:]
    assert "Traceback" not in text and status == 0 and gone, text[-4000:]


def _reap(pid: int, seconds: float) -> int:
    """Wait for child `pid` to end, killing it after `seconds`; return its exit code."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _gone(folder: Path, seconds: float) -> bool:
    """Wait until no process of the run in `folder` is left."""
    deadline = time.monotonic() + seconds
    while _of_this_run(folder) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _of_this_run(folder) == []


@dataclass
class Run:
    """A launcher started by a test, writing to a log file."""

    port: int
    folder: Path
    process: subprocess.Popen[bytes]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self) -> str:
        return (self.folder / "launcher.log").read_text(errors="replace")

    def child(self, word: str) -> int | None:
        """The pid of the launcher's live child whose command line holds `word`."""
        for child in psutil.Process(self.process.pid).children():
            try:
                if child.status() != psutil.STATUS_ZOMBIE and word in " ".join(child.cmdline()):
                    return int(child.pid)
            except psutil.Error:  # gone meanwhile
                continue
        return None


@pytest.fixture()
def run(database_url: str, tmp_path: Path) -> Iterator[Run]:
    """The launcher with everything up; stopped, and every process of it gone, afterwards."""
    port = _free_port()
    with (tmp_path / "launcher.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "ops.launcher"], cwd=PROJECT_ROOT,
                                   env=_environment(port, database_url, tmp_path), stdout=log,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    launched = Run(port, tmp_path, process)
    try:
        response = _wait_ready(launched.url("/readyz"), 60)
        assert response is not None and response.status_code == 200, launched.output()[-3000:]
        yield launched
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            for leftover in _of_this_run(tmp_path):
                leftover.kill()


def _serving_workers(run: Run) -> set[int]:
    """Pids of live RQ workers registered on the run's embedded Redis."""
    client = redis.Redis(unix_socket_path=str(run.folder / "redis.sock"), socket_timeout=2)
    return {w.pid for w in Worker.all(connection=client) if w.pid and psutil.pid_exists(w.pid)}


def _until(check: Callable[[], object], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)
    return bool(check())


def test_a_killed_worker_is_replaced_while_the_web_keeps_answering(run: Run):
    first = run.child("jobs.worker")
    assert first is not None and _until(lambda: _serving_workers(run) == {first}, 30)
    os.killpg(first, signal.SIGKILL)
    answers, deadline = [], time.monotonic() + 60
    while time.monotonic() < deadline and not _serving_workers(run) - {first}:
        answers.append(requests.get(run.url("/healthz"), timeout=5).status_code)
        time.sleep(0.5)
    assert _serving_workers(run) - {first}, run.output()[-3000:]
    assert answers and set(answers) == {200}
    assert run.process.poll() is None and "worker exited" in run.output()


def test_a_killed_web_server_comes_back(run: Run):
    first = run.child("granian")
    assert first is not None
    os.killpg(first, signal.SIGKILL)
    assert _until(lambda: run.child("granian") not in (None, first), 60), run.output()[-3000:]
    response = _wait_ready(run.url("/healthz"), 60)
    assert response is not None and response.status_code == 200, run.output()[-3000:]
    assert run.process.poll() is None and "web exited" in run.output()


def test_a_killed_embedded_redis_comes_back_and_the_worker_carries_on(run: Run):
    first = run.child("redis-server")
    assert first is not None
    os.killpg(first, signal.SIGKILL)
    assert _until(lambda: run.child("redis-server") not in (None, first), 30), run.output()[-3000:]
    response = _wait_ready(run.url("/readyz"), 30)
    while response is not None and response.status_code != 200 and run.process.poll() is None:
        response = _wait_ready(run.url("/readyz"), 30)
    assert response is not None and response.status_code == 200
    client = redis.Redis(unix_socket_path=str(run.folder / "redis.sock"), socket_timeout=2)
    job = Queue("transactional", connection=client).enqueue("os.getpid")
    assert _until(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, 60), run.output()
    assert job.return_value() == run.child("jobs.worker") and "redis exited" in run.output()
