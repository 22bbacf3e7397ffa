"""Run the whole service on one machine: Redis (embedded unless REDIS_URL), worker, web server."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from config import Settings, load_settings
from ops.redis import start_embedded

LEADERS = frozenset({"fake-at", "worker", "web"})  # children started as process-group leaders


@dataclass
class Launcher:
    """Start child processes, and stop every one of them on Ctrl-C or when one dies."""

    settings: Settings
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
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

    def start_fake_at(self, env: dict[str, str]) -> None:
        port = free_port(self.settings.host, self.settings.port + 1)
        base = f"http://{self.settings.host}:{self.settings.port}"
        token = self.settings.at_callback_token or secrets.token_urlsafe(16)
        self.settings = self.settings.with_overrides(
            at_callback_token=token, at_api_base_url=f"http://127.0.0.1:{port}/version1"
        )
        env.update(AT_API_KEY="fake-at-development-key", AT_CALLBACK_TOKEN=token,
                   AT_API_BASE_URL=self.settings.at_api_base_url)  # fmt: skip
        callback = f"{base}/sms/delivery-reports?token={token}"
        self.children["fake-at"] = subprocess.Popen(
            [sys.executable, "-m", "sms.fake_at", "--port", str(port), "--callback-url", callback],
            env=env,
            start_new_session=True,
        )
        # Let it finish booting before the web server boots, so they do not compete for CPU.
        wait_for_port("127.0.0.1", port, seconds=10)

    def start(self) -> None:
        if self.settings.redis_embedded:
            self.children["redis"] = start_embedded(self.settings.redis_socket)
        env = self.child_env()
        if self.wants_fake_at:
            self.start_fake_at(env)
        # Worker and web server each lead a process group (RQ's scheduler, granian's workers):
        # stopping a group stops every process of it, even one that was still starting.
        self.children["worker"] = subprocess.Popen(
            [sys.executable, "-m", "jobs.worker"], env=env, start_new_session=True
        )
        self.children["web"] = subprocess.Popen(
            [
                sys.executable, "-m", "granian", "--interface", "wsgi", "--factory",
                "--host", self.settings.host, "--port", str(self.settings.port),
                "--workers", str(self.settings.web_workers),
                "--blocking-threads", str(self.settings.web_threads),
                "--workers-kill-timeout", "15", "--access-log",
                # The path without its query: callback URLs carry the AT token there.
                "--access-log-fmt",
                '%(addr)s [%(time)s] "%(method)s %(path)s" %(status)d %(dt_ms).1fms',
                "app:create_app",
            ],
            env=env,
            start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        # Redis goes last so the worker can finish its current job and deregister.
        for group in (("web", "worker"), ("fake-at",), ("redis",)):
            running = [(n in LEADERS, self.children[n]) for n in group if n in self.children]
            for leads, child in running:
                if child.poll() is None:
                    _signal(child, signal.SIGTERM, group=leads)
            for leads, child in running:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    _signal(child, signal.SIGKILL, group=leads)
                    child.wait(timeout=10)
                if leads:  # whatever of its group outlived it
                    _signal(child, signal.SIGKILL, group=True)

    def wait(self) -> int:
        while True:
            for name, child in self.children.items():
                if child.poll() is not None:
                    print(
                        f"{name} stopped (exit {child.returncode}); stopping the rest", flush=True
                    )
                    return 1
            time.sleep(0.5)


def _signal(child: subprocess.Popen[bytes], sig: int, *, group: bool) -> None:
    """Signal a child, or the process group it leads; a group already gone is fine."""
    try:
        if group:
            os.killpg(child.pid, sig)
        elif child.poll() is None:
            child.send_signal(sig)
    except ProcessLookupError:
        pass


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


def wait_for_port(host: str, port: int, seconds: float) -> bool:
    """Wait until something accepts connections on host:port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
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
    token = f"?token={settings.at_callback_token}" if settings.at_callback_token else ""
    code = settings.ussd_service_codes[0] if settings.ussd_service_codes else "*384*1919#"
    return "\n".join(
        [
            "",
            f"Huduma gateway on {base}  (Ctrl-C stops everything)",
            f"  USSD callback URL : {base}/ussd{token}",
            f"  readiness         : {base}/readyz",
            f"  metrics           : {base}/metrics",
            f"  staff console     : {base}/staff/login  (first admin: "
            ".venv/bin/flask --app app staff create-admin NAME)",
            f"  USSD simulator    : {base}/staff/simulator/  (after logging in)",
            *fake_at_lines(settings),
            "  dial it:",
            f"    curl -s {base}/ussd{token} -d sessionId=demo-1 -d 'serviceCode={code}' "
            "--data-urlencode phoneNumber=+254700000003 -d networkCode=63902 -d text=",
            "",
        ]
    )


def main() -> int:
    """Start everything, print how to use it, and wait for Ctrl-C."""
    settings = load_settings()
    launcher = Launcher(settings)

    def _terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        launcher.start()
        print(banner(launcher.settings), flush=True)
        return launcher.wait()
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
        return 0
    finally:
        launcher.stop()


if __name__ == "__main__":
    sys.exit(main())
