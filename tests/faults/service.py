"""The service's own processes for fault tests: web units and workers, each in its own group."""

from __future__ import annotations

import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from subprocess import Popen

import requests

from config import PROJECT_ROOT
from tests.faults.processes import HOST, free_port, spawn, stop, wait_until

TOKEN = "fault-token"
PHONE = "+254711000077"
START_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Reply:
    """One hop's answer and how long it took."""

    status: int
    body: str
    seconds: float


@dataclass
class Service:
    """Web units (AT's callbacks, the console) and workers of the service, started by a test."""

    database_url: str
    redis_url: str
    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    callbacks_port: int = field(default_factory=free_port)
    console_port: int = field(default_factory=free_port)
    processes: list[Popen[bytes]] = field(default_factory=list)

    def environment(self, **extra: str) -> dict[str, str]:
        """The environment the service's processes run with; `env` and `extra` override it."""
        found = dict(
            os.environ, APP_ENV="test", DATABASE_URL=self.database_url, REDIS_URL=self.redis_url,
            SECRET_KEY="fault-secret", AT_CALLBACK_TOKEN=TOKEN, AT_API_KEY="k", LOG_LEVEL="WARNING",
            VAR_DIR=str(self.folder), NO_PROXY="127.0.0.1,localhost",
        )  # fmt: skip
        return found | self.env | extra

    def _granian(self, port: int, interface: str, target: str, threads: int) -> list[str]:
        return [sys.executable, "-m", "granian", "--factory", "--interface", interface,
                "--host", HOST, "--port", str(port), "--workers", "1", "--blocking-threads",
                str(threads), "--no-access-log", target]  # fmt: skip

    def start_callbacks(self, threads: int = 2) -> Popen[bytes]:
        """AT's callbacks on their own server, as `make run` starts them."""
        argv = self._granian(self.callbacks_port, "wsgi", "app:create_app", threads)
        return self.start_web(argv, self.callbacks_port, WEB_SURFACE="callbacks")

    def start_web_nodes(self, count: int, threads: int = 2) -> dict[int, Popen[bytes]]:
        """Start `count` callbacks units at once, each on a port of its own; map port to process."""
        nodes = {}
        for port in (free_port() for _ in range(count)):
            argv = self._granian(port, "wsgi", "app:create_app", threads)
            nodes[port] = self._spawn(argv, f"web-{port}", WEB_SURFACE="callbacks")
        for port in nodes:
            wait_until(partial(self._healthy, port), START_SECONDS, f"web unit on {port}", 0.2)
        return nodes

    def use_sentinels(self, addresses: str, master: str) -> None:
        """Reach Redis through these sentinels (host:port,...) instead of REDIS_URL."""
        self.redis_url = ""
        self.env.update(REDIS_SENTINELS=addresses, REDIS_SENTINEL_MASTER=master)

    def start_console(self) -> Popen[bytes]:
        """The console and the agency API on their own server."""
        argv = self._granian(self.console_port, "asgi", "app:create_console", 1)
        return self.start_web(argv, self.console_port)

    def start_worker(self) -> Popen[bytes]:
        """An RQ worker with its scheduler."""
        process = self._spawn([sys.executable, "-m", "jobs.worker"], "worker")
        return process

    def start_web(self, argv: list[str], port: int, **extra: str) -> Popen[bytes]:
        """Start a web server by its command line and wait until `port` answers /healthz."""
        process = self._spawn(argv, f"web-{port}", **extra)
        wait_until(lambda: self._healthy(port), START_SECONDS, f"web unit on {port}", every=0.2)
        return process

    def _spawn(self, argv: list[str], name: str, **extra: str) -> Popen[bytes]:
        log, env = self.folder / f"{name}.log", self.environment(**extra)
        process = spawn(argv, log, env=env, cwd=PROJECT_ROOT)
        self.processes.append(process)
        return process

    def _healthy(self, port: int) -> bool:
        try:
            return requests.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def log(self, name: str) -> str:
        """What one process wrote."""
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def hop(
        self, session_id: str, text: str = "", phone: str = PHONE, timeout: float = 15,
        port: int | None = None,
    ) -> Reply:  # fmt: skip
        """Post one USSD hop as AT does (to the callbacks unit on `port`); time the answer."""
        form = {"sessionId": session_id, "serviceCode": "*384*1919#", "phoneNumber": phone,
                "networkCode": "63902", "text": text}  # fmt: skip
        url = f"http://{HOST}:{port or self.callbacks_port}/ussd?token={TOKEN}"
        began = time.monotonic()
        response = requests.post(url, data=form, timeout=timeout)
        return Reply(response.status_code, response.text, time.monotonic() - began)

    def dial(self, *inputs: str, phone: str = PHONE) -> list[Reply]:
        """A whole session, hop by hop, on a new session id."""
        session_id = f"fault-{uuid.uuid4().hex[:12]}"
        replies = [self.hop(session_id, "", phone)]
        for count in range(1, len(inputs) + 1):
            replies.append(self.hop(session_id, "*".join(inputs[:count]), phone))
        return replies

    def stop_all(self) -> None:
        """Stop every process this service started (by its group)."""
        for process in reversed(self.processes):
            stop(process)
        self.processes.clear()
