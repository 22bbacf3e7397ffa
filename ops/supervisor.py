"""Keep child processes running: restart each one that dies, with backoff; stop them in order.

Every child leads a process group of its own (RQ's scheduler, granian's workers and the embedded
Redis are in the group of the process that started them), so signalling the group reaches all of
it, and a Ctrl-C at the terminal reaches none of it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ops.backoff import Backoff

log = logging.getLogger(__name__)
STOP_SECONDS = 15.0  # a worker finishes its current job and deregisters within this


@dataclass(frozen=True, slots=True)
class Program:
    """A child to keep running: how to start it, and whether the run can go on without it."""

    name: str
    spawn: Callable[[], subprocess.Popen[bytes]]
    vital: bool = False


@dataclass(slots=True)
class Child:
    """A program's current process, and when to start it again after it died."""

    program: Program
    process: subprocess.Popen[bytes]
    started_at: float = field(default_factory=time.monotonic)
    backoff: Backoff = field(default_factory=Backoff)
    restart_at: float | None = None


def describe(returncode: int) -> str:
    """Say how a process ended: its exit status or the signal that killed it."""
    if returncode >= 0:
        return f"exit {returncode}"
    try:
        return f"killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"killed by signal {-returncode}"


def signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Signal the process group a child leads; a group already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


class Supervisor:
    """Start programs, restart the ones that die, and stop them all on request."""

    def __init__(self) -> None:
        self.children: dict[str, Child] = {}

    def start(self, program: Program) -> None:
        """Start `program` and keep it running from now on."""
        self.children[program.name] = Child(program, program.spawn())

    def check(self) -> bool:
        """Note deaths and restart what is due; False once a vital program cannot come back."""
        now = time.monotonic()
        for child in self.children.values():
            if child.restart_at is None and child.process.poll() is not None:
                self.schedule(child, now)
            elif child.restart_at is not None and now >= child.restart_at:
                if not self.respawn(child):
                    return False
        return True

    def schedule(self, child: Child, now: float) -> None:
        """Clear what is left of a dead child's group and set when it starts again."""
        signal_group(child.process, signal.SIGKILL)
        delay = child.backoff.next_delay(now - child.started_at)
        child.restart_at = now + delay
        ended = describe(child.process.returncode)
        log.warning("%s exited (%s); restarting in %.0f s", child.program.name, ended, delay)

    def respawn(self, child: Child) -> bool:
        """Start a dead child again; False if a vital one failed to start."""
        child.restart_at, child.started_at = None, time.monotonic()
        try:
            child.process = child.program.spawn()
        except Exception as exc:  # whatever stops a start, the run must decide, not crash
            if child.program.vital:
                log.error("%s did not come back (%s); stopping", child.program.name, exc)
                return False
            log.warning("%s did not start (%s)", child.program.name, exc)
        return True

    def stop(self, order: Iterable[tuple[str, ...]]) -> None:
        """Stop the children group by group, in `order`; each group's members together."""
        for names in order:
            group = [self.children[name] for name in names if name in self.children]
            for child in group:
                if child.process.poll() is None:
                    signal_group(child.process, signal.SIGTERM)
            for child in group:
                self.wait_or_kill(child.process)

    @staticmethod
    def wait_or_kill(process: subprocess.Popen[bytes]) -> None:
        """Wait for a stopping child; kill its group if it takes too long, and any leftovers."""
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            signal_group(process, signal.SIGKILL)
            process.wait(timeout=10)
        signal_group(process, signal.SIGKILL)  # whatever of its group outlived it
