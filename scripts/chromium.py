"""Make Debian's Chromium available to the browser tests, or say in one line why they will skip.

`make test` runs this first. As root with apt-get it installs `chromium chromium-driver` quietly
(output in a log file) within a time limit; otherwise it says how. Under CI=true a Chromium that is
still missing is an error, as it is for the browser tests. It never downloads a browser of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import IO

PACKAGES = ("chromium", "chromium-driver")
HINT = "apt-get install -y " + " ".join(PACKAGES)


class Plan(StrEnum):
    """What to do about Chromium on this machine."""

    USE = "use"
    INSTALL = "install"
    NOT_ROOT = "not-root"
    NO_APT_GET = "no-apt-get"


def decide(chromium: Path, apt_get: Path | None, euid: int) -> Plan:
    """Use a present Chromium, install it as root with apt-get, or say which of those is missing."""
    if chromium.exists():
        return Plan.USE
    if euid != 0:
        return Plan.NOT_ROOT
    return Plan.INSTALL if apt_get is not None else Plan.NO_APT_GET


def run_bounded(argv: list[str], log: IO[bytes], deadline: float) -> int | None:
    """Run `argv` with its output in `log`; None if it outlives `deadline` (then it is stopped)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
        start_new_session=True,
    )  # fmt: skip
    try:
        return process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        stop_group(process)
        return None


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process and the group it leads: SIGTERM, then SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


def install(apt_get: Path, log_path: Path, seconds: float) -> str | None:
    """Install the packages; return why it failed, or None."""
    deadline = time.monotonic() + seconds
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # Another apt run may hold the lock for a while.
    get = [str(apt_get), "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=120", *PACKAGES]
    with log_path.open("ab") as log:
        # A failed update is not final: the package lists already on the machine may do.
        status = run_bounded([str(apt_get), "update", "-qq"], log, deadline)
        if status is not None:
            status = run_bounded(get, log, deadline)
    if status is None:
        return f"apt-get did not finish within {seconds:.0f} s (log: {log_path})"
    return f"apt-get install failed (exit {status}; log: {log_path})" if status else None


def problem(plan: Plan, chromium: Path) -> str:
    """Say why the browser tests cannot have Chromium."""
    if plan is Plan.NOT_ROOT:
        return f"no Chromium at {chromium} and not root to install it (as root: {HINT})"
    return f"no Chromium at {chromium} and no apt-get to install it"


def arguments(argv: list[str]) -> argparse.Namespace:
    """Parse the command line; every option has the default `make test` uses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"))
    parser.add_argument("--apt-get", type=Path, default=shutil.which("apt-get"))
    parser.add_argument("--log", type=Path, default=Path("var/chromium-install.log"))
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds for apt-get")
    return parser.parse_args(argv)


def attempt(plan: Plan, args: argparse.Namespace, apt_get: Path | None) -> str | None:
    """Carry out the plan; return why there is still no Chromium, or None."""
    if plan is not Plan.INSTALL or apt_get is None:
        return problem(plan, args.chromium)
    failure = install(apt_get, args.log, args.timeout)
    if failure is None and not args.chromium.exists():
        failure = f"apt-get finished but there is no Chromium at {args.chromium}"
    return failure


def main(argv: list[str]) -> int:
    """Print one line saying what happened; fail only under CI=true without Chromium."""
    args = arguments(argv)
    apt_get = args.apt_get if args.apt_get and args.apt_get.exists() else None
    plan = decide(args.chromium, apt_get, os.geteuid())
    if plan is Plan.USE:
        print(f"browser tests: using Debian Chromium at {args.chromium}")
        return 0
    started = time.monotonic()
    failure = attempt(plan, args, apt_get)
    if failure is None:
        took = time.monotonic() - started
        print(f"browser tests: installed Debian chromium and chromium-driver in {took:.0f} s")
        return 0
    ci = os.environ.get("CI", "").strip().lower() == "true"
    print(f"browser tests {'cannot run under CI=true' if ci else 'will be skipped'}: {failure}")
    return 1 if ci else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
