"""Redis through Sentinel: every client follows a failover; readiness names a writable master."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from config import Settings
from ops.health import OK, check_redis
from ops.runtime import Role, Runtime, build_runtime
from tests.faults.fixtures import require
from tests.faults.processes import wait_until
from tests.faults.redis_server import RedisServer, redis_binary
from tests.faults.sentinel import SentinelCluster, sentinel_command

pytestmark = pytest.mark.slow
SWITCH_SECONDS = 10.0


def _through(settings: Settings, cluster: SentinelCluster, **extra: str) -> Settings:
    return settings.with_overrides(redis_url="", redis_sentinels=cluster.addresses,
                                   redis_sentinel_master=cluster.service, **extra)  # fmt: skip


@pytest.fixture()
def runtime(settings, sentinel_cluster) -> Iterator[Runtime]:
    found = build_runtime(_through(settings, sentinel_cluster), Role.WORKER)
    yield found
    found.dispose()


def _writes(client: redis.Redis) -> bool:
    try:
        return bool(client.set("after", "failover"))
    except redis.RedisError:
        return False


def test_both_clients_write_to_the_promoted_master_after_a_failover(runtime, sentinel_cluster):
    runtime.redis.set("before", "HKA-7Q4M2")
    runtime.queues["transactional"].enqueue("jobs.sms.send_messages", [1])
    assert runtime.redis.wait(1, 2000) == 1  # on the replica too: the test is not about lag
    old = sentinel_cluster.kill_master()
    wait_until(lambda: _writes(runtime.redis) and _writes(runtime.redis_raw), SWITCH_SECONDS,
               "both clients writing again", every=0.1)  # fmt: skip
    assert runtime.redis.connection_pool.get_master_address() != old
    assert runtime.redis.get("before") == "HKA-7Q4M2"
    assert runtime.queues["transactional"].count == 1  # RQ's client found its queue there


def test_readiness_says_down_during_the_switch_and_ok_after_it(runtime, sentinel_cluster):
    assert check_redis(runtime.redis) == OK
    sentinel_cluster.kill_master()
    began = time.monotonic()
    assert check_redis(runtime.redis).startswith("down")
    assert time.monotonic() - began < 2 * runtime.settings.worker_redis_timeout
    wait_until(lambda: check_redis(runtime.redis) == OK, SWITCH_SECONDS, "ready again", 0.1)


def test_a_stopped_sentinel_costs_a_new_client_no_wait(settings, sentinel_cluster):
    sentinel_cluster.stop_sentinel(0)
    found = build_runtime(_through(settings, sentinel_cluster))
    try:
        began = time.monotonic()
        assert found.redis.ping() and check_redis(found.redis) == OK
        assert time.monotonic() - began < 1.0
    finally:
        found.dispose()


@pytest.fixture()
def guarded_cluster(tmp_path) -> Iterator[SentinelCluster]:
    """Redis servers and sentinels that each ask for a password."""
    require(sentinel_command)
    cluster = SentinelCluster(tmp_path / "guarded", password="redis-pw", sentinel_password="s-pw")
    yield cluster.start()
    cluster.stop()


@pytest.mark.parametrize(
    ("passwords", "ready"),
    [({"redis_password": "redis-pw", "redis_sentinel_password": "s-pw"}, True),
     ({"redis_password": "wrong", "redis_sentinel_password": "s-pw"}, False),
     ({"redis_password": "redis-pw", "redis_sentinel_password": ""}, False)],
)  # fmt: skip
def test_passwords_reach_the_servers_and_the_sentinels(settings, guarded_cluster, passwords, ready):
    found = build_runtime(_through(settings, guarded_cluster, **passwords))
    try:
        assert (check_redis(found.redis) == OK) is ready
    finally:
        found.dispose()


@pytest.mark.parametrize(("password", "ready"), [("redis-pw", True), ("", False)])
def test_a_plain_redis_url_takes_redis_password(settings, tmp_path, password, ready):
    guarded = RedisServer(tmp_path / "guarded", binary=require(redis_binary), password="redis-pw")
    with guarded as server:
        given = settings.with_overrides(redis_url=server.url, redis_password=password)
        found = build_runtime(given)
        try:
            assert (check_redis(found.redis) == OK) is ready
        finally:
            found.dispose()
