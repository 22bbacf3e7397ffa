"""Run one web unit under granian: `python -m ops.serve callbacks` or `python -m ops.serve console`.

- callbacks: AT's callbacks (USSD hops, SMS reports, inbound SMS) as WSGI on PORT, WEB_WORKERS
  processes of WEB_THREADS threads each.
- console: the staff console and the agency API as ASGI on CONSOLE_PORT, bodies read whole in the
  event loop before a thread takes them.

Requests are logged by the app (JSON with a request id), so granian's own access log stays off;
with LOG_JSON its few server lines are JSON too. The process becomes granian (exec), so a service
manager watches and signals granian itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from enum import StrEnum
from pathlib import Path

from config import Settings, load_settings

LOG_CONFIG = Path(__file__).with_name("granian_log.json")
KILL_SECONDS = 15  # a worker still busy this long after SIGTERM is killed
HEADER_MS = 5000  # a client has this long to send its request headers


class Unit(StrEnum):
    """The web units: AT's callbacks, and the console with the agency API."""

    CALLBACKS = "callbacks"
    CONSOLE = "console"


def command(settings: Settings, unit: Unit) -> list[str]:
    """The granian command line that serves `unit`."""
    if unit is Unit.CALLBACKS:
        port, workers, target = settings.port, settings.web_workers, "app:create_app"
        interface = ["--interface", "wsgi", "--blocking-threads", str(settings.web_threads)]
    else:
        port, workers, target = settings.console_port, 1, "app:create_console"
        interface = ["--interface", "asgi"]
    logs = ["--log-config", str(LOG_CONFIG)] if settings.log_json else []
    return [
        sys.executable, "-m", "granian", "--factory", "--host", settings.host, "--port", str(port),
        "--workers", str(workers), "--workers-kill-timeout", str(KILL_SECONDS),
        "--http1-header-read-timeout", str(HEADER_MS), "--no-access-log", *logs, *interface, target,
    ]  # fmt: skip


def environment(unit: Unit, env: Mapping[str, str]) -> dict[str, str]:
    """The environment `unit` runs with: the callbacks server serves the callbacks alone."""
    return dict(env, WEB_SURFACE="callbacks") if unit is Unit.CALLBACKS else dict(env)


def main(argv: Sequence[str] | None = None) -> None:
    """Become the granian server of the unit named on the command line."""
    parser = argparse.ArgumentParser(prog="python -m ops.serve", description="Run one web unit.")
    parser.add_argument("unit", choices=[unit.value for unit in Unit])
    unit = Unit(parser.parse_args(argv).unit)
    argv_ = command(load_settings(), unit)
    os.execve(argv_[0], argv_, environment(unit, os.environ))


if __name__ == "__main__":
    main()
