"""Browser test machinery: screenshots named per test, on failure too."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config import PROJECT_ROOT
from tests.browser.conftest import ARTIFACTS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.committed,  # a live HTTP server thread serving a browser
    pytest.mark.xdist_group("browser"),  # one Chromium, one port range, one artefact folder
]
FAILING = """
def test_fails_on_purpose(page_for):
    page = page_for()
    page.set_content("<h1>Failing on purpose</h1>")
    assert page.inner_text("h1") == "Something else"
"""


def test_a_milestone_screenshot_is_named_after_the_test(page_for, shoot):
    page = page_for()
    page.set_content("<h1>Milestone</h1>")
    path = shoot(page, "milestone")
    assert path.name == (
        "test_artifacts.test_a_milestone_screenshot_is_named_after_the_test--milestone.png"
    )
    assert path.parent == ARTIFACTS and path.stat().st_size > 0
    path.unlink()


def test_a_failing_browser_test_leaves_a_screenshot(tmp_path):
    module = tmp_path / "test_on_purpose.py"
    module.write_text(FAILING)
    expected = ARTIFACTS / "test_on_purpose.test_fails_on_purpose--failure-1.png"
    expected.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "TEST_REDIS_URL")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p",
         "tests.browser.conftest", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         str(module)],
        cwd=PROJECT_ROOT, env={**env, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True,
        timeout=240, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout.decode()[-2000:]
    assert expected.exists() and expected.stat().st_size > 0
    expected.unlink()
