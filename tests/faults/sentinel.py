"""A Redis Sentinel set-up: a master, a replica and three sentinels, with short timeouts."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.faults.processes import (
    HOST,
    BinaryMissing,
    FaultTimeout,
    free_port,
    spawn,
    stop,
    wait_until,
)
from tests.faults.redis_server import DEBIAN_REDIS, RedisServer, no_retry, replication

DEBIAN_SENTINEL = Path("/usr/bin/redis-sentinel")
SERVICE = "huduma"
SENTINELS = 3
QUORUM = 2
READY_SECONDS = 15.0  # sentinels find each other through hello messages sent every 2 s
FAILOVER_SECONDS = 20.0

Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Timing:
    """How quickly the sentinels give up on a master."""

    down_after_ms: int = 1000
    failover_timeout_ms: int = 3000


def sentinel_command() -> list[str]:
    """Return the command that starts a sentinel with Debian's binaries."""
    if DEBIAN_SENTINEL.exists():
        return [str(DEBIAN_SENTINEL)]
    if DEBIAN_REDIS.exists():
        return [str(DEBIAN_REDIS), "--sentinel"]  # the config file must come first: see _launch
    raise BinaryMissing(str(DEBIAN_SENTINEL), "redis-sentinel")


class SentinelCluster:
    """A master, a replica and three sentinels watching them, all on 127.0.0.1."""

    def __init__(
        self, workdir: Path, timing: Timing = Timing(), service: str = SERVICE,
        password: str = "", sentinel_password: str = "",
    ) -> None:  # fmt: skip
        self.command = sentinel_command()
        self.workdir = workdir
        self.timing = timing
        self.service = service
        self.sentinel_password = sentinel_password
        self.master = RedisServer(workdir / "master", password=password)
        self.replica = RedisServer(workdir / "replica", password=password)
        self.sentinel_ports: list[int] = []
        self._sentinels: list[subprocess.Popen[bytes]] = []

    @property
    def sentinels(self) -> list[Address]:
        """Where the sentinels listen, for `redis.sentinel.Sentinel`."""
        return [(HOST, port) for port in self.sentinel_ports]

    def start(self, seconds: float = READY_SECONDS) -> SentinelCluster:
        """Start master, replica and sentinels; wait until each sentinel sees the whole set-up."""
        try:
            self.master.start()
            self.replica.start()
            self.replica.replicate(self.master)
            for _ in range(SENTINELS):
                self._launch(free_port())
            wait_until(self._ready, seconds, "sentinels seeing the replica and each other", 0.2)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the sentinels, then the servers."""
        for process in self._sentinels:
            stop(process)
        self.replica.stop()
        self.master.stop()

    @property
    def addresses(self) -> str:
        """The sentinels as REDIS_SENTINELS names them: host:port,host:port..."""
        return ",".join(f"{host}:{port}" for host, port in self.sentinels)

    def stop_sentinel(self, index: int) -> None:
        """Stop one sentinel (the others still make a quorum)."""
        stop(self._sentinels[index])

    def kill_master(self) -> Address:
        """Kill the current master with SIGKILL; return the address it had."""
        old = self.master_address()
        for server in (self.master, self.replica):
            if server.port == old[1]:
                server.kill()
        return old

    def master_address(self) -> Address:
        """Return the master the first answering sentinel names."""
        for port in self.sentinel_ports:
            try:
                return self._named_by(port)
            except redis.RedisError:
                continue
        raise redis.ConnectionError("no sentinel answered")

    def wait_for_new_master(self, old: Address, seconds: float = FAILOVER_SECONDS) -> Address:
        """Wait until every sentinel names a master other than `old` and it takes writes."""
        wait_until(lambda: self._switched(old), seconds, f"a failover away from {old}", 0.1)
        return self.master_address()

    def __enter__(self) -> SentinelCluster:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _launch(self, port: int) -> None:
        config = self.workdir / f"sentinel-{port}.conf"
        config.write_text(self._config(port))
        argv = [self.command[0], str(config), *self.command[1:]]
        self._sentinels.append(spawn(argv, self.workdir / f"sentinel-{port}.log"))
        self.sentinel_ports.append(port)

    def _config(self, port: int) -> str:
        name, timing = self.service, self.timing
        lines = [
            f"bind {HOST}", f"port {port}", f"dir {self.workdir}",
            f"sentinel monitor {name} {HOST} {self.master.port} {QUORUM}",
            f"sentinel down-after-milliseconds {name} {timing.down_after_ms}",
            f"sentinel failover-timeout {name} {timing.failover_timeout_ms}",
            f"sentinel parallel-syncs {name} 1",
        ]  # fmt: skip
        if self.master.password:
            lines.append(f"sentinel auth-pass {name} {self.master.password}")
        if self.sentinel_password:  # asked of clients, and of each sentinel by the others
            lines += [f"requirepass {self.sentinel_password}",
                      f"sentinel sentinel-pass {self.sentinel_password}"]  # fmt: skip
        return "\n".join([*lines, ""])

    def _client(self, port: int, host: str = HOST) -> redis.Redis:
        password = self.sentinel_password if port in self.sentinel_ports else self.master.password
        return redis.Redis(host=host, port=port, socket_timeout=0.5, socket_connect_timeout=0.5,
                           decode_responses=True, retry=no_retry(),
                           password=password or None)  # fmt: skip

    def _ready(self) -> bool:
        for process in self._sentinels:
            if process.poll() is not None:
                raise FaultTimeout(f"a sentinel exited: see its log in {self.workdir}")
        return all(self._sees_everyone(port) for port in self.sentinel_ports)

    def _sees_everyone(self, port: int) -> bool:
        try:
            with self._client(port) as client:
                replicas = client.execute_command("SENTINEL", "REPLICAS", self.service)
                peers = client.execute_command("SENTINEL", "SENTINELS", self.service)
        except redis.RedisError:
            return False
        return len(replicas) == 1 and len(peers) == SENTINELS - 1

    def _named_by(self, port: int) -> Address:
        with self._client(port) as client:
            named = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service)
        return str(named[0]), int(named[1])

    def _switched(self, old: Address) -> bool:
        try:
            named = {self._named_by(port) for port in self.sentinel_ports}
        except redis.RedisError:
            return False
        if len(named) != 1 or old in named:
            return False
        host, port = named.pop()
        try:
            with self._client(port, host) as client:
                return replication(client).get("role") == "master"
        except redis.RedisError:
            return False
