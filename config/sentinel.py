"""Where Redis is when Sentinel finds it: the sentinels, the master's name, db and passwords."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

SCHEME = "redis+sentinel://"
DEFAULT_PORT = 26379
DEFAULT_MASTER = "huduma"

Address = tuple[str, int]


class SentinelConfigError(ValueError):
    """The Sentinel settings cannot be read."""


@dataclass(frozen=True, slots=True)
class SentinelTarget:
    """How to reach the Redis master that the sentinels name."""

    addresses: tuple[Address, ...]
    master: str = DEFAULT_MASTER
    db: int = 0
    password: str = ""  # of the Redis servers (master and replicas)
    sentinel_password: str = ""  # of the sentinels themselves


def parse_address(text: str) -> Address:
    """Read `host:port` (port 26379 when left out); `[v6]:port` for IPv6."""
    given = text.strip()
    if given.startswith("["):
        host, _, rest = given[1:].partition("]")
        port = rest.removeprefix(":") if rest else str(DEFAULT_PORT)
    else:
        host, colon, port = given.partition(":")
        port = port if colon else str(DEFAULT_PORT)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SentinelConfigError(f"a sentinel must be host:port, not {given!r}")
    return host, int(port)


def parse_addresses(text: str) -> tuple[Address, ...]:
    """Read a comma-separated list of sentinels."""
    found = tuple(parse_address(part) for part in text.split(",") if part.strip())
    if not found:
        raise SentinelConfigError("no sentinel given")
    return found


def parse_url(url: str, sentinel_password: str = "") -> SentinelTarget:
    """Read `redis+sentinel://[:password@]host:port[,host:port...]/master[/db]`."""
    if not url.startswith(SCHEME):
        raise SentinelConfigError(f"a Sentinel URL starts with {SCHEME}")
    rest = url[len(SCHEME) :].split("?", 1)[0]
    hosts, _, path = rest.partition("/")
    userinfo, at, hosts = hosts.rpartition("@")
    password = unquote(userinfo.partition(":")[2]) if at else ""
    master, _, db = path.strip("/").partition("/")
    if db and not db.isdigit():
        raise SentinelConfigError(f"the Redis db in a Sentinel URL is a number, not {db!r}")
    return SentinelTarget(
        parse_addresses(hosts), unquote(master) or DEFAULT_MASTER, int(db or 0), password,
        sentinel_password,
    )  # fmt: skip


def is_sentinel_url(url: str) -> bool:
    """Tell whether a REDIS_URL names sentinels rather than one server."""
    return url.startswith(SCHEME)


def sentinel_target(
    url: str, sentinels: str, master: str, db: int, password: str, sentinel_password: str
) -> SentinelTarget | None:
    """The Sentinel set-up a `redis+sentinel://` REDIS_URL or REDIS_SENTINELS names, if any."""
    if sentinels.strip() and url:
        raise SentinelConfigError("set REDIS_URL or REDIS_SENTINELS, not both")
    if is_sentinel_url(url):
        return parse_url(url, sentinel_password)
    if not sentinels.strip():
        return None
    return SentinelTarget(parse_addresses(sentinels), master, db, password, sentinel_password)
