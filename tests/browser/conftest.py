"""Browser tests: the real app on 127.0.0.1 driven by the Debian Chromium through Playwright."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from config import PROJECT_ROOT
from models import Role
from services.staff_accounts import create_user

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PORTS = range(8300, 8340)
PASSWORD = "correct horse battery"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    """Return a free port of this project's range on 127.0.0.1."""
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 8300-8339")


@pytest.fixture()
def settings(settings):
    """A low approval threshold, so a three-number CSV needs a second supervisor."""
    return settings.with_overrides(broadcast_approval_threshold=2)


@pytest.fixture()
def live_url(app: Flask) -> Iterator[str]:
    """Serve the app over real HTTP in a thread; yield its base URL."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium; never a downloaded browser."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"],
        )  # fmt: skip
        yield launched
        launched.close()


@pytest.fixture()
def page_for(browser, live_url: str) -> Iterator[Callable[..., object]]:
    """Open a fresh browser context (its own cookies) at a viewport; closed afterwards."""
    contexts = []

    def open_page(viewport: dict[str, int] = LAPTOP) -> object:
        context = browser.new_context(viewport=viewport, base_url=live_url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture()
def staff(app: Flask) -> Callable[[str, Role], str]:
    """Create a staff account; return its username."""

    def make(username: str, role: Role) -> str:
        with app.extensions["huduma"].session_factory.begin() as session:
            create_user(session, username=username, full_name=username.title(),
                        password=PASSWORD, role=role)  # fmt: skip
        return username

    return make


def log_in(page, username: str) -> None:
    """Log in through the form."""
    page.goto("/staff/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/staff/dashboard")


def shoot(page, name: str) -> None:
    """Keep a full-page screenshot as a test artefact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(500)  # let the progress bar's width transition settle
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
