"""The web units as `python -m ops.serve`: each serves its own routes, and logs only JSON."""

from __future__ import annotations

import json
import signal
import sys
from subprocess import Popen

import pytest
import requests

from tests.faults.processes import HOST, free_port, wait_until
from tests.faults.service import START_SECONDS, TOKEN, Service

pytestmark = pytest.mark.slow


class WebUnits(Service):
    """Web units started the way their service units start them."""

    def environment(self, **extra: str) -> dict[str, str]:
        """The service's environment, any of it overridden by `extra`."""
        return {**super().environment(), **extra}

    def start_unit(self, unit: str, **extra: str) -> tuple[Popen[bytes], int]:
        port = free_port()
        ports = {"PORT": str(port)} if unit == "callbacks" else {"CONSOLE_PORT": str(port)}
        process = self._spawn([sys.executable, "-m", "ops.serve", unit], unit, **ports, **extra)
        wait_until(lambda: self._healthy(port), START_SECONDS, f"{unit} on {port}", every=0.2)
        return process, port


@pytest.fixture()
def units(app, database_url, redis_url, tmp_path):
    found = WebUnits(database_url, redis_url, tmp_path)
    yield found
    found.stop_all()


def _status(port: int, path: str) -> int:
    return requests.get(f"http://{HOST}:{port}{path}", timeout=5).status_code


def test_each_web_unit_serves_its_own_routes(units):
    _, callbacks = units.start_unit("callbacks")
    _, console = units.start_unit("console")
    assert (_status(callbacks, "/staff/login"), _status(console, "/staff/login")) == (404, 200)
    form = {"sessionId": "serve-1", "serviceCode": "*384*1919#", "phoneNumber": "+254711000077",
            "networkCode": "63902", "text": ""}  # fmt: skip
    hop = requests.post(f"http://{HOST}:{callbacks}/ussd?token={TOKEN}", data=form, timeout=5)
    assert hop.status_code == 200 and hop.text.startswith("CON ")


def test_a_web_unit_logs_nothing_but_json_with_request_ids(units):
    process, port = units.start_unit("callbacks", LOG_JSON="1", LOG_LEVEL="INFO")
    answers = [requests.get(f"http://{HOST}:{port}/healthz", timeout=5) for _ in range(3)]
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    lines = [json.loads(line) for line in units.log("callbacks").splitlines() if line.strip()]
    access = [line for line in lines if line["name"] == "web.access"]
    ids = [a.headers["X-Request-ID"] for a in answers]
    assert [line["request_id"] for line in access][-3:] == ids  # after the start's health checks
    assert any(line["name"] == "_granian" for line in lines)  # the server's own lines too
