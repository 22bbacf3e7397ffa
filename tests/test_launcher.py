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


def test_launcher_serves_and_stops_everything_on_ctrl_c(database_url: str, tmp_path: Path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        PORT=str(port),
        VAR_DIR=str(tmp_path),
        DATABASE_URL=database_url,
        WEB_WORKERS="1",
        NO_PROXY="127.0.0.1,localhost",
    )
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
