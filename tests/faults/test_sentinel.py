"""Redis Sentinel: a killed master is replaced, and a Sentinel client writes to the new one."""

from __future__ import annotations

import time

import pytest
from redis.sentinel import Sentinel

from tests.faults.sentinel import FAILOVER_SECONDS

pytestmark = pytest.mark.slow


def test_killing_the_master_fails_over_and_the_client_follows(sentinel_cluster):
    sentinels = Sentinel(sentinel_cluster.sentinels, socket_timeout=0.5)
    master = sentinels.master_for(sentinel_cluster.service, socket_timeout=0.5)
    master.set("booking", "HKA-7Q4M2")
    began = time.monotonic()
    old = sentinel_cluster.kill_master()
    new = sentinel_cluster.wait_for_new_master(old)
    assert (old, new) == (("127.0.0.1", sentinel_cluster.master.port),
                          ("127.0.0.1", sentinel_cluster.replica.port))  # fmt: skip
    assert time.monotonic() - began < FAILOVER_SECONDS
    master.set("after", "failover")
    with sentinel_cluster.replica.client() as promoted:
        assert promoted.mget("booking", "after") == ["HKA-7Q4M2", "failover"]
    master.close()
