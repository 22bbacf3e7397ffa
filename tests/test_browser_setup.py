"""`make test`'s Chromium step and the browser tests without Chromium, as real processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from config import PROJECT_ROOT
from tests.browser.conftest import require_chromium

SCRIPT = PROJECT_ROOT / "scripts" / "chromium.py"
INSTALL = "install -y -qq -o DPkg::Lock::Timeout=120 chromium chromium-driver"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="installing needs root")


def stand_in_apt_get(folder: Path, on_install: str) -> Path:
    """Write an apt-get that notes its arguments and pid, and runs `on_install` to install."""
    program = folder / "apt-get"
    calls = folder / "calls"
    program.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{calls}"\n'
        f'echo $$ > "{folder}/pid"\n'
        f'if [ "$1" = install ]; then {on_install}; fi\n'
    )
    program.chmod(0o755)
    return program


def calls(folder: Path) -> list[str]:
    """The argument lines the stand-in apt-get was called with."""
    noted = folder / "calls"
    return noted.read_text().splitlines() if noted.exists() else []


def run_step(
    *args: str, ci: bool = False, python: str = sys.executable, user: int | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the Chromium step as `make test` does, with CI set or not, as `user` if given."""
    env = {**os.environ, "CI": "true" if ci else ""}
    return subprocess.run(
        [python, str(SCRIPT), *args], cwd=PROJECT_ROOT, env=env, user=user, group=user,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_a_present_chromium_is_used_as_it_is(tmp_path):
    present = tmp_path / "chromium"
    present.touch()
    apt_get = stand_in_apt_get(tmp_path, f"touch {tmp_path}/other")
    run = run_step("--chromium", str(present), "--apt-get", str(apt_get))
    assert run.returncode == 0 and run.stdout.splitlines() == [
        f"browser tests: using Debian Chromium at {present}"
    ]
    assert calls(tmp_path) == []


@as_root
def test_root_with_apt_get_installs_chromium_quietly(tmp_path):
    chromium = tmp_path / "bin" / "chromium"
    apt_get = stand_in_apt_get(tmp_path, f"mkdir -p {chromium.parent} && touch {chromium}")
    log = tmp_path / "install.log"
    run = run_step("--chromium", str(chromium), "--apt-get", str(apt_get), "--log", str(log))
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(run.stdout.splitlines()) == 1 and "installed Debian chromium" in run.stdout
    assert calls(tmp_path) == ["update -qq", INSTALL] and chromium.exists()


@as_root
@pytest.mark.parametrize(("ci", "status", "verdict"), [
    (False, 0, "browser tests will be skipped: apt-get install failed (exit 100"),
    (True, 1, "browser tests cannot run under CI=true: apt-get install failed (exit 100"),
])  # fmt: skip
def test_a_failed_install_is_one_line_and_fails_only_in_ci(tmp_path, ci, status, verdict):
    apt_get = stand_in_apt_get(tmp_path, "echo 'E: Unable to locate package chromium'; exit 100")
    log = tmp_path / "install.log"
    run = run_step("--chromium", str(tmp_path / "none"), "--apt-get", str(apt_get),
                   "--log", str(log), ci=ci)  # fmt: skip
    assert run.returncode == status and len(run.stdout.splitlines()) == 1
    assert run.stdout.startswith(verdict) and "Unable to locate" in log.read_text()


@as_root
def test_an_install_that_hangs_is_stopped_at_the_time_limit(tmp_path):
    apt_get = stand_in_apt_get(tmp_path, "exec sleep 120")
    started = time.monotonic()
    run = run_step("--chromium", str(tmp_path / "none"), "--apt-get", str(apt_get),
                   "--log", str(tmp_path / "log"), "--timeout", "3")  # fmt: skip
    assert time.monotonic() - started < 30 and run.returncode == 0
    assert "did not finish within 3 s" in run.stdout
    assert not psutil.pid_exists(int((tmp_path / "pid").read_text()))


@as_root
def test_without_apt_get_the_browser_tests_are_skipped(tmp_path):
    run = run_step("--chromium", str(tmp_path / "none"), "--apt-get", str(tmp_path / "apt-get"))
    assert run.returncode == 0 and run.stdout.splitlines() == [
        f"browser tests will be skipped: no Chromium at {tmp_path / 'none'} and no apt-get "
        "to install it"
    ]


def test_a_user_who_is_not_root_is_told_how_to_install():
    python, user = sys.executable, None
    if os.geteuid() == 0:  # become nobody, with a Python that nobody may run
        python, user = shutil.which("python3", path="/usr/bin:/bin") or "", 65534
        if not python:
            pytest.skip("no system python3 to run as another user")
    run = run_step("--chromium", "/nonexistent/chromium", python=python, user=user)
    assert run.returncode == 0 and run.stdout.splitlines() == [
        "browser tests will be skipped: no Chromium at /nonexistent/chromium and not root to "
        "install it (as root: apt-get install -y chromium chromium-driver)"
    ]


def test_a_missing_chromium_fails_in_ci_and_skips_elsewhere(tmp_path):
    missing = tmp_path / "no-chromium"
    with pytest.raises(pytest.fail.Exception, match="not installed"):
        require_chromium(missing, ci=True)
    with pytest.raises(pytest.skip.Exception):
        require_chromium(missing, ci=False)
    require_chromium(Path(sys.executable), ci=True)  # present: nothing happens


def run_browser_tests(ci: bool) -> subprocess.CompletedProcess[str]:
    """Run the browser tests in a pytest of their own, on a machine without Chromium."""
    env = {**os.environ, "TEST_CHROMIUM": "/nonexistent/chromium", "CI": "true" if ci else ""}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/browser"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_without_chromium_every_browser_test_skips_with_one_reason():
    run = run_browser_tests(ci=False)
    summary = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    assert run.returncode == 0, run.stdout[-3000:]
    assert len(summary) == 1 and "not installed at /nonexistent/chromium" in summary[0]
    assert " skipped" in run.stdout.splitlines()[-1] and "passed" not in run.stdout


@pytest.mark.slow
def test_without_chromium_in_ci_the_browser_tests_fail():
    run = run_browser_tests(ci=True)
    assert run.returncode == 1 and "not installed at /nonexistent/chromium" in run.stdout
