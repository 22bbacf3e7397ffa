"""Browser tests: the real app on 127.0.0.1 driven by the Debian Chromium through Playwright.

Screenshots go to `test-artifacts/`, named after the test: one at each milestone a test marks
with `shoot`, and one of every open page when a test fails.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from werkzeug.serving import make_server

from config import PROJECT_ROOT
from models import Role
from services.staff_accounts import create_user
from services.two_factor import required_for
from tests.staff.conftest import enable_two_factor

# Debian's Chromium; TEST_CHROMIUM points elsewhere (a missing path shows what skipping looks like).
CHROMIUM = Path(os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium"))
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


NO_CHROMIUM = "browser tests need Debian chromium"


def require_chromium(path: Path, ci: bool) -> None:
    """Skip without Chromium on a workstation; in CI a missing browser is a failure."""
    if path.exists():
        return
    message = (
        f"{NO_CHROMIUM}, not installed at {path} "
        "(`make test` installs it when run as root: apt-get install -y chromium chromium-driver)"
    )
    if ci:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def chromium() -> Path:
    """Every test here needs Chromium: all skip for one reason without it (fail under CI=true)."""
    require_chromium(CHROMIUM, os.environ.get("CI", "").strip().lower() == "true")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[object]:
    """Headless Debian Chromium; never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"],
        )  # fmt: skip
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so fixtures can tell a failure at teardown."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    if report.skipped and isinstance(report.longrepr, tuple) and NO_CHROMIUM in report.longrepr[2]:
        # One place for every such skip, so the summary folds them into one line.
        report.longrepr = (__file__, require_chromium.__code__.co_firstlineno, report.longrepr[2])
    return report


REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def artefact_name(node: pytest.Item, what: str) -> str:
    """Name a screenshot after its test module, test and milestone."""
    module = Path(str(node.fspath)).stem
    return re.sub(r"[^\w.-]+", "_", f"{module}.{node.name}--{what}") + ".png"


def _failed(node: pytest.Item) -> bool:
    return any(report.failed for report in node.stash.get(REPORTS, {}).values())


@pytest.fixture()
def page_for(
    browser, live_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., object]]:
    """Open a fresh browser context (its own cookies) at a viewport; closed afterwards."""
    contexts, pages = [], []

    def open_page(viewport: dict[str, int] = LAPTOP) -> object:
        context = browser.new_context(viewport=viewport, base_url=live_url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        pages.append(context.new_page())
        return pages[-1]

    yield open_page
    if _failed(request.node):
        ARTIFACTS.mkdir(exist_ok=True)
        for number, page in enumerate(pages, start=1):
            name = artefact_name(request.node, f"failure-{number}")
            page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture()
def staff(app: Flask) -> Iterator[Callable[[str, Role], str]]:
    """Create a staff account (with an authenticator where the role needs one); its username."""

    def make(username: str, role: Role) -> str:
        with app.extensions["huduma"].session_factory.begin() as session:
            user = create_user(session, username=username, full_name=username.title(),
                               password=PASSWORD, role=role)  # fmt: skip
            if required_for(role):
                AUTHENTICATORS[username] = enable_two_factor(session, user)
        return username

    yield make
    AUTHENTICATORS.clear()
    USED_STEPS.clear()


# The authenticator secrets of this test's accounts, and the last time step each one used.
AUTHENTICATORS: dict[str, str] = {}
USED_STEPS: dict[str, int] = {}


def app_code(username: str) -> str:
    """The code the account's authenticator app shows, never one already used."""
    step = max(int(time.time()) // 30, USED_STEPS.get(username, 0) + 1)
    USED_STEPS[username] = step
    return pyotp.TOTP(AUTHENTICATORS[username]).at(step * 30)


def log_in(page, username: str) -> None:
    """Log in through the form, typing the app's code when the role needs one."""
    page.goto("/staff/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if username in AUTHENTICATORS:
        page.wait_for_url("**/staff/login/code")
        page.get_by_label("Code").fill(app_code(username))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/staff/dashboard")


@pytest.fixture()
def shoot(request: pytest.FixtureRequest) -> Callable[[object, str], Path]:
    """Return a function keeping a full-page screenshot of a milestone, named after the test."""

    def take(page: object, milestone: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / artefact_name(request.node, milestone)
        page.wait_for_timeout(500)  # type: ignore[attr-defined]  # let transitions settle
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path

    return take
