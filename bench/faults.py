"""Benchmark: the service under steady USSD load while each fault is injected in turn.

The service runs as production runs it on one machine (bench/stage.py); callers walk status
lookups and one caller books on fresh numbers (bench/callers.py). After a quiet baseline, each
fault lasts --fault-seconds, then clears, then a quiet period follows. Every booking reply that
promised something must end, once everything settles, with its booking and receipt SMS at the
fake AT, or a kept or broken promise and its SMS. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from types import FrameType

from bench.callers import JOIN_SECONDS
from bench.stage import Stage, build, documents
from bench.tally import (
    BUDGET,
    RECOVERY,
    Phase,
    Promised,
    Row,
    explain,
    promised,
    read_dials,
    rows,
    table,
    unkept,
)
from config import PROJECT_ROOT
from tests.faults.processes import kill, signal_group, spawn

FOLDER = PROJECT_ROOT / "var" / "bench-faults"
WARM_UP_SECONDS = 5.0
SETTLE_EVERY = 2.0


def _nothing(_stage: Stage) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault: how to inject it, how to clear it, what to renew each second while it lasts."""

    name: str
    inject: Callable[[Stage], object]
    clear: Callable[[Stage], object]
    renew: Callable[[Stage], object] = _nothing


FAULTS = (
    Fault("database blackholed", lambda s: s.proxy.blackhole(), lambda s: s.proxy.pass_through()),
    Fault("database refusing (reset)", lambda s: s.proxy.reset(),
          lambda s: s.proxy.pass_through()),
    Fault("Redis frozen (SIGSTOP)", lambda s: s.redis.freeze(), lambda s: s.redis.thaw()),
    Fault("Redis stopped, back with its data", lambda s: s.redis.stop(),
          lambda s: s.redis.start()),
    Fault("Redis killed, back empty", lambda s: s.redis.kill(), lambda s: s.redis.restart_empty()),
    Fault("50 slow bodies on the console", Stage.open_slow, Stage.close_slow, Stage.open_slow),
    Fault("every worker SIGKILLed", Stage.kill_workers, Stage.start_workers),
)  # fmt: skip


def note(began: float, text: str) -> None:
    """One progress line on stderr, with the seconds since the run began."""
    print(f"[{time.monotonic() - began:6.1f} s] {text}", file=sys.stderr, flush=True)


def hold(stage: Stage, fault: Fault, seconds: float) -> None:
    """Keep `fault` injected for `seconds`, renewing it every second."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        fault.renew(stage)
        time.sleep(min(1.0, left))


def drive(stage: Stage, args: argparse.Namespace, began: float) -> list[Phase]:
    """A quiet baseline, then each fault with a quiet period after it; return the phases."""
    start = time.monotonic()
    time.sleep(args.quiet_seconds)
    phases = [Phase("no fault", start, None, time.monotonic())]
    for fault in FAULTS:
        start = phases[-1].ended
        note(began, f"{fault.name}: injected")
        fault.inject(stage)
        hold(stage, fault, args.fault_seconds)
        fault.clear(stage)
        healed = time.monotonic()
        note(began, f"{fault.name}: cleared")
        time.sleep(args.quiet_seconds)
        phases.append(Phase(fault.name, start, healed, time.monotonic()))
    return phases


def start_callers(stage: Stage, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """The load, in a process group of its own, bounded in time."""
    sample = FOLDER / "documents.json"
    sample.write_text(json.dumps(documents(stage)))
    longest = WARM_UP_SECONDS + args.quiet_seconds * (len(FAULTS) + 1)
    longest += args.fault_seconds * len(FAULTS) + 120
    argv = [sys.executable, "-m", "bench.callers", "--url", stage.ussd_url,
            "--documents", str(sample), "--out", str(FOLDER / "dials.jsonl"),
            "--status", str(args.callers), "--booking", str(args.bookers),
            "--think", str(args.think), "--seconds", str(longest)]  # fmt: skip
    env = stage.service.environment()
    return spawn(argv, FOLDER / "callers.log", env=env, cwd=PROJECT_ROOT)


def stop_callers(callers: subprocess.Popen[bytes]) -> None:
    """Let every caller finish its hop, then make sure the group is gone."""
    signal_group(callers, signal.SIGTERM)
    try:
        callers.wait(timeout=JOIN_SECONDS + 5)
    except subprocess.TimeoutExpired:
        kill(callers)


def inbox(stage: Stage) -> dict[str, list[str]]:
    """Every text the fake AT accepted, per number."""
    state = stage.fake_at.app.state
    with state.lock:
        return {number: [text for _, text, _ in texts] for number, texts in state.inbox.items()}


def settle(stage: Stage, promises: Sequence[Promised], seconds: float) -> list[Promised]:
    """Wait (at most `seconds`) until every promise is kept or broken with its SMS."""
    deadline = time.monotonic() + seconds
    while True:
        lost = unkept(promises, stage.direct_url, inbox(stage))
        if not lost or time.monotonic() >= deadline:
            return lost
        time.sleep(SETTLE_EVERY)


def report(
    args: argparse.Namespace, found: Sequence[Row], stories: Sequence[str], settled: float,
    load: str,
) -> int:  # fmt: skip
    """Print the table, the targets and what each lost promise left; count missed targets."""
    print(f"\n{args.callers} callers looking documents up and {args.bookers} booking, "
          f"{args.think:g} s between hops; each fault {args.fault_seconds:g} s, then "
          f"{args.quiet_seconds:g} s quiet; {args.workers} workers")  # fmt: skip
    print(table(found))
    print(f"targets: 100% of hops answered within {BUDGET:g} s, served again within "
          f"{RECOVERY:g} s of a fault clearing, 0 promises lost (settled after "
          f"{settled:.0f} s; load average {load})")  # fmt: skip
    missed = [f"{r.name}: {why}" for r in found for why in r.missed()]
    for line in missed:
        print(f"MISSED {line}")
    for story in stories:
        print(f"lost: {story}")
    return len(missed)


def run(args: argparse.Namespace) -> int:
    """Set everything up, drive the faults, settle, report; stop everything whatever happens."""
    began, load = time.monotonic(), _load()
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir(parents=True)
    with ExitStack() as stack:
        stage = build(stack, FOLDER, args.database, args.workers)
        note(began, "service up and seeded; callers starting")
        callers = start_callers(stage, args)
        stack.callback(kill, callers)
        time.sleep(WARM_UP_SECONDS)
        phases = drive(stage, args, began)
        stop_callers(callers)
        dials = read_dials(FOLDER / "dials.jsonl")
        promises = promised(dials)
        note(began, f"load stopped; waiting for {len(promises)} promises to settle")
        settling = time.monotonic()
        lost = settle(stage, promises, args.settle_seconds)
        settled = time.monotonic() - settling
        found = rows(phases, dials, promises, lost)
        stories = explain(lost, stage.direct_url, inbox(stage)) if lost else []
        return report(args, found, stories, settled, f"{load} before, {_load()} after")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _exit_on_term(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(143)  # unwinds the ExitStack: every process group is stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fault-seconds", type=float, default=30.0)
    parser.add_argument("--quiet-seconds", type=float, default=20.0)
    parser.add_argument("--callers", type=int, default=12, help="callers looking documents up")
    parser.add_argument("--bookers", type=int, default=1, help="callers booking")
    parser.add_argument("--think", type=float, default=0.05, help="seconds between hops")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--settle-seconds", type=float, default=420.0,
                        help="the longest wait for promises after the load stops")  # fmt: skip
    parser.add_argument("--database", default="huduma_bench_faults")
    signal.signal(signal.SIGTERM, _exit_on_term)
    missed = run(parser.parse_args())
    print(f"logs: {FOLDER}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
