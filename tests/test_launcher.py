"""The run command's launcher: everything comes up, and Ctrl-C stops every process it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

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
