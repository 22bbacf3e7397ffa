"""Run the whole service on one machine: Redis (embedded unless REDIS_URL), worker, web server.

Each child is restarted when it dies (with backoff); only Ctrl-C, SIGTERM or an embedded Redis that
cannot start again ends the run, stopping the workers first and Redis last.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from config import Settings, load_settings
from ops import serve
from ops.backoff import nap
from ops.logs import configure_logging
from ops.redis import start_embedded
from ops.serve import Unit
from ops.supervisor import Program, Supervisor

log = logging.getLogger(__name__)
# Workers first (the web server's and RQ's), then what they call, Redis last.
STOP_ORDER = (("worker", "web", "console"), ("fake-at",), ("redis",))
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class Launcher:
    """Start the service's processes, keep them running, and stop them all on request."""

    settings: Settings
    supervisor: Supervisor = field(default_factory=Supervisor)
    stopping: bool = False

    def request_stop(self, _signum: int, _frame: FrameType | None) -> None:
        """Ask the run to stop; the supervising loop and any wait notice it."""
        self.stopping = True

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        if not self.settings.at_callback_token and not self.settings.is_production:
            # Callbacks refuse everyone without a token: development gets one for this run.
            token = secrets.token_urlsafe(16)
            self.settings = self.settings.with_overrides(at_callback_token=token)
            env["AT_CALLBACK_TOKEN"] = token
        if self.settings.redis_embedded:
            env["REDIS_URL"] = self.settings.effective_redis_url
        metrics_dir = self.settings.var_dir / "metrics"
        metrics_dir.mkdir(parents=True, exist_ok=True)
        for stale in metrics_dir.glob("*.db"):
            stale.unlink()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        return env

    @property
    def wants_fake_at(self) -> bool:
        """Development without an AT key sends to a local fake AT instead."""
        return not self.settings.at_api_key and not self.settings.is_production

    def fake_at(self, env: dict[str, str]) -> Program:
        """Point `env` and the settings at a fake AT on a free port; return how to run it."""
        port = free_port(self.settings.host, self.settings.port + 1)
        base = f"http://{self.settings.host}:{self.settings.port}"
        token = self.settings.at_callback_token
        self.settings = self.settings.with_overrides(
            at_api_base_url=f"http://127.0.0.1:{port}/version1"
        )
        env.update(AT_API_KEY="fake-at-development-key", AT_CALLBACK_TOKEN=token,
                   AT_API_BASE_URL=self.settings.at_api_base_url)  # fmt: skip
        callback = f"{base}/sms/delivery-reports?token={token}"
        command = [sys.executable, "-m", "sms.fake_at", "--port", str(port), "--callback-url",
                   callback]  # fmt: skip

        def spawn() -> subprocess.Popen[bytes]:
            process = subprocess.Popen(command, env=env, start_new_session=True)
            # Let it finish booting before the web server boots, so they do not compete for CPU.
            wait_for_port("127.0.0.1", port, seconds=10, stopping=lambda: self.stopping)
            return process

        return Program("fake-at", spawn)

    def web_command(self) -> list[str]:
        """AT's callbacks, as `python -m ops.serve callbacks` serves them."""
        return serve.command(self.settings, Unit.CALLBACKS)

    def console_command(self) -> list[str]:
        """The console and agency API, as `python -m ops.serve console` serves them."""
        return serve.command(self.settings, Unit.CONSOLE)

    def programs(self) -> list[Program]:
        """Everything to run, in starting order."""
        found = []
        if self.settings.redis_embedded:
            socket_path = self.settings.redis_socket
            found.append(Program("redis", lambda: start_embedded(socket_path, new_session=True),
                                 vital=True))  # fmt: skip
        env = self.child_env()
        if self.wants_fake_at:
            found.append(self.fake_at(env))
        # Worker and web server each lead a process group (RQ's scheduler, granian's workers):
        # stopping a group stops every process of it, even one that was still starting.
        found.append(Program("worker", lambda: _leader([sys.executable, "-m", "jobs.worker"], env)))
        web, console = self.web_command(), self.console_command()
        found.append(Program("web", lambda: _leader(web, serve.environment(Unit.CALLBACKS, env))))
        found.append(Program("console", lambda: _leader(console, env)))
        return found

    def start(self) -> None:
        """Start every program in order, unless a stop is asked for meanwhile."""
        for program in self.programs():
            if self.stopping:
                return
            self.supervisor.start(program)

    def supervise(self) -> int:
        """Keep everything running until asked to stop; 1 if Redis could not come back."""
        while not self.stopping:
            if not self.supervisor.check():
                return 1
            nap(0.5, lambda: self.stopping)
        return 0

    def stop(self) -> None:
        """Stop everything: the workers first, the embedded Redis last."""
        self.supervisor.stop(STOP_ORDER)


def _leader(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start `command` as the leader of a new session and process group."""
    return subprocess.Popen(command, env=env, start_new_session=True)


def free_port(host: str, preferred: int) -> int:
    """Return `preferred` when it is free, else a port the OS picks."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise OSError("no free port")


def wait_for_port(
    host: str, port: int, seconds: float, stopping: Callable[[], bool] = lambda: False
) -> bool:
    """Wait until something accepts connections on host:port (or a stop is asked for)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stopping():
        with socket.socket() as sock:
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.05)
    return False


def fake_at_lines(settings: Settings) -> list[str]:
    """Where the fake AT's inbox is, when development sends to it."""
    if not settings.at_api_base_url.startswith("http://127.0.0.1"):
        return []
    inbox = settings.at_api_base_url.removesuffix("/version1") + "/inbox"
    return [f"  SMS inbox (fake AT): {inbox}"]


def banner(settings: Settings) -> str:
    """Tell a new user where the service is and how to dial it."""
    base = f"http://{settings.host}:{settings.port}"
    console = f"http://{settings.host}:{settings.console_port}"
    # The token is a secret: shown to a developer, never printed (or logged) in production.
    secret = settings.at_callback_token if not settings.is_production else "<AT_CALLBACK_TOKEN>"
    token = f"?token={secret}" if settings.at_callback_token else ""
    code = settings.ussd_service_codes[0] if settings.ussd_service_codes else "*384*1919#"
    return "\n".join(
        [
            "",
            f"Huduma gateway on {base}  (Ctrl-C stops everything)",
            f"  USSD callback URL : {base}/ussd{token}",
            f"  readiness         : {base}/readyz",
            f"  metrics           : {base}/metrics",
            f"  staff console     : {console}/staff/login  (first admin: "
            ".venv/bin/flask --app app staff create-admin NAME)",
            f"  USSD simulator    : {console}/staff/simulator/  (after logging in)",
            f"  agency status API : {console}/api/v1/documents/status",
            *fake_at_lines(settings),
            "  dial it:",
            f"    curl -s {base}/ussd{token} -d sessionId=demo-1 -d 'serviceCode={code}' "
            "--data-urlencode phoneNumber=+254700000003 -d networkCode=63902 -d text=",
            "",
        ]
    )


def take_terminal() -> Callable[[], None]:
    """Lead the terminal's foreground process group; return how to hand it back.

    Ctrl-C then reaches this run alone: `make` (or a shell script) that started it would otherwise
    get the same SIGINT and end with an error of its own, whatever this run does.
    """
    try:
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:  # no terminal
        return lambda: None
    try:
        previous = os.tcgetpgrp(tty)
        if previous != os.getpgrp() or os.getsid(0) == os.getpid():
            raise OSError("not in the foreground, or leading the session")
        os.setpgid(0, 0)
    except OSError:
        os.close(tty)
        return lambda: None
    _give_terminal(tty, os.getpgrp())

    def hand_back() -> None:
        _give_terminal(tty, previous)
        os.close(tty)

    return hand_back


def _give_terminal(tty: int, group: int) -> None:
    """Make `group` the terminal's foreground; a background caller must ignore SIGTTOU for it."""
    before = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(tty, group)
    except OSError:  # the group is gone: nothing to hand back to
        pass
    finally:
        signal.signal(signal.SIGTTOU, before)


def main() -> int:
    """Start everything, print how to use it, and keep it running until Ctrl-C or SIGTERM."""
    settings = load_settings()
    configure_logging(settings)
    launcher = Launcher(settings)
    for sig in STOP_SIGNALS:
        signal.signal(sig, launcher.request_stop)
    signal.signal(signal.SIGTSTP, signal.SIG_IGN)  # a stopped run would hold the terminal
    hand_back = take_terminal()
    status = 1
    try:
        launcher.start()
        if not launcher.stopping:
            print(banner(launcher.settings), flush=True)
        status = launcher.supervise()
    except Exception as exc:  # a start that failed: say so in one line, then stop the rest
        log.error("could not start: %s", exc)
    finally:
        print("\nstopping...", flush=True)
        launcher.stop()
        hand_back()
    return status


if __name__ == "__main__":
    sys.exit(main())
