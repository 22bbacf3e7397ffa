"""SMS fixtures: a fake AT over real HTTP, settings pointing the real SDK at it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import PROJECT_ROOT, Settings
from models import Agency, Centre, County, Message
from sms.delivery import Delivery
from sms.fake_at import FakeAT, serve
from sms.outbox import queue_message
from sms.sender import ATSender


@dataclass
class RunningFake:
    """A fake AT listening on 127.0.0.1."""

    url: str
    app: FakeAT

    def control(self, **orders: object) -> None:
        requests.post(f"{self.url}/control", json=orders, timeout=5).raise_for_status()

    def stats(self) -> dict[str, int]:
        return dict(requests.get(f"{self.url}/stats", timeout=5).json())


@pytest.fixture()
def fake_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningFake]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = serve(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield RunningFake(f"http://127.0.0.1:{server.server_port}", server.app)
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture()
def settings(settings: Settings, fake_at: RunningFake) -> Settings:
    """The test settings, sending through the real SDK to the fake AT, retrying at once."""
    return settings.with_overrides(
        at_api_key="test-at-key",
        at_api_base_url=f"{fake_at.url}/version1",
        sms_rate_per_second=10_000.0,
        sms_retry_base_seconds=0.0,
        sms_send_timeout=1.0,
    )


@pytest.fixture()
def delivery(app: Flask) -> Delivery:
    found = app.extensions["huduma"]
    return Delivery(
        found.settings, found.session_factory, found.redis_raw, ATSender(found.settings)
    )


@pytest.fixture()
def centre(app: Flask) -> str:
    """One centre and the NRB agency; returns the centre code."""
    with app.extensions["huduma"].session_factory.begin() as session:
        county = County(code=32, name="Nakuru")
        session.add_all([county, Agency(code="NRB", name="National Registration Bureau")])
        session.flush()
        session.add(
            Centre(code="NAKURU", name="Huduma Centre Nakuru", county_id=county.id, town="Nakuru")
        )
    return "NAKURU"


def add_message(app: Flask, **fields: object) -> int:
    """Queue and commit one message; return its id."""
    values: dict[str, object] = {
        "recipient": "+254700000001",
        "body": "Hello",
        "kind": "test",
        "idempotency_key": f"k-{fields.get('recipient', '')}-{fields}",
    }
    values.update(fields)
    with app.extensions["huduma"].transaction() as work:
        return queue_message(work, **values).id  # type: ignore[arg-type]


def message(app: Flask, message_id: int) -> Message:
    """Read a message afresh."""
    session: Session = app.extensions["huduma"].session_factory()
    with session:
        found = session.scalars(select(Message).where(Message.id == message_id)).one()
    return found


def wait_for(predicate: Callable[[], bool], seconds: float, step: float = 0.1) -> bool:
    """Poll `predicate` until it holds or `seconds` pass (a bounded wait, not a timing claim)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def statuses(app: Flask) -> Counter[str]:
    """How many messages are in each status."""
    with app.extensions["huduma"].session_factory() as session:
        rows = session.execute(select(Message.status, func.count()).group_by(Message.status))
        return Counter({str(status): int(n) for status, n in rows})


@dataclass
class Workers:
    """RQ worker processes of a test, each in its own process group (its scheduler too)."""

    settings: Settings
    folder: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        """Start `python -m jobs.worker` on the test database, Redis and fake AT."""
        environment = dict(
            os.environ, APP_ENV="test", DATABASE_URL=self.settings.database_url,
            REDIS_URL=self.settings.redis_url, VAR_DIR=str(self.folder), AT_API_KEY="k",
            AT_API_BASE_URL=self.settings.at_api_base_url, SMS_RATE_PER_SECOND="10000",
            NO_PROXY="127.0.0.1,localhost", LOG_LEVEL="WARNING",
        )  # fmt: skip
        environment.update(env)
        log = (self.folder / f"worker-{len(self.started)}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "jobs.worker"], cwd=PROJECT_ROOT, env=environment,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        self.started.append(process)
        return process

    def log(self, index: int) -> str:
        """What worker `index` wrote."""
        return (self.folder / f"worker-{index}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        """Stop every group (worker and scheduler), killing what does not stop in time."""
        for process in self.started:
            _signal_group(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            _signal_group(process.pid, signal.SIGKILL)  # a scheduler child that outlived it
        for process in self.started:
            wait_for(partial(_gone, process.pid), 10)


def _gone(pid: int) -> bool:
    """True once no process of group `pid` is left (zombies included)."""
    return not _signal_group(pid, 0)


def _signal_group(pid: int, sig: int) -> bool:
    """Signal a process group; False once no process of it is left."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


@pytest.fixture()
def workers(settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    found = Workers(settings, tmp_path)
    yield found
    found.stop_all()
