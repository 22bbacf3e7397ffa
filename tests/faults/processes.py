"""Child processes and ports of the fault toolkit: each process leads its own group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

HOST = "127.0.0.1"
STOP_SECONDS = 5.0


class FaultTimeout(RuntimeError):
    """Something the toolkit waited for did not happen in time."""


class BinaryMissing(RuntimeError):
    """A program the toolkit needs is not installed."""

    def __init__(self, program: str, package: str) -> None:
        super().__init__(f"{program} is not installed: apt-get install -y {package}")
        self.package = package


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def spawn(
    argv: list[str],
    log: Path | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `argv` as the leader of a new process group, its output appended to `log`."""
    if log is None:
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, env=env, cwd=cwd)  # fmt: skip
    with log.open("ab") as sink:
        return subprocess.Popen(argv, stdout=sink, stderr=sink, start_new_session=True, env=env,
                                cwd=cwd)  # fmt: skip


def signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Send `signum` to the process group `process` leads, if it still runs."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass


def stop(process: subprocess.Popen[bytes], seconds: float = STOP_SECONDS) -> None:
    """Stop the group `process` leads: SIGTERM (and SIGCONT, were it frozen), then SIGKILL."""
    signal_group(process, signal.SIGTERM)
    signal_group(process, signal.SIGCONT)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        kill(process, seconds)


def kill(process: subprocess.Popen[bytes], seconds: float = STOP_SECONDS) -> None:
    """Kill the group `process` leads at once and reap it."""
    signal_group(process, signal.SIGKILL)
    process.wait(timeout=seconds)


def wait_until(check: Callable[[], bool], seconds: float, what: str, every: float = 0.05) -> None:
    """Poll `check` until it is true; raise FaultTimeout naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() >= deadline:
            raise FaultTimeout(f"{what}: not within {seconds} s")
        time.sleep(every)


def accepts(port: int, host: str = HOST) -> bool:
    """Tell whether something accepts TCP connections on `port`."""
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((host, port)) == 0
