"""Watch a bulk send's progress bar reach completion against the fake AT, in headless Chromium."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

import sms.fake_at as fake_at_server
from models import Role
from tests.browser.conftest import PHONE, free_port, log_in
from tests.browser.test_console import compose
from tests.conftest import TEST_SECRET, TEST_TOKEN
from tests.sms.conftest import Workers

pytestmark = [
    pytest.mark.slow,
    pytest.mark.committed,  # a live HTTP server thread serving a browser
    pytest.mark.xdist_group("browser"),  # one Chromium, one port range, one artefact folder
]


@pytest.fixture()
def fake_at(live_url: str) -> Iterator[str]:
    """A fake AT on 127.0.0.1 that posts delivery reports back to the live app."""
    reports = f"{live_url}/sms/delivery-reports?token={TEST_TOKEN}"
    server = fake_at_server.serve(free_port(), callback_url=reports)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/version1"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture()
def worker(app, settings, fake_at: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real RQ worker process (in its own process group) sending to the fake AT."""
    workers = Workers(settings, tmp_path)
    yield workers.start(
        AT_USERNAME="huduma", AT_API_KEY="fake-key", AT_API_BASE_URL=fake_at,
        SECRET_KEY=TEST_SECRET, AT_CALLBACK_TOKEN=TEST_TOKEN, SMS_RATE_PER_SECOND="50",
    )  # fmt: skip
    workers.stop_all()


def test_progress_bar_reaches_completion(worker, page_for, staff, tmp_path, shoot):
    maker, checker = page_for(), page_for(PHONE)
    log_in(maker, staff("maker", Role.SUPERVISOR))
    compose(maker, tmp_path)
    maker.get_by_role("button", name="Ask for approval").click()
    log_in(checker, staff("checker", Role.SUPERVISOR))
    checker.goto("/staff/broadcasts/1")
    checker.get_by_role("button", name="Approve and send").click()
    checker.locator("#complete").wait_for(state="visible", timeout=60_000)
    # Reports follow the sends; one that beats the sender's commit is parked, then applied.
    expect(checker.locator('[data-count="delivered"]')).to_have_text("3", timeout=20_000)
    counts = {key: int(checker.locator(f'[data-count="{key}"]').inner_text())
              for key in ("queued", "sent", "failed")}  # fmt: skip
    assert counts == {"queued": 0, "sent": 0, "failed": 0}
    assert checker.locator("#status").inner_text() == "done"
    shoot(checker, "broadcast-complete-phone")
    maker.goto("/staff/broadcasts/1")
    maker.locator("#complete").wait_for(state="visible")
    shoot(maker, "broadcast-complete-laptop")
