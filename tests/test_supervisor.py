"""The launcher's supervisor on small real processes: restarts with backoff, stops in order."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from ops.supervisor import Program, Supervisor, describe


def shell(script: str) -> Callable[[], subprocess.Popen[bytes]]:
    """Start `script` under sh as the leader of a process group of its own."""
    return lambda: subprocess.Popen(["sh", "-c", script], start_new_session=True)


def check_for(supervisor: Supervisor, seconds: float) -> bool:
    """Let the supervisor check its children for `seconds`; False if it gave up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not supervisor.check():
            return False
        time.sleep(0.05)
    return True


def test_a_program_that_keeps_dying_is_restarted_ever_later(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="ops.supervisor")
    supervisor = Supervisor()
    supervisor.start(Program("flaky", shell("exit 3")))
    try:
        assert check_for(supervisor, 2.5)
    finally:
        supervisor.stop([("flaky",)])
    assert caplog.messages == [
        "flaky exited (exit 3); restarting in 1 s",
        "flaky exited (exit 3); restarting in 2 s",
    ]


def test_a_vital_program_that_cannot_start_again_ends_the_run(caplog: pytest.LogCaptureFixture):
    starts: list[int] = []

    def spawn() -> subprocess.Popen[bytes]:
        starts.append(1)
        if len(starts) > 1:
            raise RuntimeError("the socket did not answer")
        return shell("exit 0")()

    supervisor = Supervisor()
    supervisor.start(Program("redis", spawn, vital=True))
    assert not check_for(supervisor, 5) and len(starts) == 2
    assert "redis did not come back (the socket did not answer); stopping" in caplog.messages


def test_stop_goes_group_by_group_and_leaves_no_process(tmp_path: Path):
    noted = tmp_path / "stopped"
    supervisor = Supervisor()
    for name in ("redis", "web", "worker"):
        script = f'trap "echo {name} >> {noted}; exit 0" TERM; sleep 60 & wait'
        supervisor.start(Program(name, shell(script)))
    time.sleep(0.5)  # let each shell set its trap
    groups = [child.process.pid for child in supervisor.children.values()]
    supervisor.stop([("worker",), ("web",), ("redis",)])
    assert noted.read_text().split() == ["worker", "web", "redis"]
    assert _members(groups) == []


def _members(groups: list[int]) -> list[int]:
    """Pids of the live processes of any of `groups`."""
    found = []
    for pid in psutil.pids():
        try:
            if os.getpgid(pid) in groups and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                found.append(pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


@pytest.mark.parametrize(("code", "said"), [
    (0, "exit 0"), (1, "exit 1"), (-9, "killed by SIGKILL"), (-15, "killed by SIGTERM"),
])  # fmt: skip
def test_how_a_child_ended_is_said_plainly(code: int, said: str):
    assert describe(code) == said
